"""Security review of the researchers' accounts: the first admin can sign in, guessing invitation links and API
tokens is rate-limited per address, passwords are argon2id, secrets are stored only as hashes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.webapp.auth.support import csrf_token
from webapp.api import services as api_tokens
from webapp.auth.services import invite_user
from webapp.models import ApiToken, User, utcnow
from webapp.services.passwords import hash_password
from webapp.services.studies import ensure_admin

pytestmark = pytest.mark.usefixtures("fresh_limits")


@pytest.fixture
def limits(app: Flask) -> Iterator[dict[str, str]]:
    """Set rate limits in the app's config for one test (removed afterwards)."""
    changed: dict[str, str] = {}
    yield changed  # the test fills it, then requests are made
    for key in changed:
        app.config.pop(key, None)


def _set(app: Flask, limits: dict[str, str], key: str, value: str) -> None:
    limits[key] = value
    app.config[key] = value


def _sign_in(client: FlaskClient, email: str, password: str) -> Any:
    return client.post("/auth/signin", data={"email": email, "password": password,
                                             "csrf_token": csrf_token(client, "/auth/signin")})


def test_the_first_admin_signs_in_with_the_password_setup_prints(client: FlaskClient, session: Session) -> None:
    # `keireki setup` creates admin@localhost: not an Internet address, but the account make run prints.
    admin, password = ensure_admin(session=session)
    assert password is not None
    assert admin.email == "admin@localhost"
    response = _sign_in(client, " Admin@LocalHost ", password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert client.get("/studies").status_code == 200


def test_a_wrong_password_for_the_first_admin_is_refused(client: FlaskClient, session: Session) -> None:
    ensure_admin(session=session)
    assert _sign_in(client, "admin@localhost", "not the password").status_code == 401
    assert _sign_in(client, "admin@", "not the password").status_code == 401
    assert client.get("/studies").status_code == 302


def test_unknown_invitation_links_are_rate_limited_per_address(app: Flask, client: FlaskClient, session: Session,
                                                               limits: dict[str, str]) -> None:
    _user, token = invite_user(session=session, email="new@example.org", now=utcnow(), actor="system")
    assert token is not None
    assert client.get(f"/auth/invite/{token}").status_code == 200  # valid links do not count
    _set(app, limits, "KEIREKI_INVITE_FAILURE_LIMIT", "3 per minute")
    statuses = [client.get(f"/auth/invite/{secrets.token_urlsafe(32)}").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    # While the limit holds even a real link is refused: guessing cannot go on.
    assert client.get(f"/auth/invite/{token}").status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.get(f"/auth/invite/{token}").status_code == 200  # another address is not blocked


def test_made_up_api_tokens_are_rate_limited_per_address(app: Flask, client: FlaskClient, session: Session,
                                                         make_study: Any, make_user: Any,
                                                         limits: dict[str, str]) -> None:
    study = make_study()
    owner = make_user(study=study, role="owner")
    _row, good = api_tokens.create_token(session=session, study=study, name="script", user=owner)
    _set(app, limits, "KEIREKI_API_AUTH_FAILURE_LIMIT", "3 per minute")
    for _ in range(5):  # calls with a valid token do not count
        assert client.get("/api/v1/studies", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    # Each guess is a new token (a fresh per-token bucket): the per-address failure limit stops it.
    guesses = [client.get("/api/v1/studies", headers={"Authorization": f"Bearer {api_tokens.TOKEN_PREFIX}{i}"})
               for i in range(3)]
    assert [r.status_code for r in guesses] == [401, 401, 401]
    blocked = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {api_tokens.TOKEN_PREFIX}x"})
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["status"] == 429
    assert client.get("/api/v1/studies").status_code == 429  # no token at all: the same address
    # Only failures are refused: the rightful script on the same address goes on, and so does the schema.
    assert client.get("/api/v1/studies", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/studies", headers={"Authorization": f"Bearer {good}x"}).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert other.get("/api/v1/studies", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_passwords_are_argon2id_with_strong_parameters() -> None:
    encoded = hash_password("correct horse battery")
    found = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", encoded)
    assert found, encoded
    memory_kib, time_cost, _parallel = (int(v) for v in found.groups())
    # OWASP's minimum for Argon2id is 19 MiB with t=2; argon2-cffi's RFC 9106 profile is 64 MiB, t=3.
    assert memory_kib >= 19 * 1024
    assert time_cost >= 2


def test_invitation_and_api_tokens_are_stored_only_as_hashes(session: Session, make_study: Any,
                                                             make_user: Any) -> None:
    user, invite = invite_user(session=session, email="someone@example.org", now=utcnow(), actor="system")
    study = make_study()
    row, api_token = api_tokens.create_token(session=session, study=study, name="x", user=make_user())
    assert invite is not None
    for table, key in ((User.__table__, user.id), (ApiToken.__table__, row.id)):  # type: ignore[attr-defined]
        stored = session.execute(sa.select(table).where(table.c.id == key)).mappings().one()
        text = " ".join(str(v) for v in stored.values())
        assert invite not in text
        assert api_token not in text
        assert api_token[len(api_tokens.TOKEN_PREFIX):] not in text
