"""System tasks: the job sweeper and a probe task used by the health tests."""

from __future__ import annotations

import os

from celery import shared_task

from webapp.db import db_session
from workers import jobs


@shared_task(name="keireki.sweep_jobs", acks_late=True)
def sweep_jobs() -> int:
    """Re-send jobs whose lease expired (see :mod:`workers.jobs`)."""
    return jobs.sweep(session=db_session())


@shared_task(name="keireki.probe", acks_late=True, reject_on_worker_lost=True)
def probe(job_id: int) -> None:
    """Record which worker process ran the job; sleeps ``params.seconds`` first (tests kill it there)."""
    import time

    session = db_session()
    job = jobs.claim(session=session, job_id=job_id)
    if job is None:
        return
    time.sleep(float(job.params.get("seconds", 0)))
    runs = list(job.result.get("pids", []))
    jobs.finish(session=session, job=job, result={"pids": [*runs, os.getpid()]})
