"""The screening's argon2 hash of the resume code (~0.1 s of CPU) runs outside the write transaction, so
a burst of screenings does not hold every other participant's save behind SQLite's write lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import make_test_app
from tests.support.write_lock import spy_write_lock_during_hash
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
    seen = spy_write_lock_during_hash(monkeypatch, fresh_database)
    journey = Journey(app.test_client())
    journey.screen("ti")
    assert seen == [True]
    with app.app_context():
        participant = db_session().exec(select(Participant)).one()
        assert participant.resume_code_hash.startswith("$argon2id$")
