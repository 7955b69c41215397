"""Messages to send by hand (phone, messaging app): "Mark as sent" on the outbox's to-do list."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.webapp.schedule.conftest import add_interviewer, book_via_client, csrf_of
from webapp.models import AuditEvent, Booking, DeliveryAttempt, Reminder
from webapp.schedule.services.reminders import send_due_reminders


@pytest.fixture
def by_phone(client: FlaskClient, session: Session, setup_booking: Any) -> dict[str, Any]:
    s = setup_booking()
    booked = book_via_client(client, s["study"], s["token"], channel="phone", phone="090-1234-5678")
    assert booked.status_code == 302
    s["booking"] = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    s["attempt"] = session.exec(
        select(DeliveryAttempt).where(
            DeliveryAttempt.booking_id == s["booking"].id, DeliveryAttempt.status == "manual"
        )
    ).one()
    return s


def _outbox(client: FlaskClient, study: Any) -> str:
    page = client.get(f"/studies/{study.slug}/schedule/outbox")
    assert page.status_code == 200
    return page.text


def _mark_url(s: dict[str, Any], attempt: DeliveryAttempt | None = None) -> str:
    return f"/studies/{s['study'].slug}/schedule/outbox/manual/{(attempt or s['attempt']).id}/sent"


def _any_token(client: FlaskClient) -> str:
    """A valid CSRF token of this client's session (from the account page every user may open)."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/account").text)
    assert found, "no CSRF token on the account page"
    return found.group(1)


def _audits(session: Session, s: dict[str, Any]) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "delivery.sent_by_hand", AuditEvent.study_id == s["study"].id
            )
        )
    )


def test_mark_as_sent_records_who_and_when_audits_and_leaves_the_list(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_phone: dict[str, Any]
) -> None:
    s = by_phone
    user = make_user(study=s["study"], role="researcher", name="Ren Mori", timezone="Asia/Tokyo")
    sign_in(user)
    page = _outbox(client, s["study"])
    assert page.count('action="' + _mark_url(s) + '"') == 1
    assert "To send by hand" in page

    token = csrf_of(page)
    response = client.post(_mark_url(s), data={"csrf_token": token})
    assert response.status_code == 302
    session.refresh(s["attempt"])
    attempt = s["attempt"]
    assert attempt.status == "sent"
    assert attempt.detail["by_hand"] is True
    assert attempt.detail["sent_by"] == user.id
    assert attempt.detail["to"] == "participant"  # what was there is kept
    sent_at = attempt.detail["sent_at"]
    (event,) = _audits(session, s)
    assert event.user_id == user.id
    assert event.actor == f"user:{user.email}"
    assert event.target == f"booking:{s['booking'].uid}"
    assert event.detail["delivery"] == attempt.id

    after = _outbox(client, s["study"])
    assert _mark_url(s) not in after
    assert "To send by hand" not in after  # nothing else was manual
    assert "by hand: Ren Mori" in after

    again = client.post(_mark_url(s), data={"csrf_token": token})  # a second click, from another tab
    assert again.status_code == 302
    session.refresh(attempt)
    assert attempt.detail["sent_at"] == sent_at
    assert attempt.detail["sent_by"] == user.id
    assert len(_audits(session, s)) == 1
    assert "already marked as sent" in client.get(again.headers["Location"]).text


def test_marking_needs_the_csrf_token_and_a_post(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_phone: dict[str, Any]
) -> None:
    s = by_phone
    sign_in(make_user(study=s["study"], role="owner"))
    assert client.post(_mark_url(s)).status_code == 400
    assert client.get(_mark_url(s)).status_code == 405
    session.refresh(s["attempt"])
    assert s["attempt"].status == "manual"
    assert _audits(session, s) == []


@pytest.mark.parametrize("role", ["viewer", None])
def test_roles_that_do_not_see_the_list_may_not_mark(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_phone: dict[str, Any], role: str | None
) -> None:
    s = by_phone
    sign_in(make_user(study=s["study"] if role else None, role=role))
    assert client.get(f"/studies/{s['study'].slug}/schedule/outbox").status_code == 403
    assert client.post(_mark_url(s), data={"csrf_token": _any_token(client)}).status_code == 403
    session.refresh(s["attempt"])
    assert s["attempt"].status == "manual"
    assert _audits(session, s) == []


