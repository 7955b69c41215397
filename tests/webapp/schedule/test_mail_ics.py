"""The mail service (outbox and SMTP) and the iCalendar objects (RFC 5545/5546 properties)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.webapp.schedule.test_reminders import make_booking
from webapp.config import load_settings
from webapp.models import Booking, DeliveryAttempt, Reminder
from webapp.schedule.services import messages
from webapp.schedule.services.ics import Invitation, build_ics, content_type
from webapp.services import mail

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def invitation(**changes: Any) -> Invitation:
    values: dict[str, Any] = {
        "uid": "0b0c6c1e-8a5e-4c62-9a55-2f0d9b5e7d11@keireki",
        "sequence": 2,
        "start": datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
        "end": datetime(2026, 3, 30, 9, 0, tzinfo=UTC),
        "summary": "Phỏng vấn",
        "description": "Giờ Nhật Bản",
        "location": "",
        "organizer_email": "k@example.org",
        "organizer_name": "Study",
        "attendee": "mailto:p@example.org",
        "attendee_name": "TI-0001",
        "interviewer_email": "i@example.org",
        "interviewer_name": "Ines",
        "alarm_text": "Soon",
    }
    return Invitation(**{**values, **changes})


def test_request_has_uid_sequence_utc_times_organizer_attendees_and_alarm() -> None:
    raw = build_ics(invitation(), now=NOW)
    text = raw.decode()
    assert "DTSTART:20260330T080000Z" in text
    assert "DTEND:20260330T090000Z" in text
    cal = icalendar.Calendar.from_ical(raw)
    assert str(cal["METHOD"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == "0b0c6c1e-8a5e-4c62-9a55-2f0d9b5e7d11@keireki"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:k@example.org"
    attendees = [str(a) for a in event["ATTENDEE"]]
    assert attendees == ["mailto:p@example.org", "mailto:i@example.org"]
    assert str(event["SUMMARY"]) == "Phỏng vấn"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(hours=-1)
    assert content_type("REQUEST") == "text/calendar; method=REQUEST; charset=utf-8"


def test_cancel_has_method_cancel_status_cancelled_and_no_alarm() -> None:
    cal = icalendar.Calendar.from_ical(build_ics(invitation(cancelled=True, sequence=3), now=NOW))
    event = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 3
    assert event.walk("VALARM") == []


def test_invitation_texts_follow_the_participants_language(app: Flask, session: Session, make_study: Any) -> None:
    study = make_study(title={"en": "Careers", "vi": "Sự nghiệp"})
    booking = make_booking(session, study, language="vi")
    parts = messages.load_parts(session, booking)
    inv = messages.invitation(parts, manage_url="https://k.example/i/abc")
    assert "Sự nghiệp" in inv.summary
    assert "Giờ Nhật Bản" in inv.description  # Japan time, named in Vietnamese
    assert "https://k.example/i/abc" in inv.description
    assert inv.attendee == "mailto:p@example.org"
    assert inv.uid == booking.uid


def test_outbox_message_carries_the_method_and_is_listed_per_study(tmp_path: Any) -> None:
    settings = load_settings(env={"KEIREKI_ENV": "development"}, instance_dir=tmp_path, data_dir=tmp_path / "d")
    ics = build_ics(invitation(cancelled=True), now=NOW)
    sent = mail.send_mail(
        to="p@example.org",
        subject="Hủy",
        body="Nội dung",
        ics=ics,
        ics_method="CANCEL",
        key="k1",
        study="s1",
        settings=settings,
    )
    assert sent.transport == "outbox"
    again = mail.send_mail(
        to="p@example.org",
        subject="Hủy",
        body="Nội dung",
        ics=ics,
        ics_method="CANCEL",
        key="k1",
        study="s1",
        settings=settings,
    )
    assert again.path == sent.path  # the same key replaces the same file
    mail.send_mail(to="q@example.org", subject="Other", body="x", study="s2", settings=settings)
    assert [i.to for i in mail.list_outbox(study="s1", settings=settings)] == ["p@example.org"]
    assert len(mail.list_outbox(settings=settings)) == 2
    assert sent.path is not None
    message = mail.read_outbox(sent.path.name, settings=settings)
    assert message is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "CANCEL"
    assert "METHOD:CANCEL" in attachment.get_content()
    assert message.get_body(("plain",)).get_content().strip() == "Nội dung"
    assert mail.read_outbox("../secret_key", settings=settings) is None
    assert mail.read_outbox("20260101T000000Z-0123456789abcdef.eml", settings=settings) is None


def test_an_attachment_needs_its_method() -> None:
    with pytest.raises(ValueError, match="METHOD"):
        mail.build_message(sender="a@b.c", to="d@e.f", subject="s", body="b", ics=b"BEGIN:VCALENDAR")


class FakeSMTP:
    sent: list[Any] = []
    calls: list[str] = []

    def __init__(self, host: str, port: int, timeout: int) -> None:
        FakeSMTP.calls.append(f"connect {host}:{port}")

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *args: Any) -> None:
        FakeSMTP.calls.append("quit")

    def has_extn(self, name: str) -> bool:
        return name == "starttls"

    def starttls(self, context: Any) -> None:
        FakeSMTP.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        FakeSMTP.calls.append(f"login {user}:{password}")

    def send_message(self, msg: Any) -> None:
        FakeSMTP.sent.append(msg)


def test_smtp_with_starttls_and_login(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    settings = load_settings(
        env={"KEIREKI_ENV": "development", "KEIREKI_SMTP_URL": "smtp://me%40x.org:p%3Ass@mx:2525"},
        instance_dir=tmp_path,
    )
    sent = mail.send_mail(to="p@example.org", subject="s", body="b", settings=settings)
    assert sent.transport == "smtp"
    assert FakeSMTP.calls == ["connect mx:2525", "starttls", "login me@x.org:p:ss", "quit"]
    assert FakeSMTP.sent[0]["To"] == "p@example.org"
    assert not (tmp_path / "data" / "outbox").exists() or not list((tmp_path / "data" / "outbox").glob("*.eml"))


def test_unreachable_smtp_server_raises_mail_error(tmp_path: Any) -> None:
    settings = load_settings(
        env={"KEIREKI_ENV": "development", "KEIREKI_SMTP_URL": "smtp://127.0.0.1:1"}, instance_dir=tmp_path
    )
    with pytest.raises(mail.MailError, match="ConnectionRefused"):
        mail.send_mail(to="p@example.org", subject="s", body="b", settings=settings)


def test_withdrawal_cancels_with_method_cancel_and_voids_reminders(
    app: Flask, session: Session, make_study: Any
) -> None:
    withdrawal = pytest.importorskip("webapp.services.withdrawal")
    folder = app.config["KEIREKI"].data_dir / "outbox"
    before = set(folder.glob("*.eml")) if folder.exists() else set()
    booking = make_booking(session, make_study())
    from webapp.models import Participant

    participant = session.get(Participant, booking.participant_id)
    withdrawal.withdraw(session=session, participant=participant, actor="participant:x", now=datetime.now(UTC))
    session.commit()
    booking = session.get(Booking, booking.id)
    assert booking is not None
    assert (booking.status, booking.sequence, booking.cancelled_by) == ("cancelled", 1, "withdrawal")
    assert {r.status for r in session.exec(select(Reminder).where(Reminder.booking_id == booking.id))} == {"void"}
    attempts = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id)).all()
    assert sorted((a.purpose, a.detail["to"], a.status) for a in attempts) == [
        ("cancel", "interviewer", "sent"),
        ("cancel", "participant", "sent"),
    ]
    new = sorted(set(folder.glob("*.eml")) - before)
    assert len(new) == 2
    assert all(re.search(r"method=\"?CANCEL", p.read_text()) for p in new)


def test_the_participants_message_names_the_interviewer_the_team_and_the_video_link(
    app: Flask, session: Session, make_study: Any
) -> None:
    study = make_study()
    booking = make_booking(session, study, language="en")
    parts = messages.load_parts(session, booking)
    _subject, body = messages.participant_text(parts, purpose="confirmation", manage_url="https://k.example/i/abc")
    assert f"Your interviewer: {parts.interviewer.name or parts.interviewer.email}" in body
    assert f"write to the research team at {app.config['KEIREKI'].mail_from}" in body
    assert booking.mode == "video"
    assert "https://meet.example.org/x" in body  # the type's video link (tests/webapp/schedule/conftest.py)
