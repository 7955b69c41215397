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
from webapp.models import Job, Participant
from webapp.services import responses
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


def test_a_failed_run_leaves_no_half_seeded_participant(seeded_app: Flask,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_submit(**_kwargs: object) -> None:
        raise RuntimeError("the disk is full")  # a fault injected after create, consent and save

    monkeypatch.setattr(responses, "submit_response", broken_submit)
    result = seeded_app.test_cli_runner().invoke(demo_group, ["seed", "--participants", "3", "--seed", "7"])
    assert result.exit_code != 0
    assert _count(seeded_app, Participant) == 0
    monkeypatch.undo()
    _seed(seeded_app, "--participants", "3", "--seed", "7")
    assert _count(seeded_app, Participant) == 3
