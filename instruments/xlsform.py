"""XLSForm workbooks (ODK, KoboToolbox) in and out: ``read_xlsform(path)`` and ``write_xlsform``.

Sheets ``survey``, ``choices``, ``settings``. Translated columns are ``label::English (en)`` (the tag
in the last parentheses, as KoboToolbox exports them), ``label::fr`` or ``label::Français``; a plain
``label`` is the default language. Custom columns of Keireki: ``record``, ``record_with`` and
``record_codes`` (JSON), ``contact``, ``repeat_min``, ``repeat_max``. Locations are sheet and row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from instruments.errors import InstrumentError
from instruments.model import Choice, Group, Instrument, Location, Question, Text
from instruments.xlsform_writer import write_xlsform

__all__ = ["read_xlsform", "write_xlsform", "language_tag"]

#: XLSForm metadata types: recorded by the device, never asked; they become hidden questions.
METADATA_TYPES = ("start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
                  "username", "audit", "start-geopoint", "instanceid")
_TYPE_ALIASES = {"string": "text", "int": "integer", "range": "integer", "time": "text", "datetime": "text",
                 "acknowledge": "acknowledge", "trigger": "acknowledge"}
_OURS = ("text", "integer", "decimal", "date", "partial_date", "note", "acknowledge", "calculate",
         "hidden", "phone", "email")
_COLUMN_ALIASES = {"jr:constraintmsg": "constraint_message", "jr:requiredmsg": "required_message",
                   "jr:count": "repeat_count", "list name": "list_name", "list_name": "list_name"}
_TRANSLATED = ("label", "hint", "required_message", "constraint_message", "form_title")
_TRUE = ("yes", "true", "true()", "1")
_FALSE = ("no", "false", "false()", "0", "")
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")

#: One row of a sheet: (column, language tag or None) -> the cell's text.
Row = dict[tuple[str, str | None], str]


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    from babel import Locale, UnknownLocaleError

    english = Locale("en")
    names = {name.casefold(): code.replace("_", "-") for code, name in english.languages.items()}
    for code in list(english.languages):
        try:
            native = Locale.parse(code).get_display_name()
        except (UnknownLocaleError, ValueError):
            continue
        if native:
            names.setdefault(native.casefold(), code.replace("_", "-"))
    return names


def language_tag(spec: str) -> str:
    """``English (en)`` -> ``en``; ``fr`` -> ``fr``; ``Français`` -> ``fr`` (by name, via Babel)."""
    spec = spec.strip()
    match = re.search(r"\(([^()]*)\)\s*$", spec)
    if match and _TAG.fullmatch(match.group(1).strip()):
        return match.group(1).strip()
    if _TAG.fullmatch(spec) and len(spec) <= 3 or re.fullmatch(r"[a-z]{2,3}-[A-Za-z0-9-]+", spec):
        return spec
    return _language_names().get(spec.casefold(), spec)


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


@dataclass
class _Sheet:
    name: str
    columns: list[tuple[str, str | None]]  #: (base column, language tag or None) per column
    rows: list[tuple[int, Row]] = field(default_factory=list)


def _read_sheet(book: Any, name: str, file: str, *, required: bool) -> _Sheet | None:
    sheet = next((book[s] for s in book.sheetnames if s.strip().casefold() == name), None)
    if sheet is None:
        if required:
            raise InstrumentError(f"the workbook has no {name!r} sheet", Location(file))
        return None
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns: list[tuple[str, str | None]] = []
    for raw in header:
        base, sep, lang = (_cell(raw) or "").partition("::")
        base = base.strip().casefold()
        base = _COLUMN_ALIASES.get(base, base)
        columns.append((base, language_tag(lang) if sep else None))
    out = _Sheet(sheet.title, columns)
    for number, values in enumerate(rows, start=2):
        row: Row = {}
        for key, value in zip(columns, values, strict=False):
            cell = _cell(value)
            if cell is not None and key[0]:
                row[key] = cell
        if row:
            out.rows.append((number, row))
    return out


class _Reader:
    def __init__(self, file: str, default_language: str) -> None:
        self.file = file
        self.default = default_language

    def text(self, row: Row, base: str) -> Text:
        out: Text = {}
        for (column, lang), value in row.items():
            if column == base:
                out[lang or self.default] = value
        return out

    def json_map(self, row: Row, key: str, where: Location) -> dict[str, str]:
        raw = row.get((key, None))
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InstrumentError(f"{key}: not JSON ({exc.msg})", where) from None
        if not isinstance(data, dict):
            raise InstrumentError(f"{key}: must be a JSON object", where)
        return {str(k): str(v) for k, v in data.items()}


def _flag(value: str | None) -> bool | str:
    if value is None or value.strip().casefold() in _FALSE:
        return False
    return True if value.strip().casefold() in _TRUE else value


def _count(value: str | None, where: Location) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit():
        raise InstrumentError(f"a whole number is needed, not {value!r}", where)
    return int(value)


def _question_type(kind: str, labelled: bool, where: Location) -> tuple[str, str | None]:
    head, _, rest = kind.partition(" ")
    rest = rest.replace(" or_other", "").strip()
    if head in ("select_one", "select_multiple"):
        if not rest:
            raise InstrumentError(f"{head} needs a choice list name: '{head} list'", where)
        return head, rest
    if head in ("email", "phonenumber") and not labelled:
        return "hidden", None
    if head in METADATA_TYPES:
        return "hidden", None
    if head == "email" or head == "phone":
        return head, None
    head = _TYPE_ALIASES.get(head, head)
    if head in _OURS:
        return head, None
    raise InstrumentError(f"question type {kind!r} is not supported", where)


def read_xlsform(path: str | Path) -> Instrument:
    """Read an XLSForm workbook into an instrument (top-level questions are wrapped into pages)."""
    from openpyxl import load_workbook

    file = str(path)
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise InstrumentError(f"cannot read the workbook: {exc}", Location(file)) from exc
    try:
        survey = _read_sheet(book, "survey", file, required=True)
        choices_sheet = _read_sheet(book, "choices", file, required=False)
        settings_sheet = _read_sheet(book, "settings", file, required=False)
    finally:
        book.close()
    assert survey is not None
    return _build(file, survey, choices_sheet, settings_sheet)


def _languages(sheets: list[_Sheet | None], settings_row: Row
               ) -> tuple[str, list[str]]:
    found: list[str] = []
    plain = False
    for sheet in sheets:
        for base, lang in sheet.columns if sheet else []:
            if base in _TRANSLATED:
                if lang is None:
                    plain = plain or base != "form_title"
                elif lang not in found:
                    found.append(lang)
    spec = settings_row.get(("default_language", None))
    listed = settings_row.get(("languages", None))
    default = language_tag(spec) if spec else (found[0] if found and not plain else "en")
    order = listed.split() if listed else found
    return default, [default, *[lang for lang in order if lang != default]]


def _choices(sheet: _Sheet | None, reader: _Reader) -> dict[str, tuple[Choice, ...]]:
    lists: dict[str, list[Choice]] = {}
    for number, row in sheet.rows if sheet else []:
        where = Location(reader.file, number, sheet.name if sheet else "choices")
        list_name, name = row.get(("list_name", None)), row.get(("name", None))
        if list_name is None or name is None:
            raise InstrumentError("a choice needs list_name and name", where)
        extra = {base: value for (base, lang), value in row.items()
                 if lang is None and base not in ("list_name", "name", "label") and not base.startswith("$")}
        lists.setdefault(list_name, []).append(
            Choice(name=name, label=reader.text(row, "label"), extra=extra, location=where))
    return {name: tuple(items) for name, items in lists.items()}


def _question(row: Row, kind: str, reader: _Reader, where: Location) -> Question:
    name = row.get(("name", None))
    if name is None:
        raise InstrumentError(f"a {kind} row needs a name", where)
    label = reader.text(row, "label")
    qtype, list_name = _question_type(kind, bool(label), where)
    required = _flag(row.get(("required", None)))
    contact = _flag(row.get(("contact", None)))
    return Question(
        name=name, type=qtype, label=label, hint=reader.text(row, "hint"), choices=list_name,
        choice_filter=row.get(("choice_filter", None)), required=required,
        required_message=reader.text(row, "required_message"), relevant=row.get(("relevant", None)),
        constraint=row.get(("constraint", None)), constraint_message=reader.text(row, "constraint_message"),
        calculation=row.get(("calculation", None)), default=row.get(("default", None)),
        appearance=row.get(("appearance", None)), contact=contact is True, record=row.get(("record", None)),
        record_with=reader.json_map(row, "record_with", where),
        record_codes=reader.json_map(row, "record_codes", where), location=where,
    )


def _wrap(items: list[Question | Group], title: Text) -> tuple[Group, ...]:
    """Top-level questions become pages; runs of only hidden/calculate rows join the next page."""
    runs: list[list[Question | Group]] = []
    for item in items:
        if isinstance(item, Group):
            runs.append([item])
        elif runs and isinstance(runs[-1][0], Question):
            runs[-1].append(item)
        else:
            runs.append([item])
    groups: list[Group] = []
    pending: list[Question | Group] = []
    questions_runs = [r for r in runs if isinstance(r[0], Question)]
    for run in runs:
        if isinstance(run[0], Group):
            groups.append(run[0])
            continue
        visible = any(isinstance(q, Question) and q.type not in ("hidden", "calculate") for q in run)
        if not visible and run is not questions_runs[-1]:
            pending += run
            continue
        groups.append(Group(name=f"page_{len(groups) + 1}", label=dict(title), children=(*pending, *run),
                            location=run[0].location))
        pending = []
    return tuple(groups)


def _build(file: str, survey: _Sheet, choices: _Sheet | None, settings: _Sheet | None) -> Instrument:
    settings_row = settings.rows[0][1] if settings and settings.rows else {}
    default, languages = _languages([survey, choices, settings], settings_row)
    reader = _Reader(file, default)
    stack: list[tuple[Row, bool, Location, list[Question | Group]]] = []
    top: list[Question | Group] = []
    for number, row in survey.rows:
        where = Location(file, number, survey.name)
        kind = row.get(("type", None), "").strip()
        word = " ".join(kind.casefold().replace("_", " ").split())
        if not kind:
            raise InstrumentError("a row without a type", where)
        if word in ("begin group", "begin repeat"):
            if ("name", None) not in row:
                raise InstrumentError(f"{kind} needs a name", where)
            stack.append((row, word == "begin repeat", where, []))
        elif word in ("end group", "end repeat"):
            if not stack or stack[-1][1] != (word == "end repeat"):
                raise InstrumentError(f"{kind} without a matching begin", where)
            begin, repeat, at, children = stack.pop()
            group = Group(
                name=begin[("name", None)], label=reader.text(begin, "label"), children=tuple(children),
                relevant=begin.get(("relevant", None)), repeat=repeat,
                min_count=_count(begin.get(("repeat_min", None)), at),
                max_count=_count(begin.get(("repeat_max", None)), at),
                repeat_count=begin.get(("repeat_count", None)), record=begin.get(("record", None)),
                record_with=reader.json_map(begin, "record_with", at), location=at,
            )
            (stack[-1][3] if stack else top).append(group)
        else:
            (stack[-1][3] if stack else top).append(_question(row, kind, reader, where))
    if stack:
        raise InstrumentError(f"{stack[-1][0][('type', None)]} has no end", stack[-1][2])
    if not top:
        raise InstrumentError("the survey sheet has no questions", Location(file, None, survey.name))
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", Path(file).stem).strip("_") or "form"
    ident = settings_row.get(("form_id", None), stem)
    title = reader.text(settings_row, "form_title") or {default: ident}
    reserved = ("form_id", "version", "default_language", "languages", "form_title")
    return Instrument(
        id=ident, version=settings_row.get(("version", None), "1"), title=title, default_language=default,
        languages=tuple(languages), groups=_wrap(top, title), choice_lists=_choices(choices, reader),
        settings={base: value for (base, lang), value in settings_row.items()
                  if lang is None and base not in reserved}, source=file,
    )
