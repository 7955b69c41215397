"""What the XLSForm corpus test and ``bench/xlsform_corpus.py`` both check on a form Keireki accepts:
every visible page builds as participant form fields, and the form's export converts in pyxform with
the same data paths, types and choices as the original."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2xform import convert
from wtforms import Form

from instruments import Instrument, load
from instruments.xlsform import write_xlsform
from webapp.forms import build_form_class, pages

_GENERATED = re.compile(r"^(generated_note_name_|generated_table_list_label_|reserved_name_for_field_list_labels_)\d+$")


def _same_type(kind: str) -> str:
    """One name for the type names pyxform writes the same XForm for (``add text prompt`` and ``text``)."""
    kind = kind.lower()
    spec = QUESTION_TYPE_DICT.get(kind)
    if spec is None:
        return kind
    return min((n for n, other in QUESTION_TYPE_DICT.items() if other == spec), key=lambda n: (len(n), n))


def paths(form: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str | None]]:
    """(data path, type, choice list) of every element of pyxform's JSON, case-folded as pyxform's
    types are case-insensitive, aliases of one type under one name, and the row number taken out of the
    names pyxform makes up for notes without a name and for table-list headers."""
    out: list[tuple[str, str, str | None]] = []
    for child in form.get("children", []):
        name = _GENERATED.sub(r"\1N", child["name"])
        path = f"{prefix}/{name}"
        out.append((path, _same_type(child["type"]), child.get("itemset") or child.get("list_name")))
        out += paths(child, path)
    return out


def choices(form: dict[str, Any]) -> dict[str, list[str]]:
    """Choice list name → choice names, in order, of pyxform's JSON."""
    return {name: [c["name"] for c in items] for name, items in (form.get("choices") or {}).items()}


def render(inst: Instrument, language: str | None = None) -> int:
    """Every visible page as WTForms fields (the markup the participant page puts in its template);
    the number of questions shown. Raises AssertionError when a field lacks its answer's name."""
    shown = 0
    for group in pages.visible_pages(inst, {}, date(2026, 6, 1)):
        for part in [group, *pages.repeats(group)]:
            questions = pages.questions(part)
            form = build_form_class(instrument=inst, questions=questions,
                                    language=language or inst.default_language, base=Form)()
            for question in questions:
                field = getattr(form, f"q_{question.name}", None)
                if field is not None:
                    html = str(field())
                    assert f'name="{question.name}"' in html, f"{question.name}: field without its name"
                    shown += 1
    return shown


def round_trip_difference(path: Path, inst: Instrument, *, validate: bool = False) -> str | None:
    """Exports ``inst`` (loaded from ``path``) with ``write_xlsform``, converts the export in pyxform and
    compares it with ``path`` as pyxform reads it. None when names, data paths, types and choices are the
    same (and the export converts); otherwise what differs first."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for extra in path.parent.glob("*.csv"):
            shutil.copy(extra, tmp)
        out = tmp / f"{inst.id}.xlsx"
        write_xlsform(inst, out)
        exported = parse_file_to_json(str(out))
        original = parse_file_to_json(str(path))
        mine, theirs = paths(exported), paths(original)
        if mine != theirs:
            return _first_difference("data paths", mine, theirs)
        if choices(exported) != choices(original):
            return _first_difference("choices", sorted(choices(exported).items()),
                                     sorted(choices(original).items()))
        again = load(out)
        if [_GENERATED.sub(r"\1N", q.name) for q in again.questions()] != \
                [_GENERATED.sub(r"\1N", q.name) for q in inst.questions()]:
            return "question names differ after loading the export"
        if {k: [c.name for c in v] for k, v in again.choice_lists.items()} != \
                {k: [c.name for c in v] for k, v in inst.choice_lists.items()}:
            return "choice lists differ after loading the export"
        convert(xlsform=str(out), validate=validate, warnings=[])
    return None


def _first_difference(what: str, mine: list[Any], theirs: list[Any]) -> str:
    for a, b in zip(mine, theirs, strict=False):
        if a != b:
            return f"{what}: export has {a!r}, original {b!r}"
    if len(mine) > len(theirs):
        return f"{what}: export has extra {mine[len(theirs)]!r}"
    return f"{what}: export lacks {theirs[len(mine)]!r}"
