"""pyxform's normalised JSON form -> Keireki's instrument model, with a warning for what is not honoured.

pyxform (:func:`pyxform.xls2json.workbook_to_json`) has already resolved XLSForm's aliases, legacy
``select one from X``, case-insensitive types, ``or_other``, one- and two-colon language columns and
``bind::`` columns. This module maps each element to a :class:`~instruments.model.Question` or
:class:`~instruments.model.Group`; XLSForm details Keireki keeps only for the export (the original type,
``parameters``, media, ``guidance_hint``, ``read_only``, ``trigger``, group appearance) go into the
element's ``xlsform`` mapping. Rows are found again by name, in order (``rows``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from instruments.model import Choice, Group, Location, Question, Text

#: pyxform type -> Keireki type, for types that keep their meaning.
TYPES = {
    "text": "text", "string": "text", "integer": "integer", "int": "integer", "decimal": "decimal",
    "date": "date", "note": "note", "acknowledge": "acknowledge", "trigger": "acknowledge",
    "calculate": "calculate", "hidden": "hidden", "barcode": "text",
    "select one": "select_one", "select all that apply": "select_multiple", "select one external": "select_one",
    "rank": "select_multiple",
    "geopoint": "geopoint", "gps": "geopoint", "location": "geopoint", "geotrace": "geotrace",
    "geoshape": "geoshape", "range": "integer",
    "phone number": "text",
    "time": "text", "dateTime": "text", "datetime": "text", "date time": "text",
}
#: Metadata: recorded by the device in ODK; Keireki keeps them as hidden values the server knows.
METADATA = ("start", "end", "today", "deviceid", "imei", "device id", "subscriberid", "simserial", "phonenumber",
            "username", "email", "audit", "start-geopoint", "background-geopoint", "instanceid", "uri:deviceid",
            "uri:email", "uri:phonenumber", "uri:simserial", "uri:subscriberid", "uri:username",
            "background-audio")
#: Uploads: XLSForm type -> Keireki's upload type (a file input; the file is stored encrypted).
UPLOADS = {"image": "image", "photo": "image", "audio": "audio", "video": "video", "file": "file"}
EXTERNAL = ("xml-external", "csv-external")
#: How a type is honoured, for the warning (types absent here are fully supported).
NOTES = {
    "rank": "rank is collected as a multiple choice (the order is not kept)",
    "phone number": "the old 'phone number' type is collected as text (not as contact data)",
    "time": "a time is collected as text", "dateTime": "a date-time is collected as text",
    "datetime": "a date-time is collected as text", "date time": "a date-time is collected as text",
    "select one external": "external choices come from the external_choices sheet",
}
#: Appearances a web page can honour; others are kept for the export with a warning.
APPEARANCES = ("minimal", "horizontal", "horizontal-compact", "likert", "field-list", "multiline", "month-year",
               "year", "compact", "no-calendar", "numbers", "quick")
#: Keys of pyxform's JSON that the mapping consumes (everything else gets a warning).
_USED = {"type", "name", "label", "hint", "bind", "control", "choice_filter", "itemset", "list_name", "choices",
         "default", "children", "record", "record_with", "record_codes", "contact", "repeat_min", "repeat_max",
         "parameters", "query", "columns", "keireki_type", "media", "guidance_hint", "trigger",
         "jr:constraintMsg", "jr:requiredMsg", "jr:count", "sms_field", "tag"}
_BIND_USED = {"required", "relevant", "constraint", "calculate", "readonly", "jr:constraintMsg", "jr:requiredMsg",
              "orx:max-pixels",
              "type", "jr:preload", "jr:preloadParams"}

Warn = Callable[[Location | None, str, str], None]

#: pyxform turns typographic quotes into ASCII ones in every cell (right for expressions, wrong for
#: what participants read): texts cross pyxform with them replaced by private-use characters.
_QUOTES: dict[str, str | int | None] = {"\u2018": "\ue018", "\u2019": "\ue019", "\u201c": "\ue01c",
                                        "\u201d": "\ue01d"}
_BACK: dict[str, str | int | None] = {str(v): k for k, v in _QUOTES.items()}
_TEXT_COLUMNS = ("label", "hint", "guidance_hint", "constraint_message", "required_message",
                 "jr:constraintmsg", "jr:requiredmsg", "constraint_msg", "required_msg")


def protect_texts(rows: list[dict[str, str]] | None) -> None:
    """Typographic quotes of text columns (``label::ja`` …) -> private-use stand-ins, in place."""
    table = str.maketrans(_QUOTES)
    for row in rows or []:
        for key, value in row.items():
            base = key.strip().lower().removeprefix("bind::").split("::")[0].split(":")[0]
            if (base in _TEXT_COLUMNS or key.strip().lower().startswith(("jr:constraintmsg", "jr:requiredmsg"))) \
                    and isinstance(value, str):
                row[key] = value.translate(table)


def restore(text: str) -> str:
    return text.translate(str.maketrans(_BACK))


class Mapper:
    """Maps one form; ``rows`` gives the sheet row of each named element in order of appearance."""

    def __init__(self, file: str, sheet: str, rows: dict[str, list[int]], lang_of: Callable[[str], str],
                 warn: Warn, generated: dict[str, dict[str, Any]]) -> None:
        self.file, self.sheet, self.rows, self.lang_of, self.warn = file, sheet, rows, lang_of, warn
        #: elements pyxform added, by name (``x_other`` for or_other, ``jobs_count`` for a constant count)
        self.generated = generated
        self.unused: set[str] = set()

    def where(self, name: str) -> Location:
        numbers = self.rows.get(name)
        return Location(self.file, numbers.pop(0) if numbers else None, self.sheet)

    def text(self, value: Any) -> Text:
        if value is None:
            return {}
        if isinstance(value, dict):
            return {self.lang_of(lang): restore(str(text)) for lang, text in value.items() if str(text).strip()}
        return {self.lang_of("default"): restore(str(value))} if str(value).strip() else {}

    def _unused(self, element: dict[str, Any], where: Location, name: str) -> None:
        """One warning per column not used (at its first row); KoboToolbox's ``$kuid``-style
        bookkeeping columns included."""
        columns = [*(set(element) - _USED), *(f"bind::{k}" for k in set(element.get("bind") or {}) - _BIND_USED)]
        for key in sorted(columns):
            if key not in self.unused:
                self.unused.add(key)
                self.warn(where, f"{name}.{key}", f"the column {key!r} is not used by Keireki (first at this "
                          "row; not kept by the export)")

    def children(self, elements: list[dict[str, Any]]) -> tuple[Question | Group, ...]:
        out: list[Question | Group] = []
        for element in elements:
            if element.get("name") == "meta" and element.get("control", {}).get("bodyless"):
                # pyxform's own instanceID (the export gets it again) and metadata it moves there (audit)
                out += self.children([e for e in element.get("children") or [] if e.get("name") != "instanceID"])
                continue
            if element.get("name") in self.generated and element.get("type") == "calculate":
                continue
            node = self.element(element)
            if isinstance(node, Question) and node.name in self.generated:
                # a note without a name gets one from pyxform: the export writes it again without one
                why = "note" if node.name.startswith("generated_note_name_") else "or_other"
                node = dataclasses.replace(node, xlsform={**node.xlsform, "generated": why})
            if node is not None:
                out.append(node)
        return tuple(out)

    def element(self, element: dict[str, Any]) -> Question | Group | None:
        kind = element.get("type", "")
        if kind in ("group", "repeat", "loop"):
            return self.group(element)
        return self.question(element)

    def group(self, element: dict[str, Any]) -> Group:
        name, kind = element["name"], element["type"]
        where = self.where(name)
        self._unused(element, where, name)
        control, bind = element.get("control") or {}, element.get("bind") or {}
        extra: dict[str, str] = {}
        if control.get("appearance"):
            extra["appearance"] = str(control["appearance"])
            if any(str(c.get("name", "")).startswith("reserved_name_for_field_list_labels_")
                   for c in element.get("children") or []):  # pyxform made table-list a field-list with headers
                extra["appearance"] = re.sub(r"^field-list", "table-list", extra["appearance"])
        count = control.get("jr:count") or element.get("jr:count")
        if isinstance(count, str) and count.startswith("${") and count[2:-1] in self.generated:
            count = self._generated_count(count[2:-1])
        children = self.children(element.get("children") or [])
        if kind == "loop":
            columns = element.get("columns") or []
            extra["loop"] = json.dumps([c.get("name") for c in columns])
            self.warn(where, f"{name}.type", "begin loop over: one repeat entry per choice, in the order of the "
                      "choice list (ODK makes a group per choice)")
            count = str(len(columns))
        return Group(
            name=name, label=self.text(element.get("label") or _table_list_label(element)), children=children,
            relevant=bind.get("relevant"),
            repeat=kind in ("repeat", "loop"), min_count=_int(element.get("repeat_min")),
            max_count=_int(element.get("repeat_max")), repeat_count=count, record=element.get("record"),
            record_with=_json_map(element.get("record_with")), location=where, xlsform=extra,
        )

    def _generated_count(self, name: str) -> str | None:
        bind = self.generated[name].get("bind") or {}
        return _str(bind.get("calculate"))

    def question(self, element: dict[str, Any]) -> Question:
        name, kind = element.get("name", ""), element.get("type", "")
        where = self.where(name) if name not in self.generated else Location(self.file, None, self.sheet)
        self._unused(element, where, name)
        bind, control = element.get("bind") or {}, element.get("control") or {}
        qtype, extra = self._type(element, kind, where)
        appearance = control.get("appearance")
        if appearance and any(a not in APPEARANCES for a in str(appearance).split()):
            self.warn(where, f"{name}.appearance", f"appearance {appearance!r}: only "
                      f"{', '.join(APPEARANCES)} change the web page; the rest is kept for the export")
        for key in ("media", "guidance_hint", "trigger", "parameters"):
            value = element.get(key)
            if value:
                extra[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if f"{name}_other" in self.generated and kind.startswith("select"):
            extra["or_other"] = "1"
        if bind.get("readonly") and str(bind["readonly"]).strip().lower() not in ("false()", "no", "false"):
            extra["read_only"] = str(bind["readonly"])
        self._honour_warnings(element, name, where, extra)
        constraint = bind.get("constraint")
        if kind == "range" and not constraint:
            constraint = _range_constraint(element.get("parameters"))
            if constraint:
                extra["range_constraint"] = "1"
        if kind == "range" and "." in str((element.get("parameters") or {}).get("step", "")):
            qtype = "decimal"
        return Question(
            name=name, type=qtype, label=self.text(element.get("label")), hint=self.text(element.get("hint")),
            choices=element.get("list_name") or element.get("itemset") if qtype.startswith("select") else None,
            choice_filter=element.get("choice_filter"), required=_flag(bind.get("required")),
            required_message=self.text(bind.get("jr:requiredMsg") or element.get("jr:requiredMsg")),
            relevant=_relevant(bind.get("relevant")), constraint=constraint,
            constraint_message=self.text(bind.get("jr:constraintMsg") or element.get("jr:constraintMsg")),
            calculation=bind.get("calculate"), default=_str(element.get("default")),
            appearance=_str(appearance), contact=_flag(element.get("contact")) is True,
            record=element.get("record"), record_with=_json_map(element.get("record_with")),
            record_codes=_json_map(element.get("record_codes")), location=where, xlsform=extra,
        )

    def _type(self, element: dict[str, Any], kind: str, where: Location) -> tuple[str, dict[str, str]]:
        name = element.get("name", "")
        own = element.get("keireki_type")
        if own:
            return str(own), {}
        known = (*TYPES, *METADATA, *UPLOADS, *EXTERNAL)
        old_style = re.fullmatch(r"add (.+) prompt", kind)  # pyxform's oldest names: "add text prompt"
        if old_style and old_style.group(1) in known:
            kind = old_style.group(1)
        if kind not in known and kind.lower() in known:  # pyxform accepts "Text", "dateTime", "Integer"
            kind = kind.lower()
        extra: dict[str, str] = {} if kind in ("text", "integer", "decimal", "date", "note", "calculate",
                                               "select one", "select all that apply", "acknowledge") \
            else {"type": kind}
        if kind in ("select one", "select all that apply") and str(element.get("itemset", "")).endswith(
                (".csv", ".xml", ".geojson")):
            extra["type"] = ("select_one_from_file " if kind == "select one" else
                             "select_multiple_from_file ") + str(element["itemset"])
        if kind in METADATA:
            return "hidden", extra
        if kind in UPLOADS:
            return UPLOADS[kind], extra
        if kind in EXTERNAL:
            self.warn(where, f"{name}.type", f"{kind}: data for pulldata() is not loaded; pulldata() gives ''")
            return "hidden", extra
        if kind in NOTES:
            self.warn(where, f"{name}.type", NOTES[kind])
        if kind in TYPES:
            return TYPES[kind], extra
        from instruments.errors import InstrumentError

        if kind in ("select_one", "select_multiple"):
            raise InstrumentError(f"{kind} needs a choice list name: '{kind} list'", where)
        raise InstrumentError(f"question type {kind!r} is not supported by Keireki's web form", where)

    def _honour_warnings(self, element: dict[str, Any], name: str, where: Location, extra: dict[str, str]) -> None:
        if "media" in extra:
            self.warn(where, f"{name}.media", "media columns are kept for the export but not shown")
        if "guidance_hint" in extra:
            self.warn(where, f"{name}.guidance_hint", "guidance_hint is kept for the export but not shown")
        if "trigger" in extra:
            self.warn(where, f"{name}.trigger", "trigger: Keireki recalculates on every change instead")
        if "read_only" in extra:
            self.warn(where, f"{name}.read_only", "read_only is not honoured: the participant can change the "
                      "answer (kept for the export)")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _flag(value: Any) -> bool | str:
    if value is None or str(value).strip().lower() in ("no", "false", "false()", "0", ""):
        return False
    return True if str(value).strip().lower() in ("yes", "true", "true()", "1") else str(value)


def _json_map(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    from instruments.errors import InstrumentError

    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise InstrumentError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InstrumentError("must be a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def _relevant(value: Any) -> str | None:
    """pyxform's generated ``selected(../x, 'other')`` (or_other) in Keireki's ``${x}`` syntax."""
    if not isinstance(value, str):
        return value
    match = re.fullmatch(r"selected\(\.\./([A-Za-z_][\w.-]*), 'other'\)", value)
    if match:
        return f"selected(${{{match.group(1)}}}, 'other')"
    return value


def _range_constraint(parameters: Any) -> str | None:
    if not isinstance(parameters, dict):
        return None
    start, end = parameters.get("start"), parameters.get("end")
    parts = [f". >= {start}" if start not in (None, "") else "", f". <= {end}" if end not in (None, "") else ""]
    return " and ".join(p for p in parts if p) or None


def media_columns(media: Any) -> dict[str, str]:
    """``media::image`` (``media::image::English (en)`` when translated) columns of pyxform's ``media``
    (kept as JSON by the import for a question, as these columns for a choice): ``{"image": "a.jpg"}``
    or ``{"image": {"English (en)": "a.jpg"}}``."""
    if isinstance(media, str) and media.startswith("{"):
        media = json.loads(media)
    if not isinstance(media, dict):
        return {}
    out: dict[str, str] = {}
    for kind, value in media.items():
        for language, file in (value.items() if isinstance(value, dict) else [("default", value)]):
            out[f"media::{kind}" if language == "default" else f"media::{kind}::{language}"] = str(file)
    return out


def choice_lists(raw: dict[str, list[dict[str, Any]]], text: Callable[[Any], Text], file: str, sheet: str,
                 rows: dict[str, list[int]]) -> dict[str, tuple[Choice, ...]]:
    """The choices sheet (as pyxform gives it) as Keireki choice lists, with their rows."""
    out: dict[str, tuple[Choice, ...]] = {}
    for list_name, items in raw.items():
        out[list_name] = tuple(
            Choice(name=str(item["name"]), label=text(item.get("label")),
                   extra={**{k: str(v) for k, v in item.items() if k not in ("name", "label", "media")
                             and not k.startswith("$") and isinstance(v, str | int | float)},
                          **media_columns(item.get("media"))},
                   location=Location(file, next(iter(rows.get(f"{list_name}\x00{item['name']}") or []), None),
                                     sheet))
            for item in items)
    return out


def _table_list_label(element: dict[str, Any]) -> Any:
    """The label pyxform moved from a table-list group into a note of its own (``generated_table_list_label_N``)."""
    return next((c.get("label") for c in element.get("children") or []
                 if str(c.get("name", "")).startswith("generated_table_list_label_")), None)
