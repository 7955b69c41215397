"""What real-world XLSForms do and ODK accepts (found by bench/xlsform_corpus.py on pyxform's example forms):
the old ``phone number`` type, ``.xlsm`` workbooks, texts missing the default language, choices without a
label. Each loads with a warning (never an error) and renders; a Keireki YAML stays strict."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert
from wtforms import Form

from instruments import Instrument, InstrumentError, load
from instruments.checker import check_instrument
from instruments.cli import instruments_cli
from instruments.engine import filtered_choices
from tests.instruments.test_xlsform import workbook
from webapp.forms import build_form_class, pages

SETTINGS = [["form_title", "form_id", "default_language"], ["Acceptance", "acceptance", "English"]]


def _rendered(inst: Instrument) -> str:
    out = ""
    for group in pages.visible_pages(inst, {}, date(2026, 6, 1)):
        questions = pages.questions(group)
        form = build_form_class(instrument=inst, questions=questions, language="en", base=Form)()
        out += "".join(str(field()) for field in form if field.name.isidentifier())
    return out


def _severities(inst: Instrument, field_name: str) -> set[str]:
    return {f.severity for f in check_instrument(inst) if f.field == field_name}


def test_old_phone_number_type_is_text_with_a_warning(tmp_path: Path) -> None:
    path = workbook(tmp_path / "phone.xlsx", {
        "survey": [["type", "name", "label::English"], ["phone number", "tel", "Your phone"]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])  # pyxform accepts the old spelling
    inst = load(path)
    question = next(inst.questions())
    assert (question.type, question.xlsform.get("type")) == ("text", "phone number")
    assert any(f == "tel.type" and "phone number" in m for _s, _w, f, m in inst.import_findings)
    assert not [f for f in check_instrument(inst) if f.severity == "error"]
    assert 'name="tel"' in _rendered(inst)


def test_xlsm_workbook_is_read_like_xlsx(tmp_path: Path) -> None:
    path = workbook(tmp_path / "macros.xlsm", {
        "survey": [["type", "name", "label"], ["integer", "age", "Age"]], "settings": SETTINGS})
    result = CliRunner().invoke(instruments_cli, ["check", str(tmp_path)])  # a folder picks .xlsm too
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output
    assert [q.name for q in load(path).questions()] == ["age"]


def test_texts_missing_the_default_language_warn_and_fall_back(tmp_path: Path) -> None:
    path = workbook(tmp_path / "langs.xlsx", {
        "survey": [["type", "name", "label::English", "hint::Français"],
                   ["select_one yn", "ok", "Fine?", "Ça va ?"]],
        "choices": [["list_name", "name", "label::English"], ["yn", "yes", "Yes"], ["yn", "no", None]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])
    inst = load(path)
    assert _severities(inst, "ok.hint") == {"warning"}
    assert _severities(inst, "choices.yn.no.label") == {"warning"}
    assert not [f for f in check_instrument(inst) if f.severity == "error"]
    html = _rendered(inst)
    assert re.search(r'value="no"[^>]*>\s*<label[^>]*>no</label>', html)  # the choice shown by its name


def test_yaml_instrument_still_needs_the_default_language(tmp_path: Path) -> None:
    path = tmp_path / "strict.yaml"
    path.write_text("id: strict\nversion: '1'\ndefault_language: en\nlanguages: [en, fr]\ntitle: {en: Strict}\n"
                    "survey:\n  - group: p1\n    label: {en: Page}\n    children:\n"
                    "      - {name: ok, type: text, label: {en: 'Fine?'}, hint: {fr: 'Ça va ?'}}\n",
                    encoding="utf-8")
    assert _severities(load(path), "ok.hint") == {"error"}


def test_last_saved_is_accepted_with_a_warning_that_it_stays_empty(tmp_path: Path) -> None:
    path = workbook(tmp_path / "saved.xlsx", {
        "survey": [["type", "name", "label", "calculation"], ["text", "city", "City", None],
                   ["calculate", "before", None, "concat(${last-saved#city}, '')"]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])
    findings = check_instrument(load(path))
    assert not [f for f in findings if f.severity == "error"]
    assert any(f.severity == "warning" and "${last-saved#city} is always empty" in f.message for f in findings)


def test_choice_filter_on_a_missing_column_is_empty_with_a_warning(tmp_path: Path) -> None:
    path = workbook(tmp_path / "pastel.xlsx", {  # pyxform's or_other.xlsx writes pastel=yes (no quotes)
        "survey": [["type", "name", "label", "choice_filter"], ["select_one colors", "fav", "Pastel?", "pastel=yes"]],
        "choices": [["list_name", "name", "label", "pastel"], ["colors", "red", "Red", "no"],
                    ["colors", "mauve", "Mauve", "yes"]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])
    inst = load(path)
    assert _severities(inst, "fav.choice_filter") == {"warning"}
    question = next(inst.questions())
    # XPath reads the missing column as empty: no choice matches (as in ODK); a quoted 'yes' would
    assert filtered_choices(inst, question, {}, today=date(2026, 6, 1)) == ()


def test_duplicate_choice_names_with_allow_choice_duplicates_are_a_warning(tmp_path: Path) -> None:
    def book(name: str, allow: str | None) -> Path:
        return workbook(tmp_path / name, {
            "survey": [["type", "name", "label", "choice_filter"], ["select_one state", "state", "State", None],
                       ["select_one counties", "county", "County", "state=${state}"]],
            "choices": [["list_name", "name", "label", "state"], ["state", "wa", "Washington", None],
                        ["state", "tx", "Texas", None], ["counties", "king", "King", "wa"],
                        ["counties", "king", "King", "tx"]],
            "settings": [SETTINGS[0] + ["allow_choice_duplicates"], SETTINGS[1] + [allow]]})

    with pytest.raises(InstrumentError, match="allow_choice_duplicates"):  # as pyxform without the setting
        load(book("strict.xlsx", None))
    path = book("dupes.xlsx", "yes")
    convert(xlsform=str(path), warnings=[])
    inst = load(path)
    assert _severities(inst, "choices.counties") == {"warning"}
    county = next(q for q in inst.questions() if q.name == "county")
    kept = filtered_choices(inst, county, {"state": "tx"}, today=date(2026, 6, 1))
    assert [(c.name, c.extra["state"]) for c in kept] == [("king", "tx")]


def _errors(inst: Instrument) -> list[str]:
    return [f"{f.field}: {f.message}" for f in check_instrument(inst) if f.severity == "error"]


def test_a_name_inside_a_repeat_may_repeat_one_outside_it(tmp_path: Path) -> None:
    """Kobo's household forms: ``name`` of the respondent and ``name`` of each household member (and a
    repeat ``gps`` holding a question ``gps``), as XLSForm allows: answers are stored per entry."""
    path = workbook(tmp_path / "household.xlsx", {
        "survey": [["type", "name", "label"], ["text", "name", "Your name"],
                   ["begin repeat", "member", "Members"], ["text", "name", "Their name"],
                   ["integer", "age", "Age"], ["end repeat", None, None],
                   ["begin repeat", "gps", "Places"], ["geopoint", "gps", "Where"], ["end repeat", None, None]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])
    inst = load(path)
    assert _errors(inst) == []
    shown = pages.visible_pages(inst, {}, date(2026, 6, 1))
    assert [r.name for p in shown for r in [p, *pages.repeats(p)] if r.repeat] == ["member", "gps"]
    assert 'name="name"' in _rendered(inst)


def test_a_name_twice_where_answers_are_stored_together_is_still_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "twice.xlsx", {
        "survey": [["type", "name", "label"], ["begin group", "a", "A"], ["integer", "price", "Price"],
                   ["end group", None, None], ["begin group", "b", "B"], ["integer", "price", "Price"],
                   ["end group", None, None]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])  # pyxform: unique within each group
    assert any("price.name: duplicate name 'price'" in e for e in _errors(load(path)))


def test_dots_in_names_and_the_oldest_type_names(tmp_path: Path) -> None:
    path = workbook(tmp_path / "old.xlsx", {
        "survey": [["type", "name", "label"], ["add text prompt", "trans.port", "How"],
                   ["add integer prompt", "count.all", "Count"],
                   ["note", "shown", "Shown"]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])
    inst = load(path)
    assert {q.name: q.type for q in inst.questions()} == {"trans.port": "text", "count.all": "integer",
                                                           "shown": "note"}
    assert _errors(inst) == []
    group = pages.visible_pages(inst, {}, date(2026, 6, 1))[0]
    form = build_form_class(instrument=inst, questions=pages.questions(group), language="en", base=Form)()
    assert 'name="trans.port"' in "".join(str(field()) for field in form)


def test_what_odk_lets_through_is_a_warning_for_an_xlsform(tmp_path: Path) -> None:
    """onadata's choice_filter.xlsx compares a select_multiple with '='; a subdistrict form puts a
    choice_filter on a text question (pyxform ignores it)."""
    path = workbook(tmp_path / "lenient.xlsx", {
        "survey": [["type", "name", "label", "choice_filter"], ["select_multiple c", "county", "County", None],
                   ["select_one t", "city", "City", "county = ${county}"], ["text", "other", "Other", "x = 1"]],
        "choices": [["list_name", "name", "label", "county"], ["c", "a", "A", None], ["c", "b", "B", None],
                    ["t", "x", "X", "a"], ["t", "y", "Y", "b"]],
        "settings": SETTINGS})
    convert(xlsform=str(path), warnings=[])
    inst = load(path)
    assert _errors(inst) == []
    assert _severities(inst, "city.choice_filter") == {"warning"}
    assert _severities(inst, "other.choice_filter") == {"warning"}
