"""Fixtures of the participant's journey: the bundled study and a client-driven participant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.participate.journey import Journey


@pytest.fixture(autouse=True)
def _fresh_limits(app: Flask) -> Iterator[None]:
    from webapp.extensions import limiter

    with app.app_context():
        limiter.reset()
    return


@pytest.fixture
def journey(client: FlaskClient, bundled_study: Any) -> Journey:
    return Journey(client)


@pytest.fixture
def make_journey(app: Flask, bundled_study: Any) -> Any:
    """Another browser (its own cookies) on the same study."""

    def _make(language: str = "en") -> Journey:
        return Journey(app.test_client(), language=language)

    return _make
