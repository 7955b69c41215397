"""``keireki records rebuild --inline`` and its study filter."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session

from tests.workers.records_db import add_participant, record_rows
from tests.workers.test_records_tasks import SIE
from workers.records.cli import records_group


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
