"""Export tasks: build a study's bundle for an export job; delete bundles whose time ran out."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from webapp.db import db_session
from webapp.exports.services import expire_exports as expire
from webapp.exports.services import run_export_job
from workers import jobs


@shared_task(name="keireki.build_export", bind=True, acks_late=True, reject_on_worker_lost=True)
def build_export(self: Any, job_id: int) -> None:
    """Build the bundle of an ``export`` job (params: with_pii, reason, bom, cleared).

    Idempotent: a re-run starts its folder afresh. A passing database error is retried with backoff
    (:func:`workers.jobs.run`); any other failure is recorded on the job.
    """
    jobs.run(self, job_id, lambda session, job: _build(session, job))


def _build(session: Any, job: Any) -> None:
    run_export_job(session=session, job=job)  # finishes the job itself, with the bundle's result
    return None


@shared_task(name="keireki.expire_exports", acks_late=True)
def expire_exports() -> int:
    """Delete export bundles past ``KEIREKI_EXPORT_TTL_HOURS`` (run hourly by beat)."""
    return expire(session=db_session())
