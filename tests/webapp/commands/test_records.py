"""``keireki records rebuild --inline`` and its study filter."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session

from tests.support.records_db import add_participant, record_rows
from tests.workers.tasks.test_records import SIE
from webapp.commands.records import records_group


def test_rebuild_inline_converts_every_participant_of_the_study(app: Flask, session: Session,
                                                                bundled_study: Any, make_study: Any) -> None:
    add_participant(session, bundled_study, "SIE-0101", "sie", ("sie_intake", SIE))
    add_participant(session, bundled_study, "SIE-0102", "sie", ("sie_intake", SIE))
    other = make_study()
    add_participant(session, other, "SIE-0901", "sie")
    session.commit()
    args = ["rebuild", "--inline", "--study", bundled_study.slug]
    result = app.test_cli_runner().invoke(records_group, args)
    assert result.exit_code == 0, result.output
    assert "rebuilding 2 participants" in result.output
    assert "done: 2 converted, 0 failed" in result.output
    codes = sorted(r[0] for r in record_rows(session)["participants"])
    assert codes == ["SIE-0101", "SIE-0102"]


def test_rebuild_refuses_an_unknown_study(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(records_group, ["rebuild", "--inline", "--study", "nope"])
    assert result.exit_code != 0
    assert "no study 'nope'" in result.output


def test_the_progress_follows_the_jobs_and_counts_failures(session: Session) -> None:
    from webapp.commands.records import _follow
    from webapp.models import Job

    made = [Job(kind="rebuild", status="done", total=200, done=200, result={"failed": 2}),
            Job(kind="rebuild", status="failed", total=50, done=10),
            Job(kind="rebuild", status="done", total=30, done=30, result={"failed": 0})]
    session.add_all(made)
    session.commit()
    assert _follow(session, [j.id for j in made if j.id is not None], 280, timeout=5) == 2 + 50


def test_the_progress_gives_up_after_the_timeout(session: Session) -> None:
    import click
    import pytest

    from webapp.commands.records import _follow
    from webapp.models import Job

    stuck = Job(kind="rebuild", status="running", total=200, done=20)
    session.add(stuck)
    session.commit()
    assert stuck.id is not None
    with pytest.raises(click.ClickException, match="timed out"):
        _follow(session, [stuck.id], 200, timeout=1)
