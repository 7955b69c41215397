"""``sign_in`` that also passes Flask-Login's strong session protection (it checks ``_id``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.auth.support import sign_in_client


@pytest.fixture
def sign_in(app: Flask, client: FlaskClient) -> Callable[[Any], None]:
    return lambda user: sign_in_client(app, client, user)
