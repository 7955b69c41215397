"""The compiled walk of a plan (workers.records.extract.compile_walk) and the inline forms of converters it
writes out (workers.records.values.inline)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from instruments.contract import resolve
from tests.workers.records.records_support import INTAKE, MANAGER
from workers.records.extract import Extracted, compile_walk, extract
from workers.records.plan import plan_for
from workers.records.values import Coerced, converter, inline

REFERENCE = date(2026, 5, 1)


def _read(instrument: Any, answers: dict[str, Any]) -> Extracted:
    out = Extracted()
    extract(out, plan_for(instrument), answers, {}, 0, REFERENCE)
    return out


def test_the_walk_is_the_plans_steps_written_out() -> None:
    walk = compile_walk(plan_for(INTAKE).top, False)
    source = walk.source  # type: ignore[attr-defined]
    assert source.startswith("def walk(reader, answers, path, row, top_firm):")
    assert "participant['birth_year'] = value" in source  # an integer stored as it is, at the top
    assert "reader.repeat(item_" in source  # the jobs repeat, walked by its own compiled walk
    assert "values[" not in source  # the top level has no row of its own


def test_answers_go_where_the_plan_says() -> None:
    out = _read(INTAKE, {"birth_year": 1990, "nationality": "VNM", "jlpt": "n9", "jobs": [
        {"start": "2019-04", "country": "JPN", "employees": "12", "recognised_by": ["coworkers", "nobody"]},
        "not an entry", {"end": None, "ongoing": "yes"}]})
    assert out.participant == {"birth_year": 1990, "nationality": "VNM"}
    first, event, other_event, second = out.rows
    assert (first.table, first.path, first.values["start"], first.values["employer_employees"]) == \
        ("episodes", "jobs[0]", "2019-04", 12)
    assert (event.table, event.path, event.parent, event.values["actor"]) == \
        ("skill_events", "jobs[0].recognised_by", first, "coworkers")
    assert list(event.values.items()) == [("actor", "coworkers"), ("event", "recognise"),  # constants after it
                                          ("skill_domain", "technical"), ("source", "intake")]
    assert "actor" not in other_event.values
    assert (second.path, second.values["ongoing"], "end" in second.values) == ("jobs[2]", True, False)
    assert [r.order for r in out.rows] == [0, 1, 2, 3]
    problems = sorted((p.flag, p.detail, p.row.path if p.row else None) for p in out.problems)
    assert problems == [
        ("conversion_note", "jlpt: japanese_level: 'n9' is not in the japanese_level vocabulary", None),
        ("conversion_note", "jobs[0].recognised_by: actor: 'nobody' is not in the skill_actor vocabulary",
         "jobs[0].recognised_by"),
        ("unparsed_date", "jobs[2].end: end: cannot read None as a date", "jobs[2]")]


def test_firm_questions_at_the_top_make_one_firm_row() -> None:
    out = _read(MANAGER, {"firm_name": "A", "firm_employees": 30, "other_firms": [{"other_name": "B"}]})
    firms = [r for r in out.rows if r.table == "firms"]
    assert [(r.path, r.values.get("firm_name")) for r in firms] == [("", "A"), ("other_firms[0]", "B")]
    assert firms[0].values["employees"] == 30


_KINDS = {
    "code": ("episodes.residence_status", {}, ["ti_1", "tourist", 3, None, True, ["ti_1"]]),
    "coded": ("participants.education_level", {"bachelor": "6", "x": "nope"}, ["bachelor", "6", "x", "7", 7]),
    "string": ("episodes.job_title", {}, ["Cafe\u0301", "", 12, None, ["a", "b"]]),
    "date": ("episodes.start", {}, ["2019-04", "2019-13", " 2019 ", "R6.4", 2019, None]),
    "integer": ("episodes.employer_employees", {}, [12, "12", 1.0, True, None, "x"]),
}


@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_inline_forms_give_what_the_converter_gives(kind: str) -> None:
    target, codes, answers = _KINDS[kind]
    _, column = resolve(target)
    common = inline(column, codes, "_0")
    assert common is not None
    convert = converter(column, codes)
    matched = 0
    for value in answers:
        names = dict(common.names, value=value)
        if eval(common.condition, names):  # noqa: S307 - our own expression
            matched += 1
            cell = eval(common.cell, names)  # noqa: S307
            assert cell is not None
            assert not isinstance(cell, Coerced)
            assert (type(cell), cell) == (type(convert(value)), convert(value)), value
    assert 0 < matched < len(answers)  # the common case and the others
    assert inline(resolve("episodes.ongoing")[1], {}, "_0") is None  # booleans: the converter's own cache
