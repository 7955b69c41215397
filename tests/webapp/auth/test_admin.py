"""The admin invites users and gives roles; an invitation link sets a password once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.auth.support import csrf_token, sign_in_client
from webapp.models import AuditEvent, Membership, User, utcnow
from webapp.services.mail import list_outbox, read_outbox
from webapp.services.passwords import verify_password

NEW_PASSWORD = "a long enough new password"


def _invite(client: FlaskClient, **data: Any) -> Any:
    token = csrf_token(client, "/admin/users")
    return client.post("/admin/users", data={"csrf_token": token, **data})


def test_invite_set_password_and_sign_in(app: Flask, client: FlaskClient, session: Session, make_user: Any,
                                         make_study: Any) -> None:
    study = make_study()
    admin = make_user(is_admin=True)
    sign_in_client(app, client, admin)
    response = _invite(client, email="New.Person@Example.org", name="New Person", study=str(study.id),
                       role="interviewer")
    assert response.status_code == 302
    html = client.get("/admin/users").get_data(as_text=True)
    link = re.search(r'value="(http[^"]+/auth/invite/[^"]+)"', html)
    assert link, html
    # The link is shown once.
    assert "/auth/invite/" not in client.get("/admin/users").get_data(as_text=True).split("All users")[0]
    user = session.exec(select(User).where(User.email == "new.person@example.org")).one()
    assert user.password_hash is None
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
    assert (membership.study_id, membership.role) == (study.id, "interviewer")
    invite_event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.invite")).one()
    assert invite_event.user_id == admin.id
    # The link was mailed too (the embedded outbox, as no SMTP server is configured).
    assert "It was also sent by e-mail." in html
    mailed = [item for item in list_outbox() if item.to == "new.person@example.org"]
    assert len(mailed) == 1
    message = read_outbox(mailed[0].name)
    assert message is not None
    assert link.group(1) in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    path = link.group(1).split("127.0.0.1:5000", 1)[-1]
    client.post("/auth/signout", data={"csrf_token": csrf_token(client)})
    assert client.get(path).status_code == 200
    token = csrf_token(client, path)
    short = client.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "at least 12 characters" in short.get_data(as_text=True)
    mismatch = client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    done = client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                   "name": "Nina"})
    assert done.status_code == 302
    session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.invite_token_hash is None
    assert user.name == "Nina"
    assert client.get("/studies").status_code == 200
    # The link is used up.
    assert client.get(path).status_code == 404


def test_expired_or_unknown_invitation(app: Flask, client: FlaskClient, session: Session) -> None:
    from webapp.auth.services import invite_user

    user, token = invite_user(session=session, email="late@example.org", now=utcnow() - timedelta(days=8),
                              actor="system")
    assert token is not None
    response = client.get(f"/auth/invite/{token}")
    assert response.status_code == 404
    assert "no longer valid" in response.get_data(as_text=True)
    assert client.get("/auth/invite/" + "x" * 500).status_code == 404


def test_inviting_an_existing_user_changes_the_role_only(app: Flask, client: FlaskClient, session: Session,
                                                         make_user: Any, make_study: Any) -> None:
    study = make_study()
    existing = make_user(email="old@example.org")
    sign_in_client(app, client, make_user(is_admin=True))
    response = _invite(client, email="old@example.org", study=str(study.id), role="viewer")
    assert response.status_code == 302
    session.refresh(existing)
    assert existing.invite_token_hash is None
    assert session.exec(select(Membership.role).where(Membership.user_id == existing.id)).one() == "viewer"


def test_membership_change_and_removal(app: Flask, client: FlaskClient, session: Session, make_user: Any,
                                       make_study: Any) -> None:
    study = make_study()
    user = make_user(study=study, role="viewer")
    sign_in_client(app, client, make_user(is_admin=True))
    token = csrf_token(client, "/admin/users")
    url = f"/admin/users/{user.id}/membership"
    assert client.post(url, data={"csrf_token": token, "study": study.id, "role": "owner"}).status_code == 302
    assert session.exec(select(Membership.role).where(Membership.user_id == user.id)).one() == "owner"
    assert client.post(url, data={"csrf_token": token, "study": study.id, "role": "none"}).status_code == 302
    assert session.exec(select(Membership).where(Membership.user_id == user.id)).first() is None
    # Bad input changes nothing and is no error page.
    assert client.post(url, data={"csrf_token": token, "study": "abc", "role": "god"}).status_code == 302
    assert client.post("/admin/users/999999/membership", data={"csrf_token": token}).status_code == 404


def test_bad_invitation_input(app: Flask, client: FlaskClient, session: Session, make_user: Any) -> None:
    sign_in_client(app, client, make_user(is_admin=True))
    response = _invite(client, email="not an address", study="0", role="viewer")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert session.exec(select(User).where(User.email == "not an address")).first() is None


def test_admin_studies_page(app: Flask, client: FlaskClient, make_user: Any, make_study: Any) -> None:
    study = make_study(title={"en": "Careers of interns"})
    sign_in_client(app, client, make_user(is_admin=True))
    html = client.get("/admin/studies").get_data(as_text=True)
    assert "Careers of interns" in html
    assert f"/studies/{study.slug}/" in html
