"""Research-area fixtures: quick users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from tests.webapp.research import factories


@pytest.fixture
def make_user(session: Session) -> Callable[..., Any]:
    """Like the project's ``make_user`` (study=, role=, fields) without hashing a password each time."""

    def _make(*, study: Any = None, role: str | None = None, **fields: Any) -> Any:
        return factories.user(session, study, role, **fields)

    return _make
