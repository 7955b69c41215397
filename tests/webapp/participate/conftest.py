"""Fixtures of the participant's journey: the bundled study and a client-driven participant."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.participate.journey import Journey


@pytest.fixture
def journey(client: FlaskClient, bundled_study: Any, fresh_limits: None) -> Journey:
    return Journey(client)


@pytest.fixture
def make_journey(app: Flask, bundled_study: Any, fresh_limits: None) -> Any:
    """Another browser (its own cookies) on the same study."""

    def _make(language: str = "en") -> Journey:
        return Journey(app.test_client(), language=language)

    return _make


@pytest.fixture
def sign_in(client: FlaskClient, app: Flask) -> Any:
    """Sign a user in with Flask-Login's strong-protection identifier (the shared fixture lacks it)."""
    from flask import g

    from tests.support.auth import sign_in_client

    def _sign_in(user: Any) -> None:
        sign_in_client(app, client, user)
        g.pop("_login_user", None)

    return _sign_in
