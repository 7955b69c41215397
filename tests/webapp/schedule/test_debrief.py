"""The interviewer's debrief: the bundled debrief instrument as a form, stored as a Response, conversion queued."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import DEBRIEF_ANSWERS, booked_by_client, csrf_of
from webapp.models import Job, Response


def test_debrief_is_stored_with_the_interviewer_and_queues_conversion(
    client: FlaskClient, session: Session, sign_in: Any, bundled_study: Any
) -> None:
    booking, interviewer = booked_by_client(client, session, bundled_study)
    sign_in(interviewer)
    interview = client.get(f"/studies/{bundled_study.slug}/schedule/interviews/{booking.id}")
    assert "/debrief" in interview.text
    url = f"/studies/{bundled_study.slug}/schedule/interviews/{booking.id}/debrief"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="interview_mode"' in page.text
    assert '<input checked id="interview_mode-1" name="interview_mode" type="radio" value="video">' in page.text
    csrf = csrf_of(page.text)
    base = {
        "csrf_token": csrf,
        **DEBRIEF_ANSWERS,
    }
    added = client.post(url, data={**base, "add": "skill_events"})
    assert added.status_code == 200
    assert 'name="skill_events-1-event"' in added.text
    invalid = client.post(
        url, data={**base, "count-skill_events": "2", "duration_min": "9999", "skill_events-0-event": "recognise"}
    )
    assert invalid.status_code == 422
    assert 'role="alert"' in invalid.text
    assert session.exec(select(Response).where(Response.participant_id == booking.participant_id)).all() == []
    event = {
        "skill_events-0-event": "recognise",
        "skill_events-0-actor": "employer_manager",
        "skill_events-0-skill_domain": "technical",
        "skill_events-0-event_episode": "1",
        "skill_events-0-event_note": "Promoted to line leader.",
    }
    too_long = client.post(url, data={**base, "duration_min": "9999", **event})
    assert too_long.status_code == 422
    assert "Between 1 and 600 minutes." in too_long.text  # the instrument's own constraint message
    assert 'aria-describedby="duration_min-error"' in too_long.text
    ok = client.post(url, data={**base, "count-skill_events": "2", **event})
    assert ok.status_code == 302, ok.text[:2000]
    response = session.exec(select(Response).where(Response.participant_id == booking.participant_id)).one()
    assert response.instrument_id == "debrief"
    assert response.submitted_by == interviewer.id
    assert response.answers["duration_min"] == 75
    assert response.answers["skill_events"] == [
        {
            "event": "recognise",
            "actor": "employer_manager",
            "skill_domain": "technical",
            "event_episode": 1,
            "event_note": "Promoted to line leader.",
        }
    ]
    jobs = session.exec(select(Job).where(Job.kind == "convert")).all()
    assert [j.params["participant_id"] for j in jobs] == [booking.participant_id]
    again = client.get(url)
    assert again.status_code == 200  # the interviewer may change it (test_debrief_edit.py)
    assert "Save the changes" in again.text


def _with_episodes(session: Session, study: Any, participant_id: int, count: int) -> None:
    from webapp.models import RECORD_TABLES

    session.execute(
        RECORD_TABLES["episodes"].insert(),
        [
            {"study_id": study.id, "participant_id": participant_id, "participant_code": "SIE-x", "episode_no": n,
             "kind": "job", "start": f"{2014 + n}-04", "end": f"{2015 + n}-03", "ongoing": False,
             "start_month": (2014 + n - 1900) * 12 + 4, "end_month": (2015 + n - 1900) * 12 + 3}
            for n in range(1, count + 1)
        ],
    )
    session.flush()


def test_the_episode_is_chosen_from_the_participants_own_and_nothing_else_is_saved(
    client: FlaskClient, session: Session, sign_in: Any, bundled_study: Any
) -> None:
    booking, interviewer = booked_by_client(client, session, bundled_study)
    _with_episodes(session, bundled_study, booking.participant_id, 5)
    sign_in(interviewer)
    url = f"/studies/{bundled_study.slug}/schedule/interviews/{booking.id}/debrief"
    page = client.get(url)
    assert page.status_code == 200
    assert 'class="timeline"' in page.text  # the participant's career beside the form
    assert re.search(r'<select [^>]*id="skill_events-0-event_episode" name="skill_events-0-event_episode">', page.text)
    options = re.findall(r'<option value="(\d+)">#\1', page.text)
    assert options == ["1", "2", "3", "4", "5"]
    data = {
        "csrf_token": csrf_of(page.text),
        **DEBRIEF_ANSWERS,
        "skill_events-0-event": "recognise",
        "skill_events-0-actor": "employer_manager",
        "skill_events-0-skill_domain": "technical",
        "skill_events-0-event_episode": "9",  # the participant has 5
    }
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert "Please choose one of this participant&#39;s career episodes." in refused.text
    assert session.exec(select(Response).where(Response.participant_id == booking.participant_id)).all() == []
    ok = client.post(url, data={**data, "skill_events-0-event_episode": "5"})
    assert ok.status_code == 302, ok.text[:2000]
    response = session.exec(select(Response).where(Response.participant_id == booking.participant_id)).one()
    assert response.answers["skill_events"][0]["event_episode"] == 5
