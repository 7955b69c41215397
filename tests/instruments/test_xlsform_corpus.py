"""XLSForms Keireki did not write: every form pyxform accepts loads without errors, renders page by page
as participant forms, and its export converts in pyxform (and passes ODK Validate when Java is there)
with the same data paths, types and choices."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2xform import convert
from wtforms import Form

from instruments import load
from instruments.checker import check_instrument
from instruments.loader import bundled_paths
from instruments.xlsform import write_xlsform
from tests.support.xlsform_roundtrip import choices, paths, render, round_trip_difference
from webapp.forms import build_form_class

FORMS = Path(__file__).parent / "forms"
OWN = sorted(p for p in FORMS.glob("*.md") if p.name != "README.md")
JAVA = shutil.which("java") is not None


def test_every_form_pyxform_accepts_loads_without_errors(capsys: pytest.CaptureFixture[str]) -> None:
    accepted, reasons = 0, {}
    for path in OWN:
        parse_file_to_json(str(path))  # pyxform accepts it
        errors = [str(f) for f in check_instrument(load(path)) if f.severity == "error"]
        if errors:
            reasons[path.name] = errors
        else:
            accepted += 1
    with capsys.disabled():
        print(f"\nXLSForm corpus: {accepted}/{len(OWN)} accepted ({100 * accepted // len(OWN)} %)")
    assert not reasons


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_not_honoured_is_a_warning_with_sheet_row_and_column(path: Path) -> None:
    inst = load(path)
    for severity, where, _field, _message in inst.import_findings:
        assert severity == "warning"
        assert where is not None
        assert where.file == str(path)
    if path.name == "types.md":
        found = {(w.line, f) for _s, w, f, _m in inst.import_findings if w is not None}
        assert (20, "legacy.media") in found
        assert (20, "legacy.guidance_hint") in found
        assert (17, "photo.type") not in found  # uploads are collected (webapp/services/uploads.py)
    if path.name == "logic.md":
        fields = {f for _s, _w, f, _m in inst.import_findings}
        assert {"settings.instance_name", "choices.yn.yes.media", "stamp.trigger", "shown.read_only"} <= fields


@pytest.mark.parametrize("path", OWN + bundled_paths(), ids=lambda p: p.name)
def test_export_converts_in_pyxform_with_same_paths_and_choices(path: Path, tmp_path: Path) -> None:
    inst = load(path)
    for extra in path.parent.glob("*.csv"):
        shutil.copy(extra, tmp_path)
    out = tmp_path / f"{inst.id}.xlsx"
    write_xlsform(inst, out)
    exported = parse_file_to_json(str(out))
    if path.suffix == ".md":
        original = parse_file_to_json(str(path))
        assert paths(exported) == paths(original)
        assert choices(exported) == choices(original)
    assert [q.name for q in load(out).questions()] == [q.name for q in inst.questions()]
    assert {k: [c.name for c in v] for k, v in load(out).choice_lists.items()} == \
        {k: [c.name for c in v] for k, v in inst.choice_lists.items()}
    convert(xlsform=str(out), validate=JAVA, warnings=[])  # ODK Validate (the jar ships with pyxform)


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_every_page_renders_as_a_participant_form(path: Path) -> None:
    assert render(load(path)) > 0


def test_geographic_fields_offer_the_location_button_and_typing() -> None:
    inst = load(FORMS / "types.md")
    questions = [q for q in inst.questions() if q.type in ("geopoint", "geoshape")]
    form = build_form_class(instrument=inst, questions=questions, language="ja", base=Form)()
    point, shape = (str(getattr(form, f"q_{q.name}")()) for q in questions)
    assert 'data-geo="point"' in point
    assert 'placeholder="35.6812 139.7671"' in point
    assert "<textarea" in shape
    assert 'data-geo="points"' in shape
    assert 'data-geo-label="Use my location"' in point


def test_types_map_to_what_the_web_form_can_do() -> None:
    inst = load(FORMS / "types.md")
    kinds = {q.name: (q.type, q.xlsform.get("type")) for q in inst.questions()}
    assert kinds["full_name"] == ("text", None)
    assert kinds["age"] == ("integer", None)
    assert kinds["home"] == ("geopoint", "geopoint")
    assert kinds["field"] == ("geoshape", "geoshape")
    assert kinds["start"] == ("hidden", "start")
    assert kinds["audit"] == ("hidden", "audit")
    assert kinds["code"] == ("text", "barcode")
    assert kinds["photo"] == ("image", "photo")  # a file input; the XLSForm type is kept for the export
    assert kinds["voice"][0] == "audio"
    assert kinds["doc"][0] == "file"
    assert kinds["legacy"][0] == "select_one"
    assert kinds["legacy2"][0] == "select_multiple"
    score = next(q for q in inst.questions() if q.name == "score")
    assert (score.type, score.constraint) == ("integer", ". >= 1 and . <= 10")
    assert inst.xlsform["language_names"] == '{"ja": "日本語 (ja)"}'
    logic = load(FORMS / "logic.md")
    other = next(q for q in logic.questions() if q.name == "happy_other")  # or_other keeps "other"
    assert other.relevant == "selected(${happy}, 'other')"
    assert [c.name for c in logic.choice_lists["yn"]] == ["yes", "no", "other"]
    fixed = next(g for g in logic.groups if g.name == "fixed")
    assert fixed.repeat_count == "3"
    external = load(FORMS / "external.md")
    assert [c.name for c in external.choice_lists["fruits.csv"]] == ["apple", "pear"]
    assert [c.name for c in external.choice_lists["city"]] == ["tokyo", "hanoi"]


def test_export_writes_back_what_pyxform_rebuilds(tmp_path: Path) -> None:
    """roundtrip.md: the rows pyxform turns into something else (loop over a list, table-list headers,
    unnamed notes, hidden rows before a group, media, a list on both choices sheets) are written so that
    pyxform builds the same form again."""
    from openpyxl import load_workbook

    path = FORMS / "roundtrip.md"
    inst = load(path)
    out = tmp_path / "roundtrip.xlsx"
    write_xlsform(inst, out)
    book = load_workbook(out)
    head, *rows = [list(r) for r in book["survey"].iter_rows(values_only=True)]
    survey = [dict(zip(head, r, strict=False)) for r in rows]
    types = [r["type"] for r in survey]
    assert types[:2] == ["start", "begin group"]  # the hidden row stays before the group
    assert "begin loop over sizes" in types
    assert next(r for r in survey if r["name"] == "grid")["appearance"] == "table-list"
    assert next(r for r in survey if r["name"] == "grid")["label::English (en)"] == "Rate these"
    assert next(r for r in survey if r["name"] == "picture")["media::image"] == "map.jpg"
    assert any(r["type"] == "note" and r["name"] is None for r in survey)  # pyxform names it again
    lists = {sheet: {r[0] for r in book[sheet].iter_rows(min_row=2, values_only=True)}
             for sheet in ("choices", "external_choices")}
    assert "area" in lists["choices"]
    assert "area" in lists["external_choices"]
    assert "ward" not in lists["choices"]
    happy = next(r for r in book["choices"].iter_rows(values_only=True) if r[1] == "happy")
    assert "happy.jpg" in happy  # a choice with only a picture keeps it (ODK Validate needs a label or media)
    assert round_trip_difference(path, inst, validate=JAVA) is None