def test_the_assigned_interviewer_marks_the_message_of_their_interview_audited(
    client: FlaskClient, session: Session, sign_in: Any, by_phone: dict[str, Any]
) -> None:
    s = by_phone
    sign_in(s["interviewer"])
    assert client.get(f"/studies/{s['study'].slug}/schedule/outbox").status_code == 403  # not the whole list
    page = client.get(f"/studies/{s['study'].slug}/schedule/interviews/{s['booking'].id}")
    assert ">Mark as sent</button>" in page.text
    marked = client.post(_mark_url(s) + "?back=interview", data={"csrf_token": csrf_of(page.text)})
    assert marked.status_code == 302
    assert marked.headers["Location"].endswith(f"/schedule/interviews/{s['booking'].id}")
    session.refresh(s["attempt"])
    assert s["attempt"].status == "sent"
    assert s["attempt"].detail["sent_by"] == s["interviewer"].id
    (event,) = _audits(session, s)
    assert event.user_id == s["interviewer"].id
    assert event.target == f"booking:{s['booking'].uid}"


def test_another_interviewer_cannot_mark_a_message_of_an_interview_not_theirs(
    client: FlaskClient, session: Session, sign_in: Any, by_phone: dict[str, Any]
) -> None:
    s = by_phone
    sign_in(add_interviewer(session, s["study"]))
    assert client.post(_mark_url(s), data={"csrf_token": _any_token(client)}).status_code == 404
    session.refresh(s["attempt"])
    assert s["attempt"].status == "manual"
    assert _audits(session, s) == []


def test_an_attempt_of_another_study_is_not_found(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_phone: dict[str, Any],
    make_study: Any
) -> None:
    s = by_phone
    other = make_study()
    sign_in(make_user(study=other, role="owner"))
    token = _any_token(client)
    url = f"/studies/{other.slug}/schedule/outbox/manual/{s['attempt'].id}/sent"
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    missing = f"/studies/{other.slug}/schedule/outbox/manual/999999999/sent"
    assert client.post(missing, data={"csrf_token": token}).status_code == 404
    session.refresh(s["attempt"])
    assert s["attempt"].status == "manual"


def test_a_message_sent_by_mail_cannot_be_marked(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, setup_booking: Any
) -> None:
    s = setup_booking()
    assert book_via_client(client, s["study"], s["token"]).status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    mailed = session.exec(
        select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id, DeliveryAttempt.status == "sent")
    ).first()
    assert mailed is not None
    sign_in(make_user(study=s["study"], role="researcher"))
    assert "/schedule/outbox/manual/" not in _outbox(client, s["study"])
    response = client.post(_mark_url(s, mailed), data={"csrf_token": _any_token(client)})
    assert "not one to send by hand" in client.get(response.headers["Location"]).text
    session.refresh(mailed)
    assert "by_hand" not in mailed.detail
    assert _audits(session, s) == []


def test_a_reminder_sent_by_hand_is_sent(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_phone: dict[str, Any]
) -> None:
    s = by_phone
    booking = s["booking"]
    summary = send_due_reminders(session=session, now=booking.starts_at - timedelta(hours=23))
    assert summary.statuses == {"manual": 1}
    reminder = session.exec(select(Reminder).where(Reminder.booking_id == booking.id, Reminder.kind == "24h")).one()
    assert reminder.status == "manual"
    attempt = session.exec(
        select(DeliveryAttempt).where(col(DeliveryAttempt.reminder_id) == reminder.id)
    ).one()
    sign_in(make_user(study=s["study"], role="owner"))
    page = _outbox(client, s["study"])
    assert page.count("/schedule/outbox/manual/") == 2  # the confirmation and the reminder
    assert client.post(_mark_url(s, attempt), data={"csrf_token": csrf_of(page)}).status_code == 302
    session.refresh(reminder)
    session.refresh(attempt)
    assert (attempt.status, reminder.status) == ("sent", "sent")
    assert page.count("/schedule/outbox/manual/") - 1 == _outbox(client, s["study"]).count("/schedule/outbox/manual/")
