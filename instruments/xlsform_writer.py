"""Write an instrument as an XLSForm workbook (the reverse of :func:`instruments.xlsform.read_xlsform`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from instruments.model import Group, Instrument, Question, Text


def _language_header(tag: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name("en")
    except (UnknownLocaleError, ValueError):
        name = tag
    return f"{name} ({tag})"


def _json(data: dict[str, str]) -> str | None:
    return json.dumps(data, ensure_ascii=False, sort_keys=True) if data else None


class _Table:
    """Rows of one sheet with a growing set of columns."""

    def __init__(self, fixed: list[str]) -> None:
        self.columns = list(fixed)
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        row = {k: v for k, v in row.items() if v not in (None, "")}
        for key in row:
            if key not in self.columns:
                self.columns.append(key)
        self.rows.append(row)

    def write(self, book: Any, title: str) -> None:
        sheet = book.create_sheet(title)
        sheet.append(self.columns)
        for row in self.rows:
            sheet.append([row.get(column) for column in self.columns])
        for cells in sheet.iter_rows():
            for cell in cells:
                if cell.data_type == "f":  # text that starts with "=" is text, not a formula
                    cell.data_type = "s"


def _texts(prefix: str, text: Text, headers: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}::{headers[lang]}": value for lang, value in text.items() if lang in headers}


def write_xlsform(instrument: Instrument, path: str | Path) -> None:
    """Write ``instrument`` to an ``.xlsx`` workbook with sheets survey, choices and settings."""
    from openpyxl import Workbook

    langs = list(instrument.languages)
    for text in _all_texts(instrument):
        langs += [lang for lang in text if lang not in langs]
    headers = {lang: _language_header(lang) for lang in langs}
    survey = _Table(["type", "name", *[f"label::{headers[lang]}" for lang in instrument.languages]])

    def emit(node: Question | Group) -> None:
        if isinstance(node, Group):
            kind = "repeat" if node.repeat else "group"
            survey.add({
                "type": f"begin {kind}", "name": node.name, **_texts("label", node.label, headers),
                "relevant": node.relevant, "repeat_count": node.repeat_count, "repeat_min": node.min_count,
                "repeat_max": node.max_count, "record": node.record, "record_with": _json(node.record_with),
            })
            for child in node.children:
                emit(child)
            survey.add({"type": f"end {kind}"})
            return
        select = node.choices and node.type.startswith("select")
        qtype = f"{node.type} {node.choices}" if select else node.type
        required = "yes" if node.required is True else (node.required or None)
        survey.add({
            "type": qtype, "name": node.name, **_texts("label", node.label, headers),
            **_texts("hint", node.hint, headers), "required": required,
            **_texts("required_message", node.required_message, headers), "relevant": node.relevant,
            "constraint": node.constraint, **_texts("constraint_message", node.constraint_message, headers),
            "calculation": node.calculation, "default": node.default, "appearance": node.appearance,
            "choice_filter": node.choice_filter, "contact": "yes" if node.contact else None,
            "record": node.record, "record_with": _json(node.record_with),
            "record_codes": _json(node.record_codes),
        })

    for group in instrument.groups:
        emit(group)
    choices = _Table(["list_name", "name", *[f"label::{headers[lang]}" for lang in instrument.languages]])
    for list_name, items in instrument.choice_lists.items():
        for choice in items:
            choices.add({"list_name": list_name, "name": choice.name,
                         **_texts("label", choice.label, headers), **choice.extra})
    settings = _Table(["form_id", "version", "default_language", "languages"])
    settings.add({"form_id": instrument.id, "version": instrument.version,
                  "default_language": headers[instrument.default_language],
                  "languages": " ".join(instrument.languages),
                  **_texts("form_title", instrument.title, headers), **instrument.settings})
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    survey.write(book, "survey")
    choices.write(book, "choices")
    settings.write(book, "settings")
    book.save(str(path))


def _all_texts(instrument: Instrument) -> list[Text]:
    out: list[Text] = [instrument.title]
    for node in instrument.walk():
        out.append(node.label)
        if isinstance(node, Question):
            out += [node.hint, node.required_message, node.constraint_message]
    out += [choice.label for items in instrument.choice_lists.values() for choice in items]
    return out
