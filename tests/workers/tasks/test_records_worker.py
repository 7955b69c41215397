"""Records conversion through a real Celery worker process, including a SIGKILL mid-rebuild."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, col

from tests.conftest import make_test_app
from tests.support.processes import celery_worker, kill_hard, wait_for, worker_env
from tests.support.records_db import add_participant, record_rows
from tests.workers.tasks.test_records import SIE, SIE_JOB
from webapp.db import get_db
from webapp.models import RECORD_TABLES, Job, Participant
from workers import jobs
from workers.store.records import participant_ids
from workers.tasks.records import convert_batch, enqueue_rebuild

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _seed(app: Flask, n: int) -> int:
    from webapp.services.studies import load_bundled_study

    with Session(get_db(app).engine) as session:
        study = load_bundled_study(session=session)
        for i in range(n):
            jobs_ = [{**SIE_JOB, "start": f"{2010 + i % 10}-0{1 + i % 9}", "ongoing": "no",
                      "end": f"{2011 + i % 10}", "employer_name": f"Firm {i % 7}"},
                     {**SIE_JOB, "start": f"{2012 + i % 10}", "employer_name": f"Firm {i % 5}"}]
            add_participant(session, study, f"SIE-{i:04d}", "sie", ("sie_intake", {**SIE, "jobs": jobs_}))
        session.commit()
        assert study.id is not None
        return study.id


def _statuses(app: Flask, job_ids: list[int]) -> list[str]:
    with Session(get_db(app).engine) as session:
        return list(session.execute(sa.select(col(Job.status)).where(col(Job.id).in_(job_ids))).scalars())


def _snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with Session(get_db(app).engine) as session:
        return record_rows(session)


def _setup(fresh_database: str, broker_url: str, tmp_path: Path, lease: int) -> tuple[Flask, dict[str, str]]:
    queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, broker_url=broker_url,
                        queue=queue, lease_seconds=lease)
    env = worker_env(database_url=fresh_database, broker_url=broker_url, instance_dir=tmp_path, queue=queue,
                     lease_seconds=lease)
    return app, env


def test_rebuild_on_a_worker_matches_the_inline_conversion(fresh_database: str, broker_url: str,
                                                          tmp_path: Path) -> None:
    app, env = _setup(fresh_database, broker_url, tmp_path, lease=300)
    study_id = _seed(app, 12)
    with app.app_context():
        from webapp.db import db_session

        ids = participant_ids(session=db_session(), study_id=study_id)
        single = jobs.enqueue_conversion(session=db_session(), participant_id=ids[3], study_id=study_id).id
    assert single is not None
    with celery_worker(env, log=tmp_path / "worker.log"):
        assert wait_for(lambda: _statuses(app, [single]) == ["done"], timeout=90), \
            (tmp_path / "worker.log").read_text()[-3000:]
        assert [r[0] for r in _snapshot(app)["participants"]] == ["SIE-0003"]
        with app.app_context():
            from webapp.db import db_session

            queued = [j.id for j in enqueue_rebuild(session=db_session(), participant_ids=ids,
                                                    study_id=study_id, batch=5) if j.id is not None]
        assert len(queued) == 3
        assert wait_for(lambda: set(_statuses(app, queued)) == {"done"}, timeout=90), \
            (tmp_path / "worker.log").read_text()[-3000:]
    by_worker = _snapshot(app)
    assert len(by_worker["participants"]) == 12
    assert len(by_worker["episodes"]) == 24
    with app.app_context():
        from webapp.db import db_session

        convert_batch(session=db_session(), participant_ids=ids)
    assert _snapshot(app) == by_worker


def test_sigkilled_worker_mid_rebuild_loses_and_duplicates_nothing(fresh_database: str, broker_url: str,
                                                                   tmp_path: Path) -> None:
    lease = 3
    app, env = _setup(fresh_database, broker_url, tmp_path, lease=lease)
    n = 400
    study_id = _seed(app, n)
    with app.app_context():
        from webapp.db import db_session

        ids = participant_ids(session=db_session(), study_id=study_id)
        convert_batch(session=db_session(), participant_ids=ids)
    expected = _snapshot(app)
    with Session(get_db(app).engine) as session:  # start from nothing so lost work would show
        for table in RECORD_TABLES.values():
            session.execute(table.delete())
        session.commit()
    with app.app_context():
        from webapp.db import db_session

        queued = [j.id for j in enqueue_rebuild(session=db_session(), participant_ids=ids, study_id=study_id,
                                                batch=20) if j.id is not None]
    with celery_worker(env, log=tmp_path / "worker1.log") as first:
        assert wait_for(lambda: "done" in _statuses(app, queued), timeout=90), \
            (tmp_path / "worker1.log").read_text()[-3000:]
        kill_hard(first)
    statuses = _statuses(app, queued)
    assert statuses.count("done") < len(queued), "the worker finished before it could be killed"
    time.sleep(lease + 0.5)
    with app.app_context():
        from webapp.db import db_session

        assert jobs.sweep(session=db_session()) >= 1      # beat's sweeper re-sends the unfinished jobs
    with celery_worker(env, log=tmp_path / "worker2.log"):
        assert wait_for(lambda: set(_statuses(app, queued)) == {"done"}, timeout=120), \
            (tmp_path / "worker2.log").read_text()[-3000:]
    after = _snapshot(app)
    assert after == expected
    assert len(after["participants"]) == n
    with Session(get_db(app).engine) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Participant)).scalar_one() == n
