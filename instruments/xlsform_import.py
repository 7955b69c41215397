"""``read_xlsform(path)``: an XLSForm (``.xlsx``, ``.xls``, ``.csv``, ``.md``) as a Keireki instrument.

The steps: read the sheets with limits (:func:`instruments.xlsform_read.read_definition`), turn Keireki's
own types into ``text`` for pyxform, let pyxform normalise the form, map its JSON to the model
(:class:`instruments.xlsform_map.Mapper`), load external choices (``select_one_from_file``, the
``external_choices`` sheet) and wrap top-level questions into pages (implicit groups the export leaves
out). pyxform's own warnings and everything Keireki does not honour become warnings of the instrument
(``Instrument.import_findings``), reported by ``keireki instruments check``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from instruments.errors import InstrumentError
from instruments.model import Choice, Group, Instrument, Location, Question, Text
from instruments.xlsform_map import Mapper, choice_lists, protect_texts
from instruments.xlsform_read import Limits, read_definition

#: Keireki's types that XLSForm does not know; pyxform sees them as ``text``.
OWN_TYPES = ("partial_date", "phone", "email")
_ROW = re.compile(r"\[row : (\d+)\]\s*")
_RESERVED_SETTINGS = ("form_id", "version", "default_language", "languages", "form_title", "form_name",
                      "title_translations")
#: XLSForm settings that matter to an ODK server or app, not to Keireki's web form: kept (exported
#: again) with a warning.
_ODK_SETTINGS = ("instance_name", "public_key", "submission_url", "style", "allow_choice_duplicates",
                 "auto_send", "auto_delete", "clean_text_values", "namespaces", "omit_instanceID",
                 "instance_xmlns", "sms_keyword", "sms_separator", "sms_allow_media", "sms_date_format",
                 "sms_datetime_format", "sms_response", "prefix", "delimiter", "attribute", "entities")


def _key(row: dict[str, str], name: str) -> str | None:
    return next((k for k in row if k.strip().lower() == name), None)


def _own_types(definition: Any) -> None:
    """``partial_date`` (and a labelled ``email``/``phone``) -> ``text`` with ``keireki_type``."""
    header = list(definition.survey_header or [{}])
    header[0] = {**header[0], "keireki_type": None}
    definition.survey_header = header
    for row in definition.survey or []:
        key = _key(row, "type")
        if key is None:
            continue
        kind = row[key].strip()
        labelled = any(k.strip().lower().split(":")[0] == "label" for k in row)
        if kind in ("partial_date", "phone") or kind == "email" and labelled:
            row[key] = "text"
            row["keireki_type"] = kind


def _row_index(rows: list[dict[str, str]], *columns: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        values = [row.get(k) for c in columns for k in [_key(row, c)] if k]
        if len(values) == len(columns) and all(values):
            out.setdefault("\x00".join(str(v) for v in values), []).append(index + 2)
    return out


class _Findings:
    def __init__(self, file: str, sheet: str) -> None:
        self.file, self.sheet = file, sheet
        self.items: list[tuple[str, Location | None, str, str]] = []

    def warn(self, where: Location | None, field: str, message: str) -> None:
        self.items.append(("warning", where, field, message))

    def pyxform(self, text: str) -> Location:
        match = _ROW.search(text)
        return Location(self.file, int(match.group(1)) if match else None, self.sheet)


def _languages(form: dict[str, Any], settings: dict[str, str]) -> tuple[str, list[str], dict[str, str]]:
    """(default tag, tags in order, tag -> header as written) from the labels pyxform found."""
    from instruments.xlsform import language_tag

    specs: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("label", "hint", "jr:constraintMsg", "jr:requiredMsg") and isinstance(item, dict):
                    specs.extend(s for s in item if s not in specs)
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(form.get("children"))
    visit(form.get("choices"))
    named = [s for s in specs if s != "default"]
    spec = settings.get("default_language")
    default = language_tag(spec) if spec else (language_tag(named[0]) if named and "default" not in specs else "en")
    tags = [language_tag(s) for s in named]
    listed = settings.get("languages")
    order = listed.split() if listed else tags
    from instruments.xlsform_writer import language_header

    names = {language_tag(s): s for s in named if s != language_header(language_tag(s))}
    return default, [default, *[t for t in dict.fromkeys(order) if t != default]], names


def _file_choices(path: Path, list_name: str, where: Location, language: str) -> tuple[Choice, ...]:
    """Choices of ``select_one_from_file x.csv`` / ``.xml`` beside the form (name, label columns)."""
    file = path.parent / list_name
    if not file.is_file():
        raise InstrumentError(f"{list_name}: the choices file is not beside the form", where)
    if file.suffix == ".csv":
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    elif file.suffix == ".xml":
        from defusedxml import ElementTree

        root = ElementTree.parse(str(file)).getroot()
        rows = [{child.tag: (child.text or "") for child in item} for item in root]
    else:
        raise InstrumentError(f"{list_name}: only .csv and .xml choice files are supported", where)
    return tuple(Choice(name=r["name"], label={language: r.get("label") or r["name"]},
                        extra={k: v for k, v in r.items() if k not in ("name", "label") and k and v},
                        location=Location(str(file), n + 2)) for n, r in enumerate(rows) if r.get("name"))


def _pages(items: tuple[Question | Group, ...], title: Text) -> tuple[Group, ...]:
    """Top-level questions become implicit pages (runs of only hidden/calculate rows join the next)."""
    groups: list[Group] = []
    pending: list[Question | Group] = []
    run: list[Question | Group] = []

    def close(final: bool) -> None:
        nonlocal pending, run
        visible = any(isinstance(q, Question) and q.type not in ("hidden", "calculate") for q in run)
        if run and (visible or final):
            groups.append(Group(name=f"page_{len(groups) + 1}", label=dict(title), children=(*pending, *run),
                                location=(pending or run)[0].location, xlsform={"page": "implicit"}))
            pending, run = [], []
        elif run:
            pending, run = [*pending, *run], []

    for item in items:
        if isinstance(item, Group):
            close(final=False)
            # hidden rows before a group join the next page; the export writes them back before the group
            pending = [q if q.xlsform.get("before") or not isinstance(q, Question)
                       else dataclasses.replace(q, xlsform={**q.xlsform, "before": item.name}) for q in pending]
            groups.append(item)
        else:
            run.append(item)
    if pending and not run and groups:
        run, pending = pending, []
    close(final=True)
    return tuple(groups)


def _pyxform_json(definition: Any, file: str, found: _Findings) -> dict[str, Any]:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    warnings: list[str] = []
    try:
        form = workbook_to_json(workbook_dict=definition, form_name=None,
                                fallback_form_name=definition.fallback_form_name, warnings=warnings)
    except PyXFormError as exc:
        text = str(exc)
        raise InstrumentError(_ROW.sub("", text).strip(), found.pyxform(text)) from exc
    for text in warnings:
        for line in text.splitlines():
            found.warn(found.pyxform(line), "xlsform", "pyxform: " + _ROW.sub("", line).strip())
    return form


def _external(definition: Any, mapper: Mapper, found: _Findings, path: Path) -> dict[str, tuple[Choice, ...]]:
    raw: dict[str, list[dict[str, Any]]] = {}
    for row in definition.external_choices or []:
        key = _key(row, "list_name") or _key(row, "list name")
        if key and row.get(key) and row.get("name"):
            raw.setdefault(row[key], []).append({k: v for k, v in row.items() if k != key})
    return choice_lists(raw, mapper.text, found.file, "external_choices", {})


def _external_keys(external_lists: dict[str, Any], form: dict[str, Any]) -> dict[str, str]:
    """What the export needs to put lists back on the external_choices sheet (and on both sheets)."""
    out: dict[str, str] = {}
    if external_lists:
        out["external_lists"] = json.dumps(sorted(external_lists))
    shared = sorted(set(external_lists) & set(form.get("choices") or {}))
    if shared:  # on both sheets: the export writes them on both
        out["shared_lists"] = json.dumps(shared)
    return out


def read_xlsform(path: str | Path, limits: Limits | None = None) -> Instrument:
    """Read an XLSForm into an instrument; raises :class:`InstrumentError` for what pyxform or the
    limits reject, and records a warning for everything Keireki keeps but does not honour."""
    path = Path(path)
    file = str(path)
    definition, titles = read_definition(path, limits)
    survey_title = titles.get("survey", "survey")
    found = _Findings(file, survey_title)
    _own_types(definition)
    protect_texts(definition.survey)
    protect_texts(definition.choices)
    protect_texts(definition.external_choices)
    rows = {k: v for k, v in _row_index(list(definition.survey or []), "name").items()}
    form = _pyxform_json(definition, file, found)
    settings = {k.strip().lower(): v for k, v in ((definition.settings or [{}])[0] or {}).items()}
    where = Location(file, 2, titles.get("settings", "settings"))
    for key in sorted(k for k in settings if k in {s.lower() for s in _ODK_SETTINGS}):
        found.warn(where, f"settings.{key}", f"the setting {key!r} is for ODK servers and apps; Keireki keeps it "
                   "for the export but does not use it")
    choice_rows = _row_index(list(definition.choices or []), "list_name", "name")
    for list_name, items in (form.get("choices") or {}).items():
        for item in items:
            if item.get("media"):
                row = next(iter(choice_rows.get(f"{list_name}\x00{item.get('name')}") or []), None)
                found.warn(Location(file, row, titles.get("choices", "choices")),
                           f"choices.{list_name}.{item.get('name')}.media",
                           "choice media (images, audio) are not shown; the export keeps them")
    default, languages, names = _languages(form, settings)
    from instruments.xlsform import language_tag

    def lang_of(spec: str) -> str:
        return default if spec == "default" else language_tag(spec)

    generated = _generated(form.get("children") or [], rows)
    mapper = Mapper(file, survey_title, rows, lang_of, found.warn, generated)
    top = mapper.children(form.get("children") or [])
    if not top:
        raise InstrumentError("the survey sheet has no questions", Location(file, None, survey_title))
    lists = choice_lists(form.get("choices") or {}, mapper.text, file, titles.get("choices", "choices"),
                         _row_index(list(definition.choices or []), "list_name", "name"))
    external_lists = _external(definition, mapper, found, path)
    for list_name, items in external_lists.items():  # a list on both sheets: select_one uses the choices sheet's
        lists.setdefault(list_name, items)
    for q in (n for n in _walk(top) if isinstance(n, Question)):
        if q.choices and q.choices not in lists and q.choices.endswith((".csv", ".xml")):
            lists[q.choices] = _file_choices(path, q.choices, q.location or Location(file), default)
    title = _title(definition, mapper, form)
    ident = settings.get("form_id") or str(form.get("id_string") or path.stem)
    extra = {"language_names": json.dumps(names, ensure_ascii=False, sort_keys=True)} if names else {}
    others = sorted(f"{q.choices}/other" for q in _walk(top) if isinstance(q, Question) and q.xlsform.get("or_other")
                    and f"{q.choices}\x00other" not in choice_rows)
    if others:
        extra["generated_choices"] = json.dumps(sorted(set(others)))
    extra.update(_external_keys(external_lists, form))
    return Instrument(
        id=ident, version=settings.get("version", "1"), title=title or {default: ident}, default_language=default,
        languages=tuple(languages), groups=_pages(top, title or {default: ident}), choice_lists=lists,
        settings={k: v for k, v in settings.items() if k not in _RESERVED_SETTINGS and "::" not in k
                  and ":" not in k}, source=file, xlsform=extra, import_findings=tuple(found.items),
    )


def _title(definition: Any, mapper: Mapper, form: dict[str, Any]) -> Text:
    row = (definition.settings or [{}])[0] or {}
    out: Text = {}
    for key, value in row.items():
        base, sep, lang = key.partition("::") if "::" in key else key.partition(":")
        if base.strip().lower() == "form_title" and value:
            out[mapper.lang_of(lang.strip()) if sep else mapper.lang_of("default")] = value
        if key.strip().lower() == "title_translations" and value:
            try:
                more = json.loads(value)
            except json.JSONDecodeError as exc:
                raise InstrumentError(f"title_translations: not JSON ({exc.msg})", Location(mapper.file)) from None
            out.update({str(k): str(v) for k, v in more.items()} if isinstance(more, dict) else {})
    return out


def _walk(nodes: tuple[Question | Group, ...]) -> list[Question | Group]:
    out: list[Question | Group] = []
    for node in nodes:
        out.append(node)
        if isinstance(node, Group):
            out += _walk(node.children)
    return out


def _generated(children: list[dict[str, Any]], rows: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
    """Elements pyxform added (no row of their own): ``x_other`` (or_other), ``jobs_count``."""
    out: dict[str, dict[str, Any]] = {}
    for element in children:
        name = element.get("name", "")
        if name and name not in rows and name != "meta":
            out[name] = element
        out.update(_generated(element.get("children") or [], rows))
    return out
