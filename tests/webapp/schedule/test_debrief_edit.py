"""Changing a saved debrief: the interviewer or an owner, previous version kept, audited, nothing typed lost."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.webapp.schedule.conftest import DEBRIEF_ANSWERS, add_interviewer, booked_by_client, csrf_of
from webapp.models import AuditEvent, Job, Participant, Response

FIRST = {
    **DEBRIEF_ANSWERS,
    "skill_events-0-event": "recognise",
    "skill_events-0-actor": "employer_manager",
    "skill_events-0-skill_domain": "technical",
    "skill_events-0-event_episode": "1",
    "skill_events-0-event_note": "Promoted to line leader.",
}


@pytest.fixture
def saved(client: FlaskClient, session: Session, sign_in: Any, bundled_study: Any) -> dict[str, Any]:
    """An interview of the bundled study with the debrief its interviewer saved."""
    booking, interviewer = booked_by_client(client, session, bundled_study)
    sign_in(interviewer)
    url = f"/studies/{bundled_study.slug}/schedule/interviews/{booking.id}/debrief"
    first = client.post(url, data={**FIRST, "csrf_token": csrf_of(client.get(url).text)})
    assert first.status_code == 302, first.text[:1000]
    return {"study": bundled_study, "booking": booking, "interviewer": interviewer, "url": url,
            "participant": session.get(Participant, booking.participant_id)}


def _debrief(session: Session, saved: dict[str, Any]) -> Response:
    response = session.exec(
        select(Response).where(Response.participant_id == saved["participant"].id, Response.instrument_id == "debrief")
    ).one()
    session.refresh(response)
    return response


def _edits(session: Session, saved: dict[str, Any]) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(
        AuditEvent.action == "debrief.edit", AuditEvent.study_id == saved["study"].id)))


def test_the_interviewer_changes_the_debrief_and_the_previous_version_is_kept(
    client: FlaskClient, session: Session, saved: dict[str, Any]
) -> None:
    interview_url = f"/studies/{saved['study'].slug}/schedule/interviews/{saved['booking'].id}"
    interview = client.get(interview_url)
    assert "Change the debrief" in interview.text
    assert "Debrief version 1, saved by Interviewer," in interview.text
    page = client.get(saved["url"])
    assert page.status_code == 200
    assert "Talked about the move to SSW." in page.text  # opened with the saved answers
    assert "Promoted to line leader." in page.text
    assert 'value="75"' in page.text
    assert 'name="revision" value="1"' in page.text
    token = csrf_of(page.text)
    changed = {**FIRST, "csrf_token": token, "revision": "1", "duration_min": "80",
               "summary": "Talked about the move to SSW and the family.", "skill_events-0-event_note": "Line leader."}

    invalid = client.post(saved["url"], data={**changed, "duration_min": "9999"})
    assert invalid.status_code == 422
    assert "Talked about the move to SSW and the family." in invalid.text  # what was typed stays
    assert "Line leader." in invalid.text
    assert 'value="9999"' in invalid.text
    assert _debrief(session, saved).answers["duration_min"] == 75
    assert _edits(session, saved) == []

    ok = client.post(saved["url"], data=changed)
    assert ok.status_code == 302, ok.text[:1000]
    response = _debrief(session, saved)
    assert response.answers["duration_min"] == 80
    assert response.answers["summary"] == "Talked about the move to SSW and the family."
    assert response.answers["skill_events"][0]["event_note"] == "Line leader."
    assert response.submitted_by == saved["interviewer"].id
    assert response.status == "submitted"  # converted again
    (previous,) = response.meta["history"]
    assert previous["answers"]["duration_min"] == 75
    assert previous["answers"]["skill_events"][0]["event_note"] == "Promoted to line leader."
    assert previous["by"] == saved["interviewer"].id
    assert response.meta["edited_by"] == saved["interviewer"].id
    assert response.meta["edited_at"] > previous["at"]
    (event,) = _edits(session, saved)
    assert (event.user_id, event.target) == (saved["interviewer"].id, f"participant:{saved['participant'].code}")
    assert event.detail == {"booking": saved["booking"].uid, "revision": 2}
    jobs = session.exec(select(Job).where(Job.kind == "convert")).all()
    assert [j.params["participant_id"] for j in jobs].count(saved["participant"].id) >= 1
    assert len(session.exec(select(Response).where(Response.participant_id == saved["participant"].id)).all()) == 1
    assert 'name="revision" value="2"' in client.get(saved["url"]).text
    assert "Debrief version 2, saved by Interviewer," in client.get(interview_url).text

    from webapp.models import RECORD_TABLES
    from workers.tasks.records import convert_batch

    assert convert_batch(session=session, participant_ids=[saved["participant"].id]).failed == {}
    table = RECORD_TABLES["skill_events"]
    notes = session.execute(sa.select(table.c.note).where(table.c.participant_id == saved["participant"].id,
                                                          table.c.source == "interview")).scalars().all()
    assert notes == ["Line leader."]  # the records follow the new version


def test_a_stale_form_does_not_overwrite_a_newer_version(
    client: FlaskClient, session: Session, saved: dict[str, Any]
) -> None:
    token = csrf_of(client.get(saved["url"]).text)
    newer = client.post(saved["url"], data={**FIRST, "csrf_token": token, "revision": "1", "summary": "Newer."})
    assert newer.status_code == 302
    stale = client.post(saved["url"], data={**FIRST, "csrf_token": token, "revision": "1", "summary": "Older tab."})
    assert stale.status_code == 409
    assert "Someone else saved this debrief" in stale.text
    assert "Older tab." in stale.text  # not lost: still on the page
    assert 'name="revision" value="2"' in stale.text  # saving again replaces that version knowingly
    assert _debrief(session, saved).answers["summary"] == "Newer."
    again = client.post(saved["url"], data={**FIRST, "csrf_token": token, "revision": "2", "summary": "Older tab."})
    assert again.status_code == 302
    response = _debrief(session, saved)
    assert response.answers["summary"] == "Older tab."
    assert [v["answers"]["summary"] for v in response.meta["history"]] == ["Talked about the move to SSW.", "Newer."]
    assert len(_edits(session, saved)) == 2


def test_an_owner_may_change_it(
    client: FlaskClient, session: Session, saved: dict[str, Any], make_user: Any, sign_in: Any
) -> None:
    owner = make_user(study=saved["study"], role="owner")
    sign_in(owner)
    page = client.get(saved["url"])
    assert page.status_code == 200
    ok = client.post(saved["url"], data={**FIRST, "csrf_token": csrf_of(page.text), "revision": "1",
                                         "summary": "Corrected by the owner."})
    assert ok.status_code == 302
    response = _debrief(session, saved)
    assert response.answers["summary"] == "Corrected by the owner."
    assert response.meta["edited_by"] == owner.id
    assert response.meta["history"][0]["by"] == saved["interviewer"].id
    assert [e.user_id for e in _edits(session, saved)] == [owner.id]
    interview = client.get(f"/studies/{saved['study'].slug}/schedule/interviews/{saved['booking'].id}")
    assert f"Debrief version 2, saved by {owner.email}," in interview.text


@pytest.mark.parametrize("role", ["researcher", "other_interviewer"])
def test_others_may_not_change_it(
    client: FlaskClient, session: Session, saved: dict[str, Any], make_user: Any, sign_in: Any, role: str
) -> None:
    if role == "researcher":
        user = make_user(study=saved["study"], role="researcher")
    else:
        user = add_interviewer(session, saved["study"])
    sign_in(user)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/account").text)
    assert found, "no CSRF token on the account page"
    token = found.group(1)
    page = client.get(saved["url"])
    # a researcher sees every interview but is sent back to it; another interviewer does not see it at all
    assert page.status_code == (302 if role == "researcher" else 404)
    post = client.post(saved["url"], data={**FIRST, "csrf_token": token, "revision": "1", "summary": "Not mine."})
    assert post.status_code == (403 if role == "researcher" else 404)
    assert _debrief(session, saved).answers["summary"] == "Talked about the move to SSW."
    assert _edits(session, saved) == []
    assert session.exec(select(Response).where(col(Response.participant_id) == saved["participant"].id)).all()
