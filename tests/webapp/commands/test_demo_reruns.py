"""`keireki demo seed` on a real database: a rerun with the same seed adds no duplicate people, and a run
that fails mid-person leaves no half-seeded participant behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import make_test_app
from webapp.commands.demo import demo_group
from webapp.db import db_session, get_db
from webapp.models import Job, Participant, Response
from webapp.services.studies import load_bundled_study


@pytest.fixture
def seeded_app(fresh_database: str, tmp_path: Path) -> Flask:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        load_bundled_study(session=db_session())
    return app


def _count(app: Flask, model: type) -> int:
    with get_db(app).engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _seed(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(demo_group, ["seed", "--interviewed", "0", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_rerun_with_the_same_seed_adds_no_duplicate_people(seeded_app: Flask) -> None:
    _seed(seeded_app, "--participants", "4", "--seed", "5")
    assert _count(seeded_app, Participant) == 4
    assert _count(seeded_app, Job) == 4  # one conversion each, sent after its person was committed
    again = _seed(seeded_app, "--participants", "6", "--seed", "5")
    assert "4 participants of seed 5 were already there" in again
    assert _count(seeded_app, Participant) == 6  # only the two new ones
    _seed(seeded_app, "--participants", "2", "--seed", "6")
    assert _count(seeded_app, Participant) == 8  # another seed: other people


def _refuse_the_second_response(app: Flask, backend: str) -> None:
    """The database itself refuses to store a second response (a trigger): a fault from outside the
    project, after the second person was created, consented and saved."""
    with get_db(app).engine.begin() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER refuse_response BEFORE INSERT ON response "
                                 "WHEN (SELECT count(*) FROM response) >= 1 "
                                 "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION refuse_response() RETURNS trigger LANGUAGE plpgsql AS $$ "
                                 "BEGIN IF (SELECT count(*) FROM response) >= 1 THEN "
                                 "RAISE EXCEPTION 'the disk is full'; END IF; RETURN NEW; END $$")
            conn.exec_driver_sql("CREATE TRIGGER refuse_response BEFORE INSERT ON response FOR EACH ROW "
                                 "EXECUTE FUNCTION refuse_response()")


def _accept_responses(app: Flask, backend: str) -> None:
    with get_db(app).engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse_response" + ("" if backend == "sqlite" else " ON response"))
        if backend != "sqlite":
            conn.exec_driver_sql("DROP FUNCTION refuse_response()")


def test_a_failed_run_leaves_no_half_seeded_participant(seeded_app: Flask, backend: str) -> None:
    _refuse_the_second_response(seeded_app, backend)
    try:
        result = seeded_app.test_cli_runner().invoke(demo_group, ["seed", "--participants", "3", "--seed", "7"])
    finally:
        _accept_responses(seeded_app, backend)
    assert result.exit_code != 0
    assert _count(seeded_app, Participant) == 1  # the first person whole, nothing of the second
    assert _count(seeded_app, Response) == 1
    _seed(seeded_app, "--participants", "3", "--seed", "7")
    assert _count(seeded_app, Participant) == 3  # the rerun adds the two missing people, no duplicate


def test_a_person_who_could_not_submit_is_not_left_behind(seeded_app: Flask) -> None:
    """Seed 1's sixth person (``1:5``) first comes out unable to submit (a required answer missing) and is
    made again: the first try leaves no consented participant without answers."""
    _seed(seeded_app, "--participants", "6", "--seed", "1")
    with get_db(seeded_app).engine.connect() as conn:
        keys = conn.execute(sa.select(Participant.demo_key)).scalars().all()
        statuses = set(conn.execute(sa.select(Participant.status)).scalars())
    assert sorted(keys) == [f"1:{n}" for n in range(6)]
    assert statuses == {"submitted"}
