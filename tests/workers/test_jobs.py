"""The queue is real: jobs run in a separate worker process, and a SIGKILLed worker loses nothing."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from sqlmodel import Session

from tests.conftest import make_test_app
from tests.support.processes import celery_worker, kill_hard, wait_for, worker_env
from webapp.db import get_db
from webapp.models import Job
from workers import jobs


def _job(app: object, job_id: int) -> Job:
    with Session(get_db(app).engine) as s:  # type: ignore[arg-type]
        job = s.get(Job, job_id)
        assert job is not None
        return job


def test_job_runs_in_a_separate_worker_process(fresh_database: str, broker_url: str, tmp_path: Path) -> None:
    queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, broker_url=broker_url, queue=queue)
    env = worker_env(database_url=fresh_database, broker_url=broker_url, instance_dir=tmp_path, queue=queue)
    with app.app_context():
        from webapp.db import db_session

        job = jobs.enqueue(session=db_session(), kind="probe", task="keireki.probe", params={"seconds": 0})
    with celery_worker(env, log=tmp_path / "worker.log"):
        assert wait_for(lambda: _job(app, job.id).status == "done", timeout=60), \
            (tmp_path / "worker.log").read_text()[-3000:]
    done = _job(app, job.id)
    assert done.result["pids"]
    assert os.getpid() not in done.result["pids"]
    assert done.attempts == 1


def test_sigkilled_worker_loses_nothing(fresh_database: str, broker_url: str, tmp_path: Path) -> None:
    queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
    lease = 3
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, broker_url=broker_url, queue=queue,
                        lease_seconds=lease)
    env = worker_env(database_url=fresh_database, broker_url=broker_url, instance_dir=tmp_path, queue=queue,
                     lease_seconds=lease)
    with app.app_context():
        from webapp.db import db_session

        job = jobs.enqueue(session=db_session(), kind="probe", task="keireki.probe", params={"seconds": 30})
    with celery_worker(env, log=tmp_path / "worker1.log") as first:
        assert wait_for(lambda: _job(app, job.id).status == "running", timeout=60)
        kill_hard(first)
    assert _job(app, job.id).status == "running"  # the crash left it mid-way
    with app.app_context():
        from webapp.db import db_session

        # Shorten the sleep for the re-run; the sweeper (beat's job) re-sends once the lease has expired.
        session = db_session()
        stale = session.get(Job, job.id)
        assert stale is not None
        stale.params = {**stale.params, "seconds": 0}
        session.add(stale)
        session.commit()
        time.sleep(lease + 0.5)
        assert jobs.sweep(session=session) == 1
    with celery_worker(env, log=tmp_path / "worker2.log"):
        assert wait_for(lambda: _job(app, job.id).status == "done", timeout=60), \
            (tmp_path / "worker2.log").read_text()[-3000:]
    done = _job(app, job.id)
    assert done.attempts == 2
    assert len(done.result["pids"]) == 1


def test_a_broker_that_is_down_does_not_lose_or_fail_the_job(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, broker_url="redis://127.0.0.1:1/0")
    with app.app_context():
        from webapp.db import db_session

        job = jobs.enqueue(session=db_session(), kind="probe", task="keireki.probe", params={"seconds": 0})
    stored = _job(app, job.id)
    assert stored.status == "queued"
    assert stored.lease_until is not None  # the sweeper re-sends it once the lease expires
