"""`keireki setup`: idempotent first-run set-up used by `make run`."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from tests.conftest import make_test_app
from webapp.cli import main
from webapp.db import get_db
from webapp.models import AvailabilityRule, InstrumentVersion, InterviewType, Membership, Study, User


def test_setup_twice_creates_everything_once(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path)
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["setup"])
    assert first.exit_code == 0, first.output
    assert "password:" in first.output
    assert "/s/sme-careers" in first.output
    second = runner.invoke(main, ["setup"])
    assert second.exit_code == 0, second.output
    assert "password:" not in second.output
    with Session(get_db(app).engine) as s:
        study = s.exec(select(Study)).one()
        admins = s.exec(select(User).where(User.is_admin == True)).all()  # noqa: E712
        assert len(admins) == 1
        assert s.exec(select(Membership)).one().role == "owner"
        assert len(s.exec(select(InterviewType).where(InterviewType.study_id == study.id)).all()) == 1
        assert len(s.exec(select(AvailabilityRule)).all()) == 5
        ids = {v.instrument_id for v in s.exec(select(InstrumentVersion)).all()}
        assert {"screening", "consent", "ti_intake", "sie_intake", "manager_intake", "debrief"} <= ids
