"""Researcher pages: agenda, interview page (outcome, notes, transcript, contact), availability, types, outbox."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import docx
import pytest
from babel.dates import format_time
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import book_via_client, csrf_of
from webapp.models import (
    AuditEvent,
    AvailabilityOverride,
    AvailabilityRule,
    Booking,
    InterviewType,
    Membership,
    Participant,
)


@pytest.fixture
def booked(client: FlaskClient, session: Session, setup_booking: Any) -> dict[str, Any]:
    s = setup_booking()
    assert book_via_client(client, s["study"], s["token"]).status_code == 302
    s["booking"] = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    return s


def _as(make_user: Any, sign_in: Any, study: Any, role: str, **fields: Any) -> Any:
    user = make_user(study=study, role=role, **fields)
    sign_in(user)
    return user


def test_agenda_day_and_week_in_the_viewers_zone(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "researcher", timezone="Pacific/Honolulu")
    b = booked["booking"]
    local = b.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Honolulu"))
    day = client.get(f"/studies/{booked['study'].slug}/schedule/?date={local.date().isoformat()}")
    assert day.status_code == 200
    assert booked["participant"].code in day.text
    assert format_time(local, "short", locale="en") + "–" in day.text
    assert "(United States (Honolulu) Time)</time>" in day.text  # the zone named
    other_day = client.get(f"/studies/{booked['study'].slug}/schedule/?date={(local.date() + timedelta(days=1))}")
    assert booked["participant"].code not in other_day.text
    week = client.get(f"/studies/{booked['study'].slug}/schedule/?view=week&date={local.date().isoformat()}")
    assert booked["participant"].code in week.text
    assert client.get(f"/studies/{booked['study'].slug}/schedule/?date=nonsense").status_code == 200
    for far in ("9999-12-31", "0001-01-01"):
        assert client.get(f"/studies/{booked['study'].slug}/schedule/?view=week&date={far}").status_code == 200


def test_interviewers_see_only_their_own_interviews(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "interviewer")
    slug, b = booked["study"].slug, booked["booking"]
    week = client.get(f"/studies/{slug}/schedule/?view=week&date={b.starts_at.date().isoformat()}")
    assert booked["participant"].code not in week.text
    assert client.get(f"/studies/{slug}/schedule/interviews/{b.id}").status_code == 404
    assert client.get(f"/studies/{slug}/schedule/availability").status_code == 403


def test_viewer_and_strangers_cannot_open_the_agenda(
    client: FlaskClient, make_user: Any, sign_in: Any, make_study: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "viewer")
    assert client.get(f"/studies/{booked['study'].slug}/schedule/").status_code == 403
    _as(make_user, sign_in, make_study(), "owner")
    assert client.get(f"/studies/{booked['study'].slug}/schedule/interviews/{booked['booking'].id}").status_code == 403


def test_assigned_interviewer_sees_contact_and_each_view_is_audited(
    client: FlaskClient, session: Session, sign_in: Any, booked: dict[str, Any]
) -> None:
    sign_in(booked["interviewer"])
    slug, b = booked["study"].slug, booked["booking"]
    page = client.get(f"/studies/{slug}/schedule/interviews/{b.id}")
    assert page.status_code == 200
    assert "p@example.org" not in page.text  # not shown until asked for
    contact = client.get(f"/studies/{slug}/schedule/interviews/{b.id}/contact")
    assert "p@example.org" in contact.text
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.view")).all()
    assert [e.target for e in events] == [f"participant:{booked['participant'].code}"]
    assert "p@example.org" not in str(events[0].detail)


def test_interviewer_of_a_cancelled_interview_no_longer_sees_contact(
    client: FlaskClient, session: Session, sign_in: Any, booked: dict[str, Any]
) -> None:
    sign_in(booked["interviewer"])
    slug, b = booked["study"].slug, booked["booking"]
    b.status = "cancelled"
    session.add(b)
    session.commit()
    assert client.get(f"/studies/{slug}/schedule/interviews/{b.id}/contact").status_code == 403
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "contact.view")).all() == []


def test_researcher_without_view_contact_cannot_see_contact(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "researcher")
    b = booked["booking"]
    assert client.get(f"/studies/{booked['study'].slug}/schedule/interviews/{b.id}/contact").status_code == 403


def test_outcome_notes_and_transcript(
    app: Flask, client: FlaskClient, session: Session, sign_in: Any, booked: dict[str, Any]
) -> None:
    sign_in(booked["interviewer"])
    slug, b = booked["study"].slug, booked["booking"]
    url = f"/studies/{slug}/schedule/interviews/{b.id}"
    csrf = csrf_of(client.get(url).text)
    client.post(f"{url}/notes", data={"csrf_token": csrf, "notes": "Spoke about the move to SSW."})
    session.refresh(b)
    assert b.notes_enc is not None
    assert b"SSW" not in b.notes_enc
    assert "Spoke about the move to SSW." in client.get(url).text
    # a .docx transcript, stored encrypted under the data directory
    document = docx.Document()
    document.add_paragraph("Q: Xin chào. A: Tôi làm ở nhà máy.")
    buffer = io.BytesIO()
    document.save(buffer)
    upload = client.post(
        f"{url}/transcript",
        data={"csrf_token": csrf, "transcript": (io.BytesIO(buffer.getvalue()), "t.docx")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    session.refresh(b)
    stored = app.config["KEIREKI"].data_dir / (b.transcript_path or "missing")
    assert stored.is_file()
    assert "nhà máy".encode() not in stored.read_bytes()
    download = client.get(f"{url}/transcript")
    assert "Tôi làm ở nhà máy." in download.get_data(as_text=True)
    bad = client.post(
        f"{url}/transcript",
        data={"csrf_token": csrf, "transcript": (io.BytesIO("naïve".encode("latin-1")), "t.txt")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "not UTF-8" in bad.text
    wrong = client.post(
        f"{url}/transcript",
        data={"csrf_token": csrf, "transcript": (io.BytesIO(b"PK\x03\x04junk"), "t.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert wrong.status_code == 200
    assert "cannot be read" in wrong.text
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.study_id == booked["study"].id))]
    assert "transcript.upload" in actions
    assert "transcript.view" in actions
    # A second upload replaces (deletes) the first file, and the audit log says so.
    first = stored
    again = client.post(
        f"{url}/transcript",
        data={"csrf_token": csrf, "transcript": (io.BytesIO("Lần hai.".encode()), "t2.txt")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 302
    session.refresh(b)
    assert not first.exists()
    uploads = session.exec(select(AuditEvent).where(AuditEvent.action == "transcript.upload")
                           .order_by(AuditEvent.id)).all()
    assert [e.detail["replaced"] for e in uploads] == [False, True]
    # outcome: completed marks the participant interviewed
    client.post(f"{url}/outcome", data={"csrf_token": csrf, "outcome": "completed"})
    session.refresh(b)
    assert b.status == "completed"
    participant = session.get(Participant, b.participant_id)
    assert participant is not None
    session.refresh(participant)
    assert participant.status == "interviewed"
    after = client.get(f"/s/{booked['study'].slug}/p/{booked['token']}/interview")
    assert "Your interview has taken place" in after.text  # nothing more to book
    assert 'name="slot"' not in after.text
    assert client.post(f"{url}/outcome", data={"csrf_token": csrf, "outcome": "bogus"}).status_code == 302
    session.refresh(b)
    assert b.status == "completed"


def test_researcher_moves_and_cancels(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "researcher")
    slug, b = booked["study"].slug, booked["booking"]
    page = client.get(f"/studies/{slug}/schedule/interviews/{b.id}/reschedule")
    slots = re.findall(r'name="slot" value="([^"]+)"', page.text)
    first = datetime.strptime(slots[0], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    assert first < datetime.now(UTC) + timedelta(hours=24)  # researchers may go inside the minimum notice
    response = client.post(
        f"/studies/{slug}/schedule/interviews/{b.id}/reschedule",
        data={"csrf_token": csrf_of(page.text), "slot": slots[0]},
    )
    assert response.status_code == 302
    session.refresh(b)
    assert (b.sequence, b.starts_at) == (1, first)
    csrf = csrf_of(client.get(f"/studies/{slug}/schedule/interviews/{b.id}").text)
    client.post(f"/studies/{slug}/schedule/interviews/{b.id}/cancel", data={"csrf_token": csrf})
    session.refresh(b)
    assert (b.status, b.sequence) == ("cancelled", 2)


def test_availability_editor(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, setup_booking: Any
) -> None:
    s = setup_booking(interviewer={"days": range(5)})  # no Saturday hours yet
    _as(make_user, sign_in, s["study"], "owner")
    person = s["interviewer"]
    base = f"/studies/{s['study'].slug}/schedule/availability"
    page = client.get(f"{base}?user={person.id}")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    client.post(
        f"{base}/{person.id}/rules",
        data={"csrf_token": csrf, "weekday": "5", "start_time": "10:00", "end_time": "12:00"},
    )
    bad = client.post(
        f"{base}/{person.id}/rules",
        data={"csrf_token": csrf, "weekday": "5", "start_time": "12:00", "end_time": "10:00"},
        follow_redirects=True,
    )
    assert "The end must be after the start." in bad.text
    rules = session.exec(
        select(AvailabilityRule).where(AvailabilityRule.user_id == person.id, AvailabilityRule.weekday == 5)
    ).all()
    assert [(r.start_time, r.end_time) for r in rules if r.start_time == time(10)] == [(time(10), time(12))]
    day = date.today() + timedelta(days=3)
    client.post(f"{base}/{person.id}/overrides", data={"csrf_token": csrf, "day": day.isoformat(), "blocked": "y"})
    override = session.exec(select(AvailabilityOverride).where(AvailabilityOverride.user_id == person.id)).one()
    assert override.blocked
    client.post(f"{base}/{person.id}/overrides/{override.id}/delete", data={"csrf_token": csrf})
    assert session.exec(select(AvailabilityOverride).where(AvailabilityOverride.user_id == person.id)).all() == []
    client.post(
        f"{base}/{person.id}/profile", data={"csrf_token": csrf, "timezone": "Europe/Berlin", "languages": ["vi", "en"]}
    )
    session.refresh(person)
    assert (person.timezone, sorted(person.languages)) == ("Europe/Berlin", ["en", "vi"])
    client.post(f"{base}/{person.id}/profile", data={"csrf_token": csrf, "timezone": "Mars/Olympus"})
    session.refresh(person)
    assert person.timezone == "Europe/Berlin"
    assert client.get(f"{base}?user=999999").status_code == 404
    assert client.get(f"{base}?user=abc").status_code == 404


def test_interview_types(client: FlaskClient, session: Session, make_user: Any, sign_in: Any, make_study: Any) -> None:
    study = make_study()
    _as(make_user, sign_in, study, "researcher")
    page = client.get(f"/studies/{study.slug}/schedule/types/new")
    csrf = csrf_of(page.text)
    data = {
        "csrf_token": csrf,
        "name": "Follow-up",
        "duration_min": "45",
        "buffer_before_min": "5",
        "buffer_after_min": "10",
        "min_notice_hours": "12",
        "horizon_days": "20",
        "max_per_day": "2",
        "slot_step_min": "15",
        "modes": ["video", "in_person"],
        "place": "Room 3",
        "video_link": "https://meet.example.org/a",
        "languages": ["vi"],
        "interpreter_available": "y",
        "active": "y",
    }
    assert client.post(f"/studies/{study.slug}/schedule/types/new", data=data).status_code == 302
    itype = session.exec(select(InterviewType).where(InterviewType.study_id == study.id)).one()
    assert (itype.duration_min, itype.modes, itype.languages, itype.interpreter_available) == (
        45,
        ["video", "in_person"],
        ["vi"],
        True,
    )
    bad = client.post(
        f"/studies/{study.slug}/schedule/types/{itype.id}",
        data={**data, "duration_min": "-5", "video_link": "not a url", "modes": []},
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    session.refresh(itype)
    assert itype.duration_min == 45
    assert "Follow-up" in client.get(f"/studies/{study.slug}/schedule/types").text


def test_outbox_lists_this_studys_mail_and_the_delivery_log(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "researcher")
    page = client.get(f"/studies/{booked['study'].slug}/schedule/outbox")
    assert page.status_code == 200
    names = re.findall(r"/schedule/outbox/([0-9TZ]+-[0-9a-f]+\.eml)", page.text)
    assert len(names) == 2  # confirmation to the participant and to the interviewer
    message = client.get(f"/studies/{booked['study'].slug}/schedule/outbox/{names[0]}")
    assert "method=REQUEST" in message.text
    assert client.get(f"/studies/{booked['study'].slug}/schedule/outbox/..%2Fsecret_key").status_code == 404
    assert "Confirmation" in page.text


def test_membership_roles_decide_who_is_an_interviewer(session: Session, booked: dict[str, Any]) -> None:
    membership = session.exec(select(Membership).where(Membership.user_id == booked["interviewer"].id)).one()
    assert membership.role == "interviewer"


def test_to_be_booked_again_tells_the_participant_and_frees_the_booking(
    app: Flask, client: FlaskClient, session: Session, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _as(make_user, sign_in, booked["study"], "researcher")
    slug, b = booked["study"].slug, booked["booking"]
    url = f"/studies/{slug}/schedule/interviews/{b.id}"
    client.post(f"{url}/outcome", data={"csrf_token": csrf_of(client.get(url).text), "outcome": "rescheduled"})
    session.refresh(b)
    assert (b.status, b.sequence) == ("rescheduled", 1)
    folder = app.config["KEIREKI"].data_dir / "outbox"
    bodies = [p.read_text() for p in folder.glob("*.eml")]
    assert any("find a new time" in body and 'method="CANCEL"' in body for body in bodies)
    again = client.get(f"/s/{slug}/p/{booked['token']}/interview")
    assert 'name="slot"' in again.text
