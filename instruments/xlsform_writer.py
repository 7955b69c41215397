"""Write an instrument as an XLSForm workbook (the reverse of :func:`instruments.xlsform.read_xlsform`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from instruments.model import Group, Instrument, Question, Text
from instruments.xlsform_map import media_columns


def language_header(tag: str) -> str:
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


def _headers(instrument: Instrument) -> dict[str, str]:
    """Language tag -> column suffix: as the imported form wrote it, else ``English (en)``."""
    langs = list(instrument.languages)
    for text in _all_texts(instrument):
        langs += [lang for lang in text if lang not in langs]
    given = json.loads(instrument.xlsform.get("language_names", "{}"))
    return {lang: given.get(lang) or language_header(lang) for lang in langs}


def _question_type(node: Question) -> str:
    """The XLSForm type: the imported one when kept, Keireki's own types as ``text``."""
    kept = node.xlsform.get("type")
    if kept in ("rank", "select one external", "select_one_external"):
        return f"{kept.replace(' ', '_')} {node.choices}"
    if kept:
        return kept
    if node.type in ("partial_date", "phone", "email"):
        return "text"
    if node.choices and node.type.startswith("select"):
        other = " or_other" if node.xlsform.get("or_other") else ""
        return f"{node.type} {node.choices}{other}"
    return node.type


def _xlsform_columns(node: Question) -> dict[str, Any]:
    extra = node.xlsform
    out: dict[str, Any] = {"parameters": extra.get("parameters"), "trigger": extra.get("trigger"),
                           "read_only": "yes" if extra.get("read_only") else None}
    if node.type in ("partial_date", "phone", "email") and not extra.get("type"):
        out["keireki_type"] = node.type
    if extra.get("trigger"):
        names = json.loads(extra["trigger"]) if extra["trigger"].startswith("[") else [extra["trigger"]]
        out["trigger"] = " ".join(f"${{{n}}}" for n in names)
    out.update(media_columns(extra.get("media")))
    if extra.get("parameters", "").startswith("{"):
        params = json.loads(extra["parameters"])
        out["parameters"] = " ".join(f"{k}={v}" for k, v in params.items()) or None
    return out


class _Survey:
    def __init__(self, instrument: Instrument, headers: dict[str, str]) -> None:
        self.headers = headers
        self.lists = instrument.choice_lists
        self.before: dict[str, list[Question]] = {}  # hidden rows the import moved from before a group
        for node in instrument.walk():
            if isinstance(node, Question) and node.xlsform.get("before"):
                self.before.setdefault(node.xlsform["before"], []).append(node)
        self.table = _Table(["type", "name", *[f"label::{headers[lang]}" for lang in instrument.languages]])

    def emit(self, node: Question | Group) -> None:
        if isinstance(node, Group):
            self.group(node)
        elif node.xlsform.get("before"):
            pass  # written before its group
        elif not node.xlsform.get("generated"):
            self.question(node)
        elif node.xlsform["generated"] == "note":  # pyxform names it again
            self.question(dataclasses.replace(node, name=""))

    def group(self, node: Group) -> None:
        if node.xlsform.get("page") == "implicit":  # Keireki's page around top-level questions
            for child in node.children:
                self.emit(child)
            return
        for hidden in self.before.pop(node.name, []):
            self.question(hidden)
        kind = "repeat" if node.repeat else "group"
        headers = self.headers
        over, count = self._loop_list(node), node.repeat_count
        if over is not None:  # begin loop over: one entry per choice of a list
            kind, count = "loop", None
        self.table.add({
            "type": f"begin {kind}" + (f" over {over}" if over else ""), "name": node.name,
            **_texts("label", node.label, headers),
            "relevant": node.relevant, "repeat_count": count, "repeat_min": node.min_count,
            "repeat_max": node.max_count, "record": node.record, "record_with": _json(node.record_with),
            "appearance": node.xlsform.get("appearance"),
        })
        for child in node.children:
            self.emit(child)
        self.table.add({"type": f"end {kind}"})

    def _loop_list(self, node: Group) -> str | None:
        """The choice list a ``begin loop over`` group of the original form went over (the first list
        with the loop's choice names, in order), or None."""
        if "loop" not in node.xlsform:
            return None
        columns = json.loads(node.xlsform["loop"])
        return next((name for name, items in self.lists.items() if [c.name for c in items] == columns), None)

    def question(self, node: Question) -> None:
        headers = self.headers
        required = "yes" if node.required is True else (node.required or None)
        constraint = None if node.xlsform.get("range_constraint") else node.constraint
        self.table.add({
            "type": _question_type(node), "name": node.name, **_texts("label", node.label, headers),
            **_texts("hint", node.hint, headers), "required": required,
            **_texts("required_message", node.required_message, headers), "relevant": node.relevant,
            "constraint": constraint, **_texts("constraint_message", node.constraint_message, headers),
            "calculation": node.calculation, "default": node.default, "appearance": node.appearance,
            "choice_filter": node.choice_filter, "contact": "yes" if node.contact else None,
            "record": node.record, "record_with": _json(node.record_with),
            "record_codes": _json(node.record_codes), **_xlsform_columns(node),
        })


def write_xlsform(instrument: Instrument, path: str | Path) -> None:
    """Write ``instrument`` to an ``.xlsx`` workbook with sheets survey, choices and settings that
    pyxform converts: the data paths of the form (no wrapper groups), its types, languages as written,
    and one untranslated ``form_title`` (pyxform does not translate the title; the other languages'
    titles go into Keireki's ``title_translations`` column, JSON)."""
    from openpyxl import Workbook

    headers = _headers(instrument)
    survey = _Survey(instrument, headers)
    for group in instrument.groups:
        survey.emit(group)
    generated = set(json.loads(instrument.xlsform.get("generated_choices", "[]")))
    external = set(json.loads(instrument.xlsform.get("external_lists", "[]")))
    shared = set(json.loads(instrument.xlsform.get("shared_lists", "[]")))
    choices = _Table(["list_name", "name", *[f"label::{headers[lang]}" for lang in instrument.languages]])
    external_choices = _Table(["list_name", "name", *[f"label::{headers[lang]}" for lang in instrument.languages]])
    for list_name, items in instrument.choice_lists.items():
        if list_name.endswith((".csv", ".xml")):
            continue  # select_one_from_file: the file stays beside the form
        for choice in items:
            if f"{list_name}/{choice.name}" in generated:
                continue
            row = {"list_name": list_name, "name": choice.name, **_texts("label", choice.label, headers),
                   **choice.extra}
            if list_name in external:
                external_choices.add(row)
            if list_name not in external or list_name in shared:
                choices.add(row)
    settings = _Table(["form_id", "version", "default_language", "languages"])
    title = instrument.text(instrument.title, instrument.default_language)
    settings.add({"form_id": instrument.id, "version": instrument.version,
                  "default_language": headers[instrument.default_language],
                  "languages": " ".join(instrument.languages), "form_title": title,
                  "title_translations": _json({k: v for k, v in instrument.title.items()
                                               if k != instrument.default_language}),
                  **instrument.settings})
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    survey.table.write(book, "survey")
    choices.write(book, "choices")
    if external_choices.rows:
        external_choices.write(book, "external_choices")
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
