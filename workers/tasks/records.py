"""Career-record tasks: load participants by id (:mod:`workers.store.records`), call
:func:`workers.records.build_records`, write the rows back.

A batch of participants is converted in ONE transaction: their rows in every ``rec_`` table are
deleted and the new rows bulk-inserted, so a killed worker leaves either the old rows or the new
ones, and a redelivered job produces the same rows again. A participant whose answers cannot be
converted gets its latest response marked ``failed`` with the reason (shown to researchers); it is
never retried and never blocks the others. Only database errors that can recover are retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from celery import shared_task
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session

from webapp.db import begin_serialised, db_session
from webapp.models import Job, utcnow
from workers import jobs
from workers.records import PIPELINE_VERSION, ParticipantRecords, build_records
from workers.store import records as store

#: Errors worth retrying: the database went away or was busy; anything else is a bug or bad data.
RETRYABLE = (OperationalError, DisconnectionError)
#: Retry policy of the tasks (Celery ``autoretry_for``): exponential backoff, at most 5 retries.
RETRY_POLICY: dict[str, Any] = {
    "autoretry_for": RETRYABLE, "retry_backoff": 2, "retry_backoff_max": 120, "retry_jitter": True,
    "max_retries": 5,
}
REBUILD_TASK = "keireki.records.rebuild"


@dataclass
class BatchOutcome:
    """What a conversion batch did: participants converted, failed (id -> reason) and not found."""

    converted: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    rows: int = 0

    def summary(self) -> dict[str, Any]:
        return {"converted": len(self.converted), "failed": len(self.failed), "missing": len(self.missing),
                "rows": self.rows, "pipeline_version": PIPELINE_VERSION}


def _convert(item: store.Loaded, outcome: BatchOutcome, today: date) -> ParticipantRecords | None:
    """The participant's records, or None: withdrawn and erased (converted, no rows) or failed (reason kept)."""
    if item.facts.status == "withdrawn" and not item.responses:
        outcome.converted.append(item.participant_id)  # withdrawn and erased: no records at all
        return None
    try:
        records = build_records(participant=item.facts, responses=item.responses,
                                pseudonym_key=bytes.fromhex(item.study.pseudonym_key), today=today)
    except Exception as exc:  # noqa: BLE001 - bad data or a bug: recorded on the response, not retried
        outcome.failed[item.participant_id] = f"{type(exc).__name__}: {exc}"[:2000]
        return None
    outcome.converted.append(item.participant_id)
    return records


def convert_batch(*, session: Session, participant_ids: Sequence[int],
                  today: date | None = None) -> BatchOutcome:
    """Convert participants and replace their records, all in one transaction; commits.

    ``today`` defaults to the current UTC date (it only caps response dates, see ``build_records``).
    """
    today = today or utcnow().date()
    outcome = BatchOutcome()
    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    try:
        loaded = store.load_inputs(session, sorted(set(participant_ids)))
        outcome.missing = sorted(set(participant_ids) - {p.participant_id for p in loaded})
        pending: dict[str, list[dict[str, Any]]] = {}
        for item in loaded:
            records = _convert(item, outcome, today)
            if records is None:
                if item.participant_id in outcome.failed and item.latest_response_id is not None:
                    store.mark_failed(session, item.latest_response_id, outcome.failed[item.participant_id])
                continue
            for name, dicts in store.db_rows(records, item.study.id or 0, item.participant_id).items():
                pending.setdefault(name, []).extend(dicts)
        outcome.rows = store.replace_records(session, outcome.converted + outcome.missing, pending)
        store.mark_converted(session, outcome.converted)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return outcome


def _run_job(job_id: int) -> None:
    session = db_session()
    job = jobs.claim(session=session, job_id=job_id)
    if job is None:
        return
    params = job.params
    ids = [int(i) for i in params.get("participant_ids", [])]
    if "participant_id" in params:
        ids.append(int(params["participant_id"]))
    try:
        outcome = convert_batch(session=session, participant_ids=ids)
    except RETRYABLE:
        _release(session, job)  # let the retried message claim it again at once
        raise
    jobs.finish(session=session, job=job, result=outcome.summary())


@shared_task(name=jobs.CONVERT_TASK, acks_late=True, reject_on_worker_lost=True, **RETRY_POLICY)
def convert_participant(job_id: int) -> None:
    """Convert one participant (job params ``participant_id``; see ``workers.jobs.enqueue_conversion``).

    Idempotent: a redelivered or re-sent job replaces the rows with the same rows.
    """
    _run_job(job_id)


@shared_task(name=REBUILD_TASK, acks_late=True, reject_on_worker_lost=True, **RETRY_POLICY)
def rebuild(job_id: int) -> None:
    """Convert the batch of participants of a ``rebuild`` job (job params ``participant_ids``)."""
    _run_job(job_id)


def _release(session: Session, job: Job) -> None:
    try:
        session.rollback()
        job.status = "queued"
        session.add(job)
        session.commit()
    except RETRYABLE:  # the database is still away: the sweeper re-sends the job when its lease ends
        session.rollback()


def enqueue_rebuild(*, session: Session, participant_ids: Sequence[int], study_id: int | None = None,
                    batch: int = 200, created_by: int | None = None, kind: str = "rebuild") -> list[Job]:
    """Queue the conversion of ``participant_ids`` as jobs of ``batch`` participants each."""
    ids = list(participant_ids)
    return [
        jobs.enqueue(session=session, kind=kind, task=REBUILD_TASK,
                     params={"participant_ids": ids[i:i + batch]}, study_id=study_id, created_by=created_by,
                     total=len(ids[i:i + batch]))
        for i in range(0, len(ids), batch)
    ]

