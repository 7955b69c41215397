"""Signing a user in on a test client the way Flask-Login's strong session protection accepts."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from webapp.extensions import login_manager


def sign_in_client(app: Flask, client: FlaskClient, user: Any) -> None:
    """Put the user's id, session version and the client's session identifier into its session.

    Requests of a test share its app context, where Flask-Login caches the user it loaded: forget it.
    """
    if has_app_context():
        g.pop("_login_user", None)
    with app.test_request_context(environ_base=client.environ_base):
        ident = login_manager._session_identifier_generator()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_version}"
        sess["_fresh"] = True
        sess["_id"] = ident


def csrf_token(client: FlaskClient, path: str = "/auth/account") -> str:
    """A CSRF token of the client's session, read from a page with a form.

    Requests of a test share the test's app context and so ``g``, where Flask-WTF caches the token of
    the last session it saw: forget it, so the page shows the token of this client's session.
    """
    if has_app_context():
        g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)
