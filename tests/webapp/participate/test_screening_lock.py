"""The screening's argon2 hash of the resume code (~0.1 s of CPU) runs outside the write transaction, so
a burst of screenings does not hold every other participant's save behind SQLite's write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import argon2
import pytest
from sqlmodel import select

from tests.conftest import make_test_app
from tests.webapp.participate.journey import Journey
from webapp.db import db_session
from webapp.models import Participant
from webapp.services.studies import load_bundled_study


def test_the_resume_code_is_hashed_without_holding_the_write_lock(
        fresh_database: str, tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        load_bundled_study(session=db_session())
    path = fresh_database.removeprefix("sqlite:///")
    seen: list[bool] = []
    real_hash = argon2.PasswordHasher.hash

    def spying_hash(hasher: argon2.PasswordHasher, password: str, **kwargs: Any) -> str:
        """argon2's hash (a library's), checking meanwhile whether another writer could go ahead."""
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:  # database is locked: the request holds the write lock
            seen.append(False)
        finally:
            other.close()
        return real_hash(hasher, password, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", spying_hash)
    journey = Journey(app.test_client())
    journey.screen("ti")
    assert seen == [True]
    with app.app_context():
        participant = db_session().exec(select(Participant)).one()
        assert participant.resume_code_hash.startswith("$argon2id$")
