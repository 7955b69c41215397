"""Signing a user in on a test client the way Flask-Login's strong session protection accepts."""

from __future__ import annotations

import re

from flask import g, has_app_context
from flask.testing import FlaskClient

from tests.support.auth import sign_in_client

__all__ = ["csrf_token", "sign_in_client"]


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
