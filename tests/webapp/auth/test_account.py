"""The account page: settings, password change, and cookie flags in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.webapp.auth.support import csrf_token, sign_in_client
from webapp import create_app
from webapp.config import load_settings
from webapp.db import get_db
from webapp.services.passwords import verify_password

PASSWORD = "correct horse battery"


def test_settings_are_saved(app: Flask, client: FlaskClient, session: Session, make_user: Any) -> None:
    user = make_user()
    sign_in_client(app, client, user)
    token = csrf_token(client)
    response = client.post("/auth/account", data={
        "acc-csrf_token": token, "acc-name": "Hoa", "acc-timezone": "Europe/Berlin",
        "acc-languages": ["vi", "ja"], "acc-ui_language": "vi"})
    assert response.status_code == 302
    session.refresh(user)
    assert (user.name, user.timezone, sorted(user.languages), user.ui_language) == (
        "Hoa", "Europe/Berlin", ["ja", "vi"], "vi")
    assert '<html lang="vi"' in client.get("/auth/account").get_data(as_text=True)


@pytest.mark.parametrize("field", ["acc-timezone", "acc-ui_language", "acc-languages"])
def test_bad_settings_change_nothing(app: Flask, client: FlaskClient, session: Session, make_user: Any,
                                     field: str) -> None:
    user = make_user()
    sign_in_client(app, client, user)
    data = {"acc-csrf_token": csrf_token(client), "acc-timezone": "Asia/Tokyo", "acc-ui_language": "en",
            "acc-name": "Changed", field: "Mars/Olympus"}
    response = client.post("/auth/account", data=data)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    session.refresh(user)
    assert user.name == ""


def test_password_change(app: Flask, client: FlaskClient, session: Session, make_user: Any) -> None:
    user = make_user(password=PASSWORD)
    sign_in_client(app, client, user)
    token = csrf_token(client)
    wrong = client.post("/auth/account/password", data={"pw-csrf_token": token, "pw-current": "nope",
                                                        "pw-password": "x" * 12, "pw-confirm": "x" * 12})
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.get_data(as_text=True)
    ok = client.post("/auth/account/password", data={"pw-csrf_token": token, "pw-current": PASSWORD,
                                                     "pw-password": "y" * 14, "pw-confirm": "y" * 14})
    assert ok.status_code == 302
    session.refresh(user)
    assert verify_password(user.password_hash, "y" * 14)
    assert user.session_version == 2
    # This session goes on (it was renewed with the new session version).
    assert client.get("/auth/account").status_code == 200


def test_cookie_flags_in_production(database_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        env={"KEIREKI_ENV": "production",
             "KEIREKI_SECRET_KEY": "s3cr3t-" + "abcdefghijklmnopqrstuvwxyz0123456789",
             "KEIREKI_DATA_KEY": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="},
        instance_dir=tmp_path, database_url=database_url)
    application = create_app({"TESTING": True}, settings=settings)
    try:
        assert application.config["SESSION_COOKIE_SECURE"] is True
        assert application.config["SESSION_COOKIE_HTTPONLY"] is True
        assert application.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        client = application.test_client()
        response = client.get("/auth/signin", base_url="https://localhost")  # the form's CSRF token: a session
        cookie = response.headers.get("Set-Cookie", "")
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        get_db(application).engine.dispose()
