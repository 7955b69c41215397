"""E-mail addresses are checked by email-validator wherever one is typed: control characters never get in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from instruments.errors import AnswerError
from instruments.normalise import normalise_email
from tests.webapp.auth.support import csrf_token, sign_in_client
from tests.webapp.schedule.conftest import book_via_client, setup_booking  # noqa: F401 - fixture
from webapp.auth.services import AccountError, invite_user
from webapp.models import Booking, Contact, User, utcnow

HOSTILE = ["p\x00@example.org", "p\t@example.org", "p@exa\nmple.org", "p\r\nBcc: x@evil.example@example.org",
           "\u202ep@example.org", "p q@example.org", "p@localhost", "p@@example.org", "p@example..org",
           "@example.org", "p@", "a" * 65 + "@example.org"]


@pytest.mark.parametrize("address", HOSTILE)
def test_hostile_addresses_are_refused(address: str) -> None:
    with pytest.raises(AnswerError):
        normalise_email(address)


@pytest.mark.parametrize(("typed", "kept"), [("Ana@Example.ORG", "Ana@example.org"),
                                             ("ａｎａ＠example.org", "ana@example.org"),
                                             (" ana@example.org ", "ana@example.org")])
def test_good_addresses_are_kept(typed: str, kept: str) -> None:
    assert normalise_email(typed) == kept


def test_booking_refuses_a_nul_in_the_address(client: FlaskClient, session: Session,
                                              setup_booking: Any) -> None:  # noqa: F811
    s = setup_booking()
    response = book_via_client(client, s["study"], s["token"], email="p\x00@example.org")
    assert response.status_code == 422
    assert "like name@example.com" in response.text
    assert session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).all() == []
    assert session.exec(select(Contact).where(Contact.participant_id == s["participant"].id)).all() == []


def test_invitations_refuse_control_characters(app: Flask, client: FlaskClient, session: Session,
                                               make_user: Any) -> None:
    with pytest.raises(AccountError):
        invite_user(session=session, email="new\x00@example.org", now=utcnow(), actor="system")
    sign_in_client(app, client, make_user(is_admin=True))
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"csrf_token": token, "email": "new\t@example.org", "name": "X"})
    assert response.status_code in (200, 400)
    assert session.exec(select(User).where(User.email.startswith("new"))).all() == []  # type: ignore[attr-defined]
