"""Resume codes are hashed with OWASP's minimum Argon2id configuration (a quarter of the defaults' CPU and
memory, for a burst of screenings), codes hashed with the defaults before still work, and ``demo seed``
hashes before it takes SQLite's write lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import argon2
import pytest
from sqlmodel import Session, select

from tests.conftest import make_test_app
from tests.support.write_lock import spy_write_lock_during_hash
from tests.webapp.participate.journey import Journey
from webapp.commands.demo import demo_group
from webapp.db import db_session
from webapp.models import Participant
from webapp.services import responses
from webapp.services.studies import load_bundled_study


def test_screening_hashes_the_resume_code_with_owasps_minimum_argon2id(client: Any, session: Session,
                                                                         bundled_study: Any) -> None:
    Journey(client).screen("ti")
    participant = session.exec(select(Participant)).one()
    assert participant.resume_code_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_code_hashed_with_the_old_parameters_still_signs_in(session: Session, bundled_study: Any) -> None:
    from webapp.models import utcnow

    made = responses.create_participant(session=session, study=bundled_study, participant_type="ti",
                                        language="en", channel_code=None, now=utcnow())
    person = made.participant
    person.resume_code_hash = argon2.PasswordHasher().hash(made.code)  # argon2-cffi's defaults, as before
    session.add(person)
    session.commit()
    assert person.resume_code_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    found = responses.check_resume_code(session=session, study=bundled_study, participant_code=person.code,
                                        code=made.code)
    assert found is not None
    assert responses.check_resume_code(session=session, study=bundled_study, participant_code=person.code,
                                       code="AAAA-AAAA") is None


def test_demo_seed_hashes_the_resume_code_without_holding_the_write_lock(
        fresh_database: str, tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        load_bundled_study(session=db_session())
    seen = spy_write_lock_during_hash(monkeypatch, fresh_database)
    result = app.test_cli_runner().invoke(demo_group, ["seed", "--interviewed", "0", "--participants", "2"])
    assert result.exit_code == 0, result.output
    assert seen == [True, True]
