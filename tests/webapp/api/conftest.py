"""Fixtures of the API tests: a study with records and a token of it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from tests.webapp.exports.conftest import insert_records, records_study  # noqa: F401 - fixtures
from webapp.api import services as api_tokens


@pytest.fixture
def owner(records_study: Any, make_user: Any) -> Any:  # noqa: F811
    return make_user(study=records_study, role="owner")


@pytest.fixture
def token(session: Session, records_study: Any, owner: Any) -> str:  # noqa: F811
    _row, value = api_tokens.create_token(session=session, study=records_study, name="analysis", user=owner)
    return value


@pytest.fixture
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


__all__ = ["insert_records"]
