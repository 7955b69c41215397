"""Exports of studies with empty tables work on both databases: a study of TIs only (no firms) and a new
study with no participant at all (on PostgreSQL, COPY of an empty table sent Arrow an empty CSV file)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_test_app
from tests.webapp.exports.conftest import insert_records
from tests.workers.exports.test_writers import DATA
from webapp.db import db_session
from webapp.exports import services
from webapp.exports.cli import export_command
from webapp.models import Job, Study
from workers import jobs
from workers.tasks.exports import build_export

ONLY_TIS = {name: [r for r in rows if r["participant_code"].startswith("TI-")] for name, rows in DATA.items()}


@pytest.mark.parametrize("data", [ONLY_TIS, None], ids=["only-TIs", "no-participants"])
def test_an_export_with_empty_tables_is_built(fresh_database: str, tmp_path: Path, data: Any) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        session = db_session()
        study = Study(slug="empty", title={"en": "Empty"}, default_language="en", languages=["en"], quotas={},
                      steps={}, pseudonym_key="k" * 32)
        session.add(study)
        session.flush()
        if data is not None:
            insert_records(session, study, data)
        job = Job(kind="export", study_id=study.id, params={"task": services.EXPORT_TASK})
        session.add(job)
        session.commit()
        build_export(job.id)  # the task itself, as the worker runs it
        session.refresh(job)
        assert (job.status, job.error) == ("done", None)
        bundle = services.downloadable(job)
        assert bundle is not None
        with zipfile.ZipFile(bundle) as zf:
            firms = zf.read("firms.csv").decode().splitlines()
            participants = zf.read("participants.csv").decode().splitlines()
        assert len(firms) == 1  # the header only
        assert len(participants) == (2 if data is not None else 1)
        assert jobs.claim(session=session, job_id=job.id) is None  # done for good
        out = tmp_path / "cli"  # the CLI path (keireki export): the same bundle, built in the command
        result = app.test_cli_runner().invoke(export_command, ["--study", "empty", "--out", str(out)])
        assert result.exit_code == 0, result.output
        (made,) = out.glob("*.zip")
        with zipfile.ZipFile(made) as zf:
            assert len(zf.read("firms.csv").decode().splitlines()) == 1
            assert len(zf.read("participants.csv").decode().splitlines()) == (2 if data is not None else 1)
