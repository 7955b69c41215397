"""The form builder's registry and the pure page logic, with the bundled instruments (no app, no database)."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

import instruments
from webapp.forms import FIELD_BUILDERS, build_form_class, form_values, page_service, pages, raw_value, widget_of

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def ti() -> instruments.Instrument:
    return instruments.load_bundled()["ti_intake"]


def test_every_answerable_type_has_a_field_builder() -> None:
    answerable = set(instruments.QUESTION_TYPES) - {"note", "calculate", "hidden"}
    assert set(FIELD_BUILDERS) == answerable


def test_a_page_becomes_a_form_with_widgets_by_type(ti: instruments.Instrument) -> None:
    group = pages.find_page(ti, "background")
    assert group is not None
    questions = pages.questions(group)
    form = build_form_class(instrument=ti, questions=questions, language="vi", base=Form)(
        formdata=MultiDict([("birth_year", "１９９５"), ("gender", "female")])
    )
    widgets = {q.name: widget_of(getattr(form, f"q_{q.name}")) for q in questions if pages.answerable(q)}
    assert widgets["birth_year"] == "input"
    assert widgets["gender"] == "radio"
    assert widgets["nationality"] == "select"  # a long list is a drop-down
    assert form.q_gender.label.text == ti.text(questions[1].label, "vi")
    assert raw_value(form, questions[0]) == "１９９５"
    assert raw_value(form, questions[2]) == ""


def test_prefill_from_answers(ti: instruments.Instrument) -> None:
    group = pages.find_page(ti, "japan_jobs")
    assert group is not None
    repeat = pages.repeats(group)[0]
    qs = pages.questions(repeat)
    data = form_values(qs, {"job_training": ["ojt", "safety"], "job_start": "2019-04"})
    assert data == {"q_job_training": ["ojt", "safety"], "q_job_start": "2019-04"}


def test_apply_page_converts_keeps_pending_and_reports_appearing_questions(
    ti: instruments.Instrument,
) -> None:
    group = pages.find_page(ti, "japan_jobs")
    assert group is not None
    repeat = pages.repeats(group)[0]
    out = page_service.apply_page(
        instrument=ti,
        group=repeat,
        entry=("jobs", 0),
        answers={},
        meta={},
        contact={},
        today=TODAY,
        raw={
            "job_employer": " Công ty\u0000 ",
            "job_start": "令和2年4月",
            "job_employees": "many",
            "job_ongoing": "no",
        },
    )
    job = out.answers["jobs"][0]
    assert job["job_employer"] == "Công ty"
    assert job["job_start"] == "2020-04"
    assert "job_employees" not in job
    assert out.pending == {"job_employees": "many"}
    assert out.errors["job_employees"]["code"] == "integer"
    assert "job_end" in out.appeared  # shown only now that the job has ended
    assert "job_end" not in out.errors
    assert out.meta["raw"]["jobs[0].job_start"] == "令和2年4月"


def test_remove_entry_renumbers_paths() -> None:
    answers = {"jobs": [{"a": 1}, {"a": 2}, {"a": 3}]}
    meta = {
        "raw": {"jobs[0].x": "0", "jobs[1].x": "1", "jobs[2].x": "2"},
        "flags": [{"path": "jobs[2].x", "flag": "era_date_parsed", "detail": ""}],
        "pending": {"p/jobs/3": {"values": {"x": "?"}}, "p/jobs/2": {}},
    }
    new, new_meta = pages.remove_entry(answers=answers, meta=meta, repeat="jobs", index=1, page="p")
    assert new == {"jobs": [{"a": 1}, {"a": 3}]}
    assert new_meta["raw"] == {"jobs[0].x": "0", "jobs[1].x": "2"}
    assert new_meta["flags"][0]["path"] == "jobs[1].x"
    assert new_meta["pending"] == {"p/jobs/2": {"values": {"x": "?"}}}


def test_submitted_metadata_keeps_only_submitted_answers() -> None:
    from webapp.services.responses import _kept_meta

    answers = {"jobs": [{"start": "2020-04"}], "arrival": "2019"}
    meta = {
        "raw": {"jobs[0].start": "R2.4", "jobs[1].start": "R3.1", "gone": "x"},
        "flags": [
            {"path": "jobs[0].start", "flag": "era_date_parsed", "detail": ""},
            {"path": "gone", "flag": "zawgyi_converted", "detail": ""},
        ],
        "pending": {"p": {"values": {"a": "?"}}},
    }
    assert _kept_meta(meta, answers) == {
        "raw": {"jobs[0].start": "R2.4"},
        "flags": [{"path": "jobs[0].start", "flag": "era_date_parsed", "detail": ""}],
    }
