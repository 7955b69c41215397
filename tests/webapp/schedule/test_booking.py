"""Booking, rescheduling and cancelling from the participant's side, with messages and .ics."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import icalendar
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.webapp.schedule.conftest import book_via_client, csrf_of
from webapp.crypto import decrypt_json
from webapp.models import Booking, Contact, DeliveryAttempt, Reminder
from webapp.schedule.routes.common import SLOT_FORMAT


def outbox(app: Flask) -> list[Any]:
    folder = app.config["KEIREKI"].data_dir / "outbox"
    out = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        with path.open("rb") as fh:
            out.append(BytesParser(policy=policy.default).parse(fh))
    return out


def clear_outbox(app: Flask) -> None:
    folder = app.config["KEIREKI"].data_dir / "outbox"
    for path in folder.glob("*.eml") if folder.exists() else []:
        path.unlink()


def manage_token(response: Any) -> str:
    match = re.search(r"/i/([A-Za-z0-9_-]+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def test_booking_page_lists_slots_in_the_participants_zone_and_language(
    client: FlaskClient, setup_booking: Any
) -> None:
    s = setup_booking(language="vi", interviewer={"languages": ("vi", "en")})
    page = client.get(f"/s/{s['study'].slug}/p/{s['token']}/interview?tz=Europe/Berlin")
    assert page.status_code == 200
    assert '<html lang="vi"' in page.text
    values = re.findall(r'name="slot" value="([^"]+)"', page.text)
    assert values
    first = datetime.strptime(values[0], SLOT_FORMAT).replace(tzinfo=UTC)
    assert first >= datetime.now(UTC) + timedelta(hours=24)
    assert 'id="tz-select"' in page.text
    assert "tz.js" in page.text
    assert "<script>" not in page.text  # no inline script (CSP)


def test_without_a_zone_the_page_shows_japan_time(client: FlaskClient, setup_booking: Any) -> None:
    s = setup_booking()
    page = client.get(f"/s/{s['study'].slug}/p/{s['token']}/interview")
    assert 'value="Asia/Tokyo" selected' in page.text or 'selected value="Asia/Tokyo"' in page.text


def test_a_zone_by_its_old_name_is_listed_once_and_utc_as_utc(client: FlaskClient, setup_booking: Any) -> None:
    s = setup_booking(language="vi", interviewer={"languages": ("vi", "en")})
    page = client.get(f"/s/{s['study'].slug}/p/{s['token']}/interview?tz=Asia/Saigon")  # as Chrome says it
    options = dict(re.findall(r'<option[^>]*value="([^"]+)"[^>]*>([^<]*)</option>', page.text))
    assert "Asia/Saigon" not in options
    assert list(options.values()).count("Giờ Việt Nam") == 1
    assert re.search(r'<option[^>]*(value="Asia/Ho_Chi_Minh" selected|selected value="Asia/Ho_Chi_Minh")', page.text)
    assert options["UTC"] == "UTC"  # not "Giờ Vùng không xác định" (an unknown region)


def test_unknown_token_or_study_is_404(client: FlaskClient, setup_booking: Any) -> None:
    s = setup_booking()
    assert client.get(f"/s/{s['study'].slug}/p/nope/interview").status_code == 404
    assert client.get(f"/s/nostudy/p/{s['token']}/interview").status_code == 404


def test_book_confirm_ics_and_email(app: Flask, client: FlaskClient, session: Session, setup_booking: Any) -> None:
    clear_outbox(app)
    s = setup_booking(language="ja", interviewer={"languages": ("ja",)})
    response = book_via_client(client, s["study"], s["token"], tz="America/Los_Angeles")
    assert response.status_code == 302
    token = manage_token(response)
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    assert booking.interviewer_id == s["interviewer"].id
    assert booking.participant_tz == "America/Los_Angeles"
    assert booking.sequence == 0
    assert booking.busy_until - booking.busy_from == timedelta(minutes=75)
    assert token not in booking.manage_token_hash
    assert booking.manage_token_expires_at == booking.ends_at
    page = client.get(f"/i/{token}")
    assert page.status_code == 200
    assert '<html lang="ja"' in page.text
    assert "日本時間" in page.text  # Japan's zone, named in Japanese
    assert "ロサンゼルス" in page.text  # and the participant's
    ics = client.get(f"/i/{token}/interview.ics")
    assert ics.headers["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    cal = icalendar.Calendar.from_ical(ics.data)
    event = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == booking.uid
    assert event.decoded("DTSTART") == booking.starts_at
    assert event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    contact = session.exec(select(Contact).where(Contact.participant_id == s["participant"].id)).one()
    assert decrypt_json(contact.data_enc)["email"] == "p@example.org"
    assert b"p@example.org" not in contact.data_enc
    mails = outbox(app)
    to_participant = [m for m in mails if m["To"] == "p@example.org"]
    assert len(to_participant) == 1
    assert len([m for m in mails if m["To"] == s["interviewer"].email]) == 1
    mail = to_participant[0]
    attachment = next(p for p in mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert f"/i/{token}" in mail.get_body(("plain",)).get_content()
    assert "インタビュー" in str(mail["Subject"]) or "interview" in str(mail["Subject"]).lower()
    reminders = session.exec(select(Reminder).where(Reminder.booking_id == booking.id)).all()
    assert sorted(r.kind for r in reminders) == ["24h", "2h"]
    attempts = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id)).all()
    assert {(a.purpose, a.status) for a in attempts} == {("confirmation", "sent")}


def test_phone_contact_is_validated_and_logged_for_manual_sending(
    client: FlaskClient, session: Session, setup_booking: Any
) -> None:
    s = setup_booking()
    bad = book_via_client(client, s["study"], s["token"], channel="phone", phone="12")
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    assert (
        session.exec(select(Booking)).first() is None
        or not session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).all()
    )
    ok = book_via_client(client, s["study"], s["token"], channel="phone", phone="090-1234-5678")
    assert ok.status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    assert booking.contact_channel == "phone"
    contact = session.exec(select(Contact).where(Contact.participant_id == s["participant"].id)).one()
    assert decrypt_json(contact.data_enc)["phone"] == "+819012345678"
    attempts = session.exec(
        select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id, DeliveryAttempt.channel == "phone")
    ).all()
    assert [a.status for a in attempts] == ["manual"]


def test_bad_input_changes_nothing(client: FlaskClient, session: Session, setup_booking: Any) -> None:
    s = setup_booking()
    url = f"/s/{s['study'].slug}/p/{s['token']}/interview"
    csrf = csrf_of(client.get(url).text)
    for data in (
        {"slot": "garbage", "mode": "video", "channel": "email", "email": "a@b.org"},
        {"slot": "20200101T0000Z", "mode": "video", "channel": "email", "email": "a@b.org"},
        {"slot": "", "mode": "carrier-pigeon", "channel": "fax"},
        {"mode": "video", "channel": "messaging", "messaging_app": "nope", "messaging_id": "x"},
    ):
        response = client.post(url, data={"csrf_token": csrf, **data})
        assert response.status_code in (409, 422), data
    assert client.post(url, data={"slot": "x"}).status_code == 400  # no CSRF token
    assert session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).all() == []


def test_second_visit_shows_the_booking_and_a_fresh_manage_link(
    client: FlaskClient, session: Session, setup_booking: Any
) -> None:
    s = setup_booking()
    first = manage_token(book_via_client(client, s["study"], s["token"]))
    page = client.get(f"/s/{s['study'].slug}/p/{s['token']}/interview")
    assert 'name="slot"' not in page.text
    moved = client.post(
        f"/s/{s['study'].slug}/p/{s['token']}/interview/manage", data={"csrf_token": csrf_of(page.text)}
    )
    second = manage_token(moved)
    assert second != first
    assert client.get(f"/i/{second}").status_code == 200
    assert client.get(f"/i/{first}").status_code == 404


def test_reschedule_keeps_uid_and_increments_sequence(
    app: Flask, client: FlaskClient, session: Session, setup_booking: Any
) -> None:
    clear_outbox(app)
    s = setup_booking()
    token = manage_token(book_via_client(client, s["study"], s["token"]))
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    uid, old_start = booking.uid, booking.starts_at
    page = client.get(f"/i/{token}?change=1")
    values = re.findall(r'name="slot" value="([^"]+)"', page.text)
    assert old_start.strftime(SLOT_FORMAT) not in values
    new = values[-1]
    response = client.post(f"/i/{token}/reschedule", data={"csrf_token": csrf_of(page.text), "slot": new})
    assert response.status_code == 302
    session.refresh(booking)
    assert booking.uid == uid
    assert booking.sequence == 1
    assert booking.starts_at.strftime(SLOT_FORMAT) == new
    assert booking.previous_starts == [old_start.isoformat()]
    reminders = session.exec(select(Reminder).where(Reminder.booking_id == booking.id)).all()
    assert sorted((r.booking_sequence, r.status) for r in reminders) == [
        (0, "void"),
        (0, "void"),
        (1, "pending"),
        (1, "pending"),
    ]
    cal = icalendar.Calendar.from_ical(client.get(f"/i/{token}/interview.ics").data)
    assert int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 1
    assert str(cal.walk("VEVENT")[0]["UID"]) == uid
    mails = [m for m in outbox(app) if m["To"] == "p@example.org"]
    assert len(mails) == 2  # confirmation and change


def test_cancel_sends_method_cancel(app: Flask, client: FlaskClient, session: Session, setup_booking: Any) -> None:
    clear_outbox(app)
    s = setup_booking()
    token = manage_token(book_via_client(client, s["study"], s["token"]))
    page = client.get(f"/i/{token}")
    assert f"/i/{token}/cancel" not in page.text  # a second step asks first
    page = client.get(f"/i/{token}?cancel=1")
    assert "Yes, cancel my interview" in page.text
    response = client.post(f"/i/{token}/cancel", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    assert booking.status == "cancelled"
    assert booking.sequence == 1
    ics = client.get(f"/i/{token}/interview.ics")
    assert ics.headers["Content-Type"] == "text/calendar; method=CANCEL; charset=utf-8"
    cal = icalendar.Calendar.from_ical(ics.data)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    cancel_mails = [m for m in outbox(app) if next(m.iter_attachments()).get_param("method") == "CANCEL"]
    assert {m["To"] for m in cancel_mails} == {"p@example.org", s["interviewer"].email}
    pending = session.execute(
        sa.select(sa.func.count())
        .select_from(Reminder)
        .where(col(Reminder.booking_id) == booking.id, col(Reminder.status) == "pending")
    ).scalar_one()
    assert pending == 0
    # the page of the cancelled interview links straight to the picker of the same interview type
    link = f'href="/i/{token}/again?type={booking.interview_type_id}"'
    assert link in client.get(f"/i/{token}").text
    again = client.get(f"/i/{token}/again?type={booking.interview_type_id}")
    assert again.status_code == 200
    assert 'name="slot"' in again.text
    assert f'action="/i/{token}/again?' in again.text
    assert 'value="p@example.org"' in again.text  # the contact given before, prefilled
    slot = re.search(r'name="slot" value="([^"]+)"', again.text).group(1)  # type: ignore[union-attr]
    rebooked = client.post(f"/i/{token}/again?tz=Asia/Tokyo", data={
        "csrf_token": csrf_of(again.text), "slot": slot, "tz": "Asia/Tokyo", "mode": "video", "channel": "email",
        "email": "p@example.org"})
    assert rebooked.status_code == 302
    new_token = manage_token(rebooked)
    assert new_token != token
    statuses = session.exec(select(Booking.status).where(Booking.participant_id == s["participant"].id)).all()
    assert sorted(statuses) == ["booked", "cancelled"]
    # the old page's "book again" now leads to the interview that is booked, not to a second one
    assert client.get(f"/i/{token}/again").status_code == 302
    assert client.get(f"/i/{new_token}/again").headers["Location"].endswith(f"/i/{new_token}")
    assert client.get("/i/not-a-token/again").status_code == 404


def test_a_day_tapped_after_choosing_the_mode_keeps_the_mode_and_the_contact(
    client: FlaskClient, setup_booking: Any
) -> None:
    """Without JavaScript the days are buttons of the booking form: what was chosen and typed comes back."""
    s = setup_booking()
    url = f"/s/{s['study'].slug}/p/{s['token']}/interview?tz=Asia/Tokyo"
    page = client.get(url)
    days = re.findall(r'name="d" formaction="([^"]+day=(\d{4}-\d{2}-\d{2})#times)"', page.text)
    assert len(days) >= 2
    action, key = days[1]
    first_slot = re.search(r'name="slot" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    action = urljoin(url, action.replace("&amp;", "&").split("#")[0])  # relative (?tz=…&day=…), as a browser
    picked = client.post(action, data={
        "csrf_token": csrf_of(page.text), "slot": first_slot, "tz": "Asia/Tokyo", "mode": "phone",
        "channel": "phone", "phone": "090-1234-5678", "d": ""})
    assert picked.status_code == 200
    assert re.search(r'value="phone"[^>]* checked|checked[^>]* value="phone"', picked.text)
    assert 'value="090-1234-5678"' in picked.text
    assert re.search(rf'day={key}#times"[^>]*aria-current="date"', picked.text)
    assert f'value="{first_slot}" checked' not in picked.text  # the other day's time is not kept chosen
    assert "role=\"alert\"" not in picked.text  # nothing was wrong: no error message


def test_inside_minimum_notice_no_change_or_cancel(client: FlaskClient, session: Session, setup_booking: Any) -> None:
    s = setup_booking()
    token = manage_token(book_via_client(client, s["study"], s["token"]))
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    s["itype"].min_notice_hours = 24 * 30  # the booked time is now inside the notice
    session.add(s["itype"])
    session.flush()
    page = client.get(f"/i/{token}")
    assert "Cancel my interview" not in page.text
    csrf = csrf_of(page.text) if "csrf_token" in page.text else ""
    client.post(f"/i/{token}/cancel", data={"csrf_token": csrf})
    session.refresh(booking)
    assert booking.status == "booked"


def test_expired_manage_link_is_404(client: FlaskClient, session: Session, setup_booking: Any) -> None:
    s = setup_booking()
    token = manage_token(book_via_client(client, s["study"], s["token"]))
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    booking.manage_token_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.add(booking)
    session.flush()
    assert client.get(f"/i/{token}").status_code == 404
    assert client.get("/i/not-a-token").status_code == 404


def test_language_and_interpreter_eligibility(client: FlaskClient, session: Session, setup_booking: Any) -> None:
    s = setup_booking(language="my")  # nobody speaks Burmese, no interpreter
    page = client.get(f"/s/{s['study'].slug}/p/{s['token']}/interview")
    assert 'name="slot"' not in page.text
    s["itype"].interpreter_available = True
    session.add(s["itype"])
    session.flush()
    response = book_via_client(client, s["study"], s["token"])
    assert response.status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    assert booking.interpreter is True


def test_default_interview_type_is_created_once(session: Session, bundled_study: Any) -> None:
    from webapp.schedule.services.booking import ensure_default_interview_type

    first = ensure_default_interview_type(session, bundled_study)
    second = ensure_default_interview_type(session, bundled_study)
    assert first.id == second.id
    assert first.study_id == bundled_study.id
    assert set(first.languages) == set(bundled_study.languages)
    assert first.modes


def test_booking_page_with_a_full_week_stays_light(client: FlaskClient, setup_booking: Any) -> None:
    """A week of slots: the seven days as links, the times of one day (Japan time beside each), plus the
    page's CSS and script: at most 15 KB (issue 15's budget)."""
    s = setup_booking(language="vi", interviewer={"languages": ("vi",)})
    url = f"/s/{s['study'].slug}/p/{s['token']}/interview?tz=Asia/Ho_Chi_Minh"
    page = client.get(url)
    assert page.text.count('class="dl"') == 7
    # The first day loses the slots already within the notice period: the second day has all 15 (09-17 Tokyo).
    days = re.findall(r"day=(\d{4}-\d{2}-\d{2})#times", page.text)
    second = client.get(f"{url}&day={days[1]}")
    assert second.text.count('name="slot"') == 15
    assert 0 < page.text.count('name="slot"') <= 15
    root = Path(__file__).resolve().parents[3] / "webapp"
    assets = [root / "static/css/app.css", root / "schedule/static/schedule.css", root / "schedule/static/tz.js"]
    assert len(second.data) + sum(p.stat().st_size for p in assets) <= 15 * 1024


def test_the_manage_page_changes_language_with_lang_and_keeps_it(
    client: FlaskClient, session: Session, setup_booking: Any
) -> None:
    s = setup_booking(language="vi", interviewer={"languages": ("vi", "ja", "en")})
    s["study"].languages = ["en", "ja", "vi"]
    session.add(s["study"])
    session.flush()
    token = manage_token(book_via_client(client, s["study"], s["token"]))
    page = client.get(f"/i/{token}", headers={"Accept-Language": "en"})
    assert '<html lang="vi"' in page.text
    assert '<a href="?lang=ja" lang="ja">日本語</a>' in page.text  # the header's language list
    page = client.get(f"/i/{token}?change=1&tz=America/Sao_Paulo&lang=ja", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert '<html lang="ja"' in page.text
    assert 'aria-current="true">日本語</a>' in page.text
    assert 'href="?lang=vi&amp;change=1&amp;tz=America%2FSao_Paulo"' in page.text  # stays on the same view
    assert 'name="slot"' in page.text
    session.refresh(s["participant"])
    assert s["participant"].form_language == "ja"
    assert '<html lang="ja"' in client.get(f"/i/{token}", headers={"Accept-Language": "en"}).text  # kept
    assert '<html lang="ja"' in client.get(f"/s/{s['study'].slug}/nostudy").text  # and in the session
    assert '<html lang="ja"' in client.get(f"/i/{token}?lang=xx").text  # not a study language: ignored


def test_a_week_number_that_is_not_ascii_digits_shows_the_first_week(client: FlaskClient, setup_booking: Any) -> None:
    s = setup_booking()
    page = client.get(f"/s/{s['study'].slug}/p/{s['token']}/interview?week=²")  # "²".isdigit() is True
    assert page.status_code == 200
