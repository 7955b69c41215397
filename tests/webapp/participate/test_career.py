"""The participant's career drawn back to them (issue 15): the timeline on the job pages and the review, its
questions on gaps and overlaps, and "this is my career" reaching ``participants.timeline_confirmed``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from tests.support.records_db import record_rows
from tests.webapp.participate.journey import STUDY, Journey
from tests.webapp.participate.test_flow import _draft, _participant, complete_intake
from webapp.models import Response
from webapp.participate import career
from webapp.services.studies import current_version, instrument_of
from workers.tasks.records import convert_batch

TODAY = date(2026, 5, 15)
JOBS = [
    {"job_employer": "Tanaka Kogyo", "job_start": "2016-04", "job_ongoing": "no", "job_end": "2019-03",
     "job_status": "ti_1"},
    {"job_employer": "Sato Foods", "job_start": "2020-01", "job_ongoing": "no", "job_end": "2022",
     "job_status": "ti_2"},
    {"job_employer": "Mori Metal", "job_start": "2022-06", "job_ongoing": "yes", "job_status": "ssw_1"},
]


def _draw(app: Flask, session: Session, study: Any, answers: dict[str, Any], language: str) -> career.Drawing:
    version = current_version(session=session, study_id=study.id, instrument_id="ti_intake")
    with app.test_request_context(f"/s/{STUDY}/review", headers={"Accept-Language": language}):
        from flask import g

        g.language = language
        drawn = career.draw(instrument=instrument_of(version), answers=answers, today=TODAY, language=language,
                            slug=STUDY)
    assert drawn is not None
    return drawn


def test_the_drawing_has_a_row_per_job_and_asks_about_gaps_and_overlaps(
        app: Flask, session: Session, bundled_study: Any) -> None:
    drawn = _draw(app, session, bundled_study, {"jobs": JOBS}, "en")
    assert [line.label for line in drawn.lines] == ["1. Tanaka Kogyo", "2. Sato Foods", "3. Mori Metal"]
    assert (drawn.lines[0].dates, drawn.lines[0].sub) == ("Apr 2016 – Mar 2019", "Technical Intern Training (i)")
    assert drawn.lines[2].dates == "Jun 2022 –"
    assert drawn.lines[1].href == f"/s/{STUDY}/form/japan_jobs/entry/2"  # the page's first repeat: no ?r=
    assert drawn.faded
    # A year-only end ("2022") is drawn as such: a pale bar to December, the sure part to January.
    pale, sure = drawn.lines[1].bars
    assert pale.faded
    assert not sure.faded
    assert sure.width < pale.width
    assert not any(b.faded for b in drawn.lines[0].bars)
    assert drawn.lines[2].arrow is not None  # still going on
    texts = [q.text for q in drawn.questions]
    assert texts[0] == "Between March 2019 and January 2020 — were you in Japan? Working?"
    assert drawn.questions[0].href == f"/s/{STUDY}/form/japan_jobs/entry/4"
    # "2022" may run to December: Sato Foods and Mori Metal surely overlap only from June 2022 on... if it
    # ended in December. A year-only end is not a certain overlap.
    assert len(texts) == 1
    overlapping = [dict(JOBS[0]), {**JOBS[1], "job_start": "2018-10", "job_end": "2020-03"}]
    drawn = _draw(app, session, bundled_study, {"jobs": overlapping}, "en")
    assert [q.text for q in drawn.questions] == [
        "October 2018 – March 2019: 1 and 2 are at the same time. Is that right?"]
    assert [b.kind for b in drawn.bands] == ["ov"]


def test_the_months_are_written_in_the_participants_language(
        app: Flask, session: Session, bundled_study: Any) -> None:
    for language, march in (("ja", "2019年3月"), ("vi", "thg 3 2019"), ("th", "มี.ค. 2019"), ("km", "មីនា 2019")):
        drawn = _draw(app, session, bundled_study, {"jobs": JOBS}, language)
        assert march in drawn.lines[0].dates, (language, drawn.lines[0].dates)


def test_the_timeline_is_on_the_job_page_and_the_review_and_needs_no_script(
        journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("ti")
    journey.consent()
    person = complete_intake(journey, session, bundled_study, jobs=2)
    for path in ("form/japan_jobs", "review"):
        body = journey.get(f"/s/{STUDY}/{path}").get_data(as_text=True)
        block = re.search(r'<section class="card tl" id="career">.*?</section>', body, re.S)
        assert block, path
        svg = block.group(0)
        assert svg.count("<a href=") >= 2
        assert " style=" not in svg
        assert "<script" not in svg
        assert "<style" not in svg
    assert 'formaction="review/career"' in body
    assert person.status == "consented"


def _submit_and_convert(journey: Journey, session: Session, person: Any) -> tuple[Response, Any]:
    journey.post(f"/s/{STUDY}/submit", {})
    response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
    convert_batch(session=session, participant_ids=[person.id])
    from instruments.contract import PARTICIPANTS

    row = record_rows(session, person.id)["participants"][0]
    return response, row[list(PARTICIPANTS.column_names).index("timeline_confirmed")]


def test_this_is_my_career_reaches_the_records(journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("ti")
    journey.consent()
    person = complete_intake(journey, session, bundled_study, jobs=2)
    confirmed = journey.post(f"/s/{STUDY}/review/career", {"career": "yes"})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith("/review#career")
    review = journey.get(f"/s/{STUDY}/review").get_data(as_text=True)
    assert "You confirmed: this is my career." in review
    assert 'name="career"' not in review
    assert _draft(session, person).meta["timeline"]["confirmed"]
    response, cell = _submit_and_convert(journey, session, person)
    assert response.meta["timeline_confirmed"] is True
    assert cell is True


def test_a_career_changed_after_confirming_is_asked_again_and_recorded_as_not_confirmed(
        journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("ti")
    journey.consent()
    person = complete_intake(journey, session, bundled_study, jobs=1)
    journey.post(f"/s/{STUDY}/review/career", {"career": "yes"})
    draft = _draft(session, person)
    draft.answers = {**draft.answers, "jobs": [{**draft.answers["jobs"][0], "job_start": "2014-01"}]}
    session.add(draft)
    session.commit()
    review = journey.get(f"/s/{STUDY}/review").get_data(as_text=True)
    assert "You confirmed" not in review
    assert 'name="career"' in review
    response, cell = _submit_and_convert(journey, session, _participant(session))
    assert response.meta["timeline_confirmed"] is False
    assert cell is False


def test_a_manager_is_not_asked_and_the_cell_stays_empty(
        journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("manager")
    journey.consent()
    person = complete_intake(journey, session, bundled_study)
    assert 'id="career"' not in journey.get(f"/s/{STUDY}/review").get_data(as_text=True)
    assert journey.post(f"/s/{STUDY}/review/career", {"career": "yes"}).status_code == 303
    response, cell = _submit_and_convert(journey, session, person)
    assert "timeline_confirmed" not in response.meta
    assert cell is None
