"""Signing a user in on a test client the way Flask-Login's strong session protection accepts."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from webapp.auth.services import start_session
from webapp.db import get_db
from webapp.extensions import login_manager


def sign_in_client(app: Flask, client: FlaskClient, user: Any) -> None:
    """Start a server-side sign-in session and put the user's id, session version, that session's id and the
    client's session identifier into its cookie.

    A user Flask-Login cached in a pushed app context is forgotten, so the next request loads this one.
    """
    if has_app_context():
        g.pop("_login_user", None)
    with app.test_request_context(environ_base=client.environ_base):
        ident = login_manager._session_identifier_generator()
    db = get_db(app).sessionmaker()
    try:
        sid = start_session(session=db, user=user)
    finally:
        db.close()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_version}:{sid}"
        sess["_fresh"] = True
        sess["_id"] = ident  # strong session protection checks it
