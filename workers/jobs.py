"""Jobs with leases: the database, not the broker, guarantees that started work gets done.

``enqueue(...)`` writes a :class:`~webapp.models.Job` row, commits, then sends the task with the job's
id. A task calls ``claim(job_id)`` first: it takes a lease (or learns the job is done or held by a
live worker and does nothing). ``heartbeat`` extends the lease and records progress; ``finish`` and
``fail`` end it. ``sweep`` (run by beat) re-sends jobs whose lease expired: a killed worker's job or
a message a broker lost. Tasks must therefore be idempotent; Keireki's are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from webapp.models import Job, utcnow

log = logging.getLogger(__name__)


def _lease(session: Session) -> timedelta:
    from flask import current_app

    return timedelta(seconds=current_app.config["KEIREKI"].job_lease_seconds)


def enqueue(*, session: Session, kind: str, task: str, params: dict[str, Any], study_id: int | None = None,
            created_by: int | None = None, total: int = 0, max_attempts: int = 5,
            with_job: Callable[[Job], None] | None = None) -> Job:
    """Record a job, commit, and send its task. Returns the job (status ``queued``).

    ``with_job`` is called with the flushed job (its id known) before the commit, so rows it adds to the
    session (an audit event naming the job) are committed in the same transaction as the job.
    """
    job = Job(kind=kind, study_id=study_id, params={**params, "task": task}, created_by=created_by,
              total=total, max_attempts=max_attempts, lease_until=utcnow() + _lease(session))
    session.add(job)
    if with_job is not None:
        session.flush()
        with_job(job)
    session.commit()
    send(job)
    return job


def send(job: Job) -> bool:
    """Send the job's task through the app's Celery. A broker that is down is logged, not raised: the job
    is recorded and beat's sweeper sends it again once its lease expires."""
    from flask import current_app

    celery = current_app.extensions["celery"]
    try:
        celery.send_task(job.params["task"], args=[job.id])
    except Exception:  # noqa: BLE001 - any broker failure; the job row guarantees the work is done later
        log.warning("could not send job %s (%s) now; the sweeper will retry", job.id, job.kind, exc_info=True)
        return False
    return True


def claim(*, session: Session, job_id: int, now: datetime | None = None) -> Job | None:
    """Take the job's lease. None when it is done, failed, or held by a worker whose lease is alive."""
    now = now or utcnow()
    lease_until = now + _lease(session)
    result = session.execute(
        sa.update(Job)
        .where(Job.id == job_id)  # type: ignore[arg-type]
        .where(Job.status.in_(("queued", "running")))  # type: ignore[attr-defined]
        .where(sa.or_(Job.status == "queued", Job.lease_until < now))  # type: ignore[arg-type,operator]
        .values(status="running", lease_until=lease_until, attempts=Job.attempts + 1,
                started_at=sa.func.coalesce(Job.started_at, now))
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None and job.attempts > job.max_attempts:
        fail(session=session, job=job, error=_gave_up(job))
        return None
    return job


def _gave_up(job: Job) -> str:
    last = f"; last error: {job.error}" if job.error else ""
    return f"gave up after {job.attempts} attempts{last}"


#: Retries of a job's task after a passing error (a locked database, a lost connection), with backoff.
MAX_RETRIES = 5


def run(task: Any, job_id: int, work: Callable[[Session, Job], dict[str, Any] | None]) -> None:
    """Run a job's task: claim the job, ``work(session, job)``, finish it with the returned result.

    A passing database error (see :func:`webapp.db.is_transient`) releases the job and retries the task
    with exponential backoff, at most ``MAX_RETRIES`` times; any other error, or the last retry, fails the
    job with the reason (shown on the jobs pages). ``work`` must be idempotent (a re-run redoes it).
    """
    from webapp.db import backoff, db_session, is_transient

    session = db_session()
    job = claim(session=session, job_id=job_id)
    if job is None:
        return
    try:
        result = work(session, job)
    except Exception as exc:  # noqa: BLE001 - retried or recorded on the job for the researcher to see
        session.rollback()
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        retries = int(getattr(task.request, "retries", 0) or 0)
        if not is_transient(exc) or retries >= MAX_RETRIES:
            log.warning("job %s (%s) failed for good: %s", job_id, job.kind, reason)
            fail(session=session, job=job, error=reason if not is_transient(exc) else
                 f"gave up after {retries + 1} tries; last error: {reason}")
            return
        release(session=session, job=job, error=reason)
        raise task.retry(exc=exc, countdown=backoff(retries) * 40, max_retries=MAX_RETRIES) from exc
    finish(session=session, job=job, result=result)


def release(*, session: Session, job: Job, error: str) -> None:
    """Put a job back to ``queued`` (its retried task claims it at once), noting the passing error. When
    the database is still away, the sweeper re-sends the job once its lease ends."""
    from webapp.db import is_transient

    try:
        job.status = "queued"
        job.error = f"retrying after: {error}"[:2000]
        session.add(job)
        session.commit()
    except Exception as exc:
        session.rollback()
        if not is_transient(exc):
            raise


def heartbeat(*, session: Session, job: Job, done: int | None = None, total: int | None = None) -> None:
    """Extend the lease and record progress (commits)."""
    job.lease_until = utcnow() + _lease(session)
    if done is not None:
        job.done = done
    if total is not None:
        job.total = total
    session.add(job)
    session.commit()


def finish(*, session: Session, job: Job, result: dict[str, Any] | None = None) -> None:
    job.status = "done"
    job.error = None
    job.finished_at = utcnow()
    job.lease_until = None
    job.done = max(job.done, job.total)
    if result is not None:
        job.result = result
    session.add(job)
    session.commit()


def fail(*, session: Session, job: Job, error: str) -> None:
    job.status = "failed"
    job.error = error[:2000]
    job.finished_at = utcnow()
    job.lease_until = None
    session.add(job)
    session.commit()


def sweep(*, session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Re-send jobs whose lease expired (queued and never started, or running on a dead worker)."""
    now = now or utcnow()
    stale = session.exec(
        select(Job)
        .where(Job.status.in_(("queued", "running")))  # type: ignore[attr-defined]
        .where(Job.lease_until < now)  # type: ignore[operator]
        .order_by(Job.id)  # type: ignore[arg-type]
        .limit(limit)
    ).all()
    for job in stale:
        if job.attempts >= job.max_attempts:
            fail(session=session, job=job, error=_gave_up(job))
            continue
        job.status = "queued"
        job.lease_until = now + _lease(session)
        session.add(job)
        session.commit()
        send(job)
    return len(stale)


#: The career-records conversion of one participant: task name and parameters (see workers/tasks/records.py).
CONVERT_TASK = "keireki.convert_participant"


def enqueue_conversion(*, session: Session, participant_id: int, study_id: int) -> Job:
    """Queue the (re)conversion of a participant's responses into career records."""
    return enqueue(session=session, kind="convert", task=CONVERT_TASK, params={"participant_id": participant_id},
                   study_id=study_id)
