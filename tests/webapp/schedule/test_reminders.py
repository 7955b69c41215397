"""Reminders: planned with a booking, sent once in the participant's language, retried, voided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import add_interviewer, add_participant, add_type, direct_booking
from webapp.models import Booking, DeliveryAttempt, Reminder, Study
from webapp.schedule.services import messages, reminders
from webapp.schedule.services.booking import reschedule
from webapp.schedule.services.contact import ContactChoice, store_contact
from webapp.services.mail import MailError


def make_booking(
    session: Session,
    study: Study,
    *,
    language: str = "vi",
    channel: str = "email",
    starts_in: timedelta = timedelta(days=3),
    now: datetime | None = None,
) -> Booking:
    """A booking written directly (no confirmation mail), with its reminders planned."""
    now = now or datetime.now(UTC)
    interviewer = add_interviewer(session, study, languages=(language,))
    itype = add_type(session, study)
    participant, _ = add_participant(session, study, language=language)
    start = (now + starts_in).replace(second=0, microsecond=0)
    booking = direct_booking(session, study=study, itype=itype, participant=participant, interviewer=interviewer,
                             start=start, uid=f"{participant.code}@test", token=participant.code, language=language,
                             participant_tz="Europe/Berlin", channel=channel)
    choice = (
        ContactChoice(channel="email", email="p@example.org")
        if channel == "email"
        else ContactChoice(channel="phone", phone="+819012345678")
    )
    store_contact(session=session, participant_id=participant.id or 0, choice=choice)
    reminders.plan_reminders(session=session, booking=booking, now=now)
    session.flush()
    return booking


def eml(app: Flask) -> list[Any]:
    folder = app.config["KEIREKI"].data_dir / "outbox"
    out = []
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as fh:
            out.append(BytesParser(policy=policy.default).parse(fh))
    return out


@pytest.fixture
def empty_outbox(app: Flask) -> Flask:
    folder = app.config["KEIREKI"].data_dir / "outbox"
    for path in folder.glob("*.eml") if folder.exists() else []:
        path.unlink()
    return app


def test_reminders_are_planned_and_sent_once_in_the_participants_language(
    empty_outbox: Flask, session: Session, make_study: Any
) -> None:
    booking = make_booking(session, make_study(), language="vi")
    planned = session.exec(select(Reminder).where(Reminder.booking_id == booking.id)).all()
    assert {r.kind: r.due_at for r in planned} == {
        "24h": booking.starts_at - timedelta(hours=24),
        "2h": booking.starts_at - timedelta(hours=2),
    }
    early = reminders.send_due_reminders(session=session, now=booking.starts_at - timedelta(hours=30))
    assert early.claimed == 0
    at_24h = booking.starts_at - timedelta(hours=23, minutes=59)
    summary = reminders.send_due_reminders(session=session, now=at_24h)
    assert summary.claimed == 1
    assert summary.statuses == {"sent": 1}
    again = reminders.send_due_reminders(session=session, now=at_24h + timedelta(minutes=1))
    assert again.claimed == 0
    (mail,) = eml(empty_outbox)
    assert mail["To"] == "p@example.org"
    assert "Nhắc" in str(mail["Subject"]) or "Reminder" in str(mail["Subject"])
    body = mail.get_body(("plain",)).get_content()
    assert "Giờ Nhật Bản" in body or "Japan Time" in body  # Japan time named in the participant's language
    attempts = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id)).all()
    assert [(a.purpose, a.status) for a in attempts] == [("reminder_24h", "sent")]
    summary = reminders.send_due_reminders(session=session, now=booking.starts_at - timedelta(hours=1))
    assert summary.statuses == {"sent": 1}
    assert len(eml(empty_outbox)) == 2


def test_phone_reminders_are_listed_for_manual_sending(empty_outbox: Flask, session: Session, make_study: Any) -> None:
    booking = make_booking(session, make_study(), channel="phone")
    summary = reminders.send_due_reminders(session=session, now=booking.starts_at - timedelta(hours=1))
    assert summary.statuses == {"manual": 2}  # both due by now: the 24 h one is still sent (not begun yet)
    attempts = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id)).all()
    assert {(a.channel, a.status) for a in attempts} == {("phone", "manual")}
    assert eml(empty_outbox) == []


def test_failed_mail_is_retried_then_marked_failed(
    empty_outbox: Flask, session: Session, make_study: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = make_booking(session, make_study())

    def refuse(**_kwargs: Any) -> Any:
        raise MailError("SMTPServerDisconnected: gone")

    monkeypatch.setattr(messages, "send_mail", refuse)
    now = booking.starts_at - timedelta(hours=23)
    statuses = [
        reminders.send_due_reminders(session=session, now=now + timedelta(minutes=i)).statuses
        for i in range(reminders.MAX_ATTEMPTS + 1)
    ]
    assert statuses == [{"pending": 1}] * (reminders.MAX_ATTEMPTS - 1) + [{"failed": 1}, {}]
    attempts = session.exec(
        select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id).order_by(DeliveryAttempt.id)
    ).all()  # type: ignore[arg-type]
    assert [a.status for a in attempts] == ["retried"] * (reminders.MAX_ATTEMPTS - 1) + ["failed"]
    reminder = session.exec(select(Reminder).where(Reminder.booking_id == booking.id, Reminder.kind == "24h")).one()
    assert reminder.status == "failed"
    assert "gone" in (reminder.error or "")


def test_stale_claim_of_a_crashed_sender_is_taken_over_once(
    empty_outbox: Flask, session: Session, make_study: Any
) -> None:
    booking = make_booking(session, make_study())
    reminder = session.exec(select(Reminder).where(Reminder.booking_id == booking.id, Reminder.kind == "24h")).one()
    now = booking.starts_at - timedelta(hours=23)
    assert reminders.claim(session=session, reminder_id=reminder.id or 0, worker="dead:1", now=now)
    # the dead sender got as far as writing the message before it crashed
    parts = messages.load_parts(session, booking)
    messages.to_participant(
        session,
        parts,
        purpose="reminder_24h",
        now=now,
        reminder_id=reminder.id,
        key=f"reminder:{reminder.id}",
    )
    session.commit()
    soon = reminders.send_due_reminders(session=session, now=now + timedelta(minutes=1))
    assert soon.claimed == 0  # the lease is still alive
    later = reminders.send_due_reminders(session=session, now=now + reminders.claim_lease() + timedelta(minutes=1))
    assert later.statuses == {"sent": 1}
    session.refresh(reminder)
    assert reminder.attempts == 2
    assert reminder.status == "sent"
    assert len(eml(empty_outbox)) == 1  # the re-send replaced the same outbox message


def test_reschedule_voids_old_reminders_and_plans_new_ones(
    empty_outbox: Flask, session: Session, make_study: Any
) -> None:
    study = make_study()
    booking = make_booking(session, study, starts_in=timedelta(days=5))
    old_start = booking.starts_at
    from webapp.models import InterviewType
    from webapp.schedule.services.availability import eligible_interviewers, open_slots

    itype = session.get(InterviewType, booking.interview_type_id)
    assert itype is not None
    slots = open_slots(
        session=session,
        itype=itype,
        now=datetime.now(UTC),
        eligible=eligible_interviewers(session=session, itype=itype, language=booking.language),
    )
    new_start = next(s.start for s in slots if abs(s.start - old_start) > timedelta(hours=3))
    reschedule(session=session, booking=booking, start=new_start, now=datetime.now(UTC), by="researcher")
    rows = session.exec(select(Reminder).where(Reminder.booking_id == booking.id)).all()
    assert sorted((r.booking_sequence, r.kind, r.status) for r in rows) == [
        (0, "24h", "void"),
        (0, "2h", "void"),
        (1, "24h", "pending"),
        (1, "2h", "pending"),
    ]
    assert {r.due_at for r in rows if r.status == "pending"} == {
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=2),
    }
