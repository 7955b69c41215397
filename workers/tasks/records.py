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
from sqlmodel import Session

from webapp.db import begin_serialised
from webapp.models import Job, utcnow
from workers import jobs
from workers.records import PIPELINE_VERSION, ParticipantRecords, build_records
from workers.store import records as store

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
            store.db_rows(records, item.study.id or 0, item.participant_id, into=pending)
        outcome.rows = store.replace_records(session, outcome.converted + outcome.missing, pending)
        store.mark_converted(session, outcome.converted)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return outcome


def _convert_job(session: Session, job: Job) -> dict[str, Any]:
    params = job.params
    ids = [int(i) for i in params.get("participant_ids", [])]
    if "participant_id" in params:
        ids.append(int(params["participant_id"]))
    return convert_batch(session=session, participant_ids=ids).summary()


@shared_task(name=jobs.CONVERT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def convert_participant(self: Any, job_id: int) -> None:
    """Convert one participant (job params ``participant_id``; see ``workers.jobs.enqueue_conversion``).

    Idempotent: a redelivered or re-sent job replaces the rows with the same rows. Passing database
    errors are retried with backoff (:func:`workers.jobs.run`).
    """
    jobs.run(self, job_id, _convert_job)


@shared_task(name=REBUILD_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def rebuild(self: Any, job_id: int) -> None:
    """Convert the batch of participants of a ``rebuild`` job (job params ``participant_ids``)."""
    jobs.run(self, job_id, _convert_job)


#: Participants per rebuild job (one write transaction each). SQLite: measured with the demo's people (load
#: average 13), 200 held the write lock about 3 s, 50 0.4 s, 20 0.14 s — a participant's save waits behind one
#: batch, so it stays a fraction of a second. PostgreSQL locks only the batch's rows, and a job's own cost (claim,
#: load, replace in every table, finish: ~25 statements) is paid per job: 100 per job took half the worker CPU per
#: participant of 20 (bench/rebuild.py).
REBUILD_BATCH = 20
REBUILD_BATCH_POSTGRESQL = 100


def rebuild_batch(session: Session) -> int:
    """Participants per rebuild job on this session's database."""
    return REBUILD_BATCH_POSTGRESQL if session.get_bind().dialect.name == "postgresql" else REBUILD_BATCH


def enqueue_rebuild(*, session: Session, participant_ids: Sequence[int], study_id: int | None = None,
                    batch: int | None = None, created_by: int | None = None, kind: str = "rebuild") -> list[Job]:
    """Queue the conversion of ``participant_ids`` as jobs of ``batch`` participants each (default:
    :func:`rebuild_batch`)."""
    ids = list(participant_ids)
    batch = batch or rebuild_batch(session)
    return [
        jobs.enqueue(session=session, kind=kind, task=REBUILD_TASK,
                     params={"participant_ids": ids[i:i + batch]}, study_id=study_id, created_by=created_by,
                     total=len(ids[i:i + batch]))
        for i in range(0, len(ids), batch)
    ]

