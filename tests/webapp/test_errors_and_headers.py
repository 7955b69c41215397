"""Error pages in the visitor's language without stack traces; security headers on every response."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from tests.conftest import make_test_app


@pytest.fixture
def private_app(database_url: str, tmp_path: Path) -> Flask:
    """An app of this test's own, so the test can add routes before its first request."""
    return make_test_app(database_url=database_url, instance_dir=tmp_path)


def test_404_is_a_page_in_the_requested_language(client: FlaskClient) -> None:
    response = client.get("/no/such/page", headers={"Accept-Language": "ja,en;q=0.5"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert '<html lang="ja"' in body
    assert "Traceback" not in body


def test_unexpected_error_is_a_500_page_without_details(private_app: Flask) -> None:
    @private_app.get("/__boom_for_test")
    def _boom() -> str:
        raise RuntimeError("secret internal detail")

    response = private_app.test_client().get("/__boom_for_test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body
    assert "Traceback" not in body


def test_too_large_body_gets_413(private_app: Flask) -> None:
    @private_app.post("/__form_for_test")
    def _form() -> str:
        return str(len(request.form))

    limit = private_app.config["MAX_CONTENT_LENGTH"]
    client = private_app.test_client()
    assert client.post("/__form_for_test", data={"a": "b"}).status_code in (200, 400)  # 400: no CSRF token
    response = client.post("/__form_for_test", data={"a": "x" * (limit + 1)})
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


def test_security_headers_everywhere(client: FlaskClient) -> None:
    for path in ("/no/such/page", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_the_status_is_only_small_print(client: FlaskClient) -> None:
    body = client.get("/no/such/page").get_data(as_text=True)
    assert "<small>Error 404</small>" in body
    assert "<h1>Page not found</h1>" in body
