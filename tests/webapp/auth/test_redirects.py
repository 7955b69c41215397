"""The one safe-redirect rule, against a table of hostile targets, and through the sign-in page."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.webapp.auth.support import csrf_token
from webapp.redirects import safe_target

pytestmark = pytest.mark.usefixtures("fresh_limits")

HOSTILE = [
    "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "https://evil.example/", "http:evil.example",
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "evil.example", "./x", "../x", "",
    " /studies", "/studies ", "/\x00/evil.example", "/\u200b/evil.example", "/\u2028/evil.example",
    "///evil.example", "/" + "a" * 3000, "?next=/x", "#/x",
]
SAFE = ["/studies", "/auth/account", "/studies/s1/participants?page=2", "/studies/x#top", "/%2F/x"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target: str) -> None:
    assert safe_target(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_kept(target: str) -> None:
    assert safe_target(target) == target


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%5Cevil.example", "%2F%2Fevil.example"])
def test_sign_in_never_redirects_off_site(client: FlaskClient, make_user: Any, target: str) -> None:
    make_user(email="ana@example.org")
    token = csrf_token(client, "/auth/signin")
    from urllib.parse import unquote

    response = client.post("/auth/signin", data={"email": "ana@example.org", "password": "correct horse battery",
                                                 "csrf_token": token, "next": unquote(target)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/studies"
    # Already signed in, the GET with ?next= follows the same rule.
    again = client.get("/auth/signin?next=" + target)
    assert again.headers["Location"] == "/studies"
