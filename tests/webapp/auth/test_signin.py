"""Sign-in, sign-out (here and everywhere), rate limits, no user enumeration, the page language."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.webapp.auth.support import csrf_token, sign_in_client

PASSWORD = "correct horse battery"


pytestmark = pytest.mark.usefixtures("fresh_limits")


def csrf(client: FlaskClient, path: str = "/auth/signin") -> str:
    return csrf_token(client, path)


def sign_in_form(client: FlaskClient, email: str, password: str, **extra: str) -> Any:
    token = csrf(client)
    data = {"email": email, "password": password, "csrf_token": token, **extra}
    return client.post("/auth/signin", data=data)


def test_sign_in_with_the_right_password(client: FlaskClient, make_user: Any, session: Session) -> None:
    user = make_user(email="ana@example.org")
    response = sign_in_form(client, "ANA@example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/studies"
    assert client.get("/studies").status_code == 200
    session.refresh(user)
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient, make_user: Any) -> None:
    make_user(email="ana@example.org")
    wrong = sign_in_form(client, "ana@example.org", "not the password")
    unknown = sign_in_form(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or the password is not right."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert 'role="alert"' in wrong.get_data(as_text=True)
    assert client.get("/studies").status_code == 302


def test_inactive_user_cannot_sign_in(client: FlaskClient, make_user: Any) -> None:
    make_user(email="gone@example.org", is_active=False)
    assert sign_in_form(client, "gone@example.org", PASSWORD).status_code == 401


def test_next_only_follows_local_paths(client: FlaskClient, make_user: Any) -> None:
    make_user(email="ana@example.org")
    response = sign_in_form(client, "ana@example.org", PASSWORD, next="//evil.example/x")
    assert response.headers["Location"] == "/studies"
    client.post("/auth/signout", data={"csrf_token": csrf(client, "/auth/account")})
    response = sign_in_form(client, "ana@example.org", PASSWORD, next="/auth/account")
    assert response.headers["Location"] == "/auth/account"


def test_sign_in_without_csrf_is_refused(client: FlaskClient, make_user: Any) -> None:
    make_user(email="ana@example.org")
    response = client.post("/auth/signin", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/studies").status_code == 302


def test_sign_in_is_rate_limited_per_email(client: FlaskClient, make_user: Any) -> None:
    make_user(email="ana@example.org")
    statuses = [sign_in_form(client, "ana@example.org", f"wrong {i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password is refused while the limit holds: guessing cannot go on.
    assert sign_in_form(client, "ana@example.org", PASSWORD).status_code == 429
    # Another address from the same visitor is not blocked by that address's limit.
    make_user(email="ben@example.org")
    assert sign_in_form(client, "ben@example.org", PASSWORD).status_code == 302


def test_sign_in_is_rate_limited_per_address(app: Flask, client: FlaskClient, make_user: Any) -> None:
    app.config["KEIREKI_SIGNIN_LIMIT_IP"] = "3 per minute"
    try:
        statuses = [sign_in_form(client, f"u{i}@example.org", "wrong").status_code for i in range(4)]
    finally:
        del app.config["KEIREKI_SIGNIN_LIMIT_IP"]
    assert statuses == [401, 401, 401, 429]


def test_successful_sign_ins_do_not_count(client: FlaskClient, make_user: Any) -> None:
    make_user(email="ana@example.org")
    for _ in range(6):  # one more than the per-e-mail limit
        assert sign_in_form(client, "ana@example.org", PASSWORD).status_code == 302
        client.post("/auth/signout", data={"csrf_token": csrf(client, "/auth/account")})


def test_sign_out(client: FlaskClient, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user())
    assert client.get("/studies").status_code == 200
    response = client.post("/auth/signout", data={"csrf_token": csrf(client, "/auth/account")})
    assert response.status_code == 302
    assert client.get("/studies").status_code == 302


def test_sign_out_everywhere_ends_other_sessions(app: Flask, client: FlaskClient, make_user: Any,
                                                 sign_in: Any, session: Session) -> None:
    user = make_user()
    sign_in(user)
    other = app.test_client()
    sign_in_client(app, other, user)
    assert other.get("/studies").status_code == 200
    response = client.post("/auth/signout-everywhere", data={"csrf_token": csrf(client, "/auth/account")})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.refresh(user)
    assert user.session_version == 2
    assert other.get("/studies").status_code == 302
    assert client.get("/studies").status_code == 302


def test_signed_in_pages_use_the_users_language(client: FlaskClient, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user(ui_language="ja"))
    html = client.get("/auth/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja"' in html


def test_sign_in_page_follows_the_browser(client: FlaskClient) -> None:
    html = client.get("/auth/signin", headers={"Accept-Language": "vi,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="vi"' in html
    assert 'for="email"' in html


def test_the_rightful_user_signs_in_during_an_attack(app: Flask, client: FlaskClient, make_user: Any) -> None:
    """Strangers guessing from many addresses slow the account down but never lock its owner out."""
    make_user(email="ana@example.org")
    app.config["KEIREKI_SIGNIN_ATTACK_DELAY"] = 0.01
    try:
        statuses = []
        for source in range(8):  # 8 addresses x 4 guesses: over the account's 20 failures an hour
            attacker = app.test_client()
            attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{source + 1}"
            statuses += [sign_in_form(attacker, "ana@example.org", f"guess {i}").status_code for i in range(4)]
        assert set(statuses) == {401}
        # One address that keeps guessing this account is stopped, even when it finally has the password.
        persistent = app.test_client()
        persistent.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        guesses = [sign_in_form(persistent, "ana@example.org", f"again {i}").status_code for i in range(6)]
        assert guesses == [401] * 5 + [429]
        assert sign_in_form(persistent, "ana@example.org", PASSWORD).status_code == 429
        # The owner, from her own address, still signs in with her password.
        response = sign_in_form(client, "ana@example.org", PASSWORD)
        assert response.status_code == 302
        assert client.get("/studies").status_code == 200
    finally:
        del app.config["KEIREKI_SIGNIN_ATTACK_DELAY"]


def _copy_cookie(app: Flask, source: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``source``'s session cookie (and the same address)."""
    copy = app.test_client()
    cookie = source.get_cookie("keireki_session")
    assert cookie is not None
    copy.set_cookie("keireki_session", cookie.value)
    return copy


