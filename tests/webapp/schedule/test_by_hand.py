"""Messages to send by hand: the text in the participant's language, the handle and one-tap links, by role."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import add_interviewer, book_via_client
from webapp.models import AuditEvent, Booking
from webapp.schedule.services.by_hand import links_for

TEXT = "Hi & bye?"
BODY = "Hi%20%26%20bye%3F"


@pytest.mark.parametrize(("channel", "messaging_app", "handle", "phone", "expected"), [
    ("phone", None, "+819012345678", "+819012345678", [f"sms:+819012345678?body={BODY}", "tel:+819012345678"]),
    ("messaging", "line", "ren_line", "", [f"https://line.me/R/msg/text/?{BODY}"]),
    ("messaging", "LINE", "ren_line", "", [f"https://line.me/R/msg/text/?{BODY}"]),
    ("messaging", "whatsapp", "+84 91 234 5678", "", [f"https://wa.me/84912345678?text={BODY}"]),
    ("messaging", "whatsapp", "ren.wa", "+819012345678", [f"https://wa.me/819012345678?text={BODY}"]),
    ("messaging", "whatsapp", "ren.wa", "", []),
    ("messaging", "viber", "ren", "", [f"viber://forward?text={BODY}"]),
    ("messaging", "zalo", "0912345678", "", []),
    ("messaging", "messenger", "ren.m", "", []),
])
def test_links_fill_in_the_text_where_the_app_allows(app: Flask, channel: str, messaging_app: str | None,
                                                     handle: str, phone: str, expected: list[str]) -> None:
    with app.test_request_context():
        links = links_for(channel=channel, app=messaging_app, handle=handle, phone=phone, text=TEXT)
    assert [link.href for link in links] == expected


@pytest.fixture
def by_line(client: FlaskClient, session: Session, setup_booking: Any) -> dict[str, Any]:
    s = setup_booking(language="ja")
    booked = book_via_client(client, s["study"], s["token"], channel="messaging", messaging_app="line",
                             messaging_id="ren_line_42")
    assert booked.status_code == 302, booked.text[:1000]
    s["booking"] = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    return s


def _contact_views(session: Session, s: dict[str, Any]) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == "contact.view",
                                                      AuditEvent.study_id == s["study"].id)))


def _line_links(page: str) -> list[str]:
    return [unquote(html.unescape(h)) for h in re.findall(r'href="(https://line\.me/R/msg/text/\?[^"]*)"', page)]


def test_an_owner_gets_the_text_in_the_participants_language_the_handle_and_the_line_link(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_line: dict[str, Any]
) -> None:
    s = by_line
    sign_in(make_user(study=s["study"], role="owner"))
    page = client.get(f"/studies/{s['study'].slug}/schedule/outbox")
    assert page.status_code == 200
    assert "ren_line_42" in page.text
    (link,) = _line_links(page.text)
    assert s["participant"].code in link  # the message itself, filled in
    assert "Date and time" not in link  # in Japanese, the participant's language
    assert '<pre class="mail" lang="ja"' in page.text
    assert "Mark as sent" in page.text
    (event,) = _contact_views(session, s)
    assert event.target == f"participant:{s['participant'].code}"
    assert event.detail["purpose"] == "send_by_hand"


@pytest.mark.parametrize(("role", "sees_links", "may_mark"), [
    ("owner", True, True),
    ("researcher", False, True),
    ("assigned", True, True),  # their own interview: they may send it and mark it
    ("interviewer", False, False),
])
def test_role_matrix_of_the_contact_links_on_the_interview_page(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_line: dict[str, Any],
    role: str, sees_links: bool, may_mark: bool,
) -> None:
    s = by_line
    if role == "assigned":
        user = s["interviewer"]
    elif role == "interviewer":  # not assigned: cannot open the interview at all, so sees no contact
        sign_in(add_interviewer(session, s["study"]))
        assert client.get(f"/studies/{s['study'].slug}/schedule/interviews/{s['booking'].id}").status_code == 404
        assert _contact_views(session, s) == []
        return
    else:
        user = make_user(study=s["study"], role=role)
    sign_in(user)
    page = client.get(f"/studies/{s['study'].slug}/schedule/interviews/{s['booking'].id}")
    assert page.status_code == 200
    assert "To send by hand" in page.text
    assert s["participant"].code in page.text
    assert bool(_line_links(page.text)) is sees_links
    assert ("ren_line_42" in page.text) is sees_links
    assert (">Mark as sent</button>" in page.text) is may_mark
    assert len(_contact_views(session, s)) == (1 if sees_links else 0)


def test_the_outbox_shows_no_handle_to_a_researcher_without_contact_rights(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, by_line: dict[str, Any]
) -> None:
    s = by_line
    sign_in(make_user(study=s["study"], role="researcher"))
    page = client.get(f"/studies/{s['study'].slug}/schedule/outbox")
    assert page.status_code == 200
    assert "ren_line_42" not in page.text
    assert _line_links(page.text) == []
    assert '<pre class="mail" lang="ja"' in page.text  # the text, to pass on to someone who may send it
    assert _contact_views(session, s) == []
