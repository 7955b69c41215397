"""Export tasks: build a study's bundle for an export job; delete bundles whose time ran out."""

from __future__ import annotations

from celery import shared_task

from webapp.db import db_session
from webapp.exports.service import expire_exports as expire
from webapp.exports.service import run_export_job
from workers import jobs


@shared_task(name="keireki.build_export", acks_late=True, reject_on_worker_lost=True)
def build_export(job_id: int) -> None:
    """Build the bundle of an ``export`` job (params: with_pii, reason, bom, cleared).

    Idempotent: a re-run starts its folder afresh. A failure is recorded on the job, not retried.
    """
    session = db_session()
    job = jobs.claim(session=session, job_id=job_id)
    if job is None:
        return
    try:
        run_export_job(session=session, job=job)
    except Exception as exc:  # noqa: BLE001 - recorded on the job for the researcher to see
        session.rollback()
        jobs.fail(session=session, job=job, error=f"{type(exc).__name__}: {exc}")


@shared_task(name="keireki.expire_exports", acks_late=True)
def expire_exports() -> int:
    """Delete export bundles past ``KEIREKI_EXPORT_TTL_HOURS`` (run hourly by beat)."""
    return expire(session=db_session())