def test_a_cookie_copied_before_sign_out_opens_nothing(app: Flask, client: FlaskClient, make_user: Any) -> None:
    make_user(email="ana@example.org")
    assert sign_in_form(client, "ana@example.org", PASSWORD).status_code == 302
    copy = _copy_cookie(app, client)
    assert copy.get("/studies").status_code == 200  # the copy works while the session lasts
    client.post("/auth/signout", data={"csrf_token": csrf(client, "/auth/account")})
    assert copy.get("/studies").status_code == 302
    # Signing in again starts a new session; the old copy stays dead.
    assert sign_in_form(client, "ana@example.org", PASSWORD).status_code == 302
    assert client.get("/studies").status_code == 200
    assert copy.get("/studies").status_code == 302


def test_a_cookie_copied_before_sign_out_everywhere_opens_nothing(app: Flask, client: FlaskClient,
                                                                   make_user: Any) -> None:
    make_user(email="ana@example.org")
    assert sign_in_form(client, "ana@example.org", PASSWORD).status_code == 302
    copy = _copy_cookie(app, client)
    laptop = app.test_client()
    assert sign_in_form(laptop, "ana@example.org", PASSWORD).status_code == 302
    laptop_copy = _copy_cookie(app, laptop)
    client.post("/auth/signout-everywhere", data={"csrf_token": csrf(client, "/auth/account")})
    for other in (copy, laptop, laptop_copy, client):
        assert other.get("/studies").status_code == 302
