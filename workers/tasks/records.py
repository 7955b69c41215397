"""Career-record tasks: load participants by id, call :func:`workers.records.build_records`, write.

A batch of participants is converted in ONE transaction: their rows in every ``rec_`` table are
deleted and the new rows bulk-inserted, so a killed worker leaves either the old rows or the new
ones, and a redelivered job produces the same rows again. A participant whose answers cannot be
converted gets its latest response marked ``failed`` with the reason (shown to researchers); it is
never retried and never blocks the others. Only database errors that can recover are retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from celery import shared_task
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session, col, select

from instruments.contract import TABLES
from instruments.model import Instrument
from webapp.db import begin_serialised, db_session
from webapp.models import (
    RECORD_TABLES,
    Channel,
    Consent,
    InstrumentVersion,
    Job,
    Participant,
    Response,
    Study,
    utcnow,
)
from webapp.services.studies import instrument_of
from workers import jobs
from workers.records import (
    PIPELINE_VERSION,
    ParticipantInput,
    ParticipantRecords,
    ResponseInput,
    build_records,
)
from workers.tasks.coded import load_codings

#: Errors worth retrying: the database went away or was busy; anything else is a bug or bad data.
RETRYABLE = (OperationalError, DisconnectionError)
#: Retry policy of the tasks (Celery ``autoretry_for``): exponential backoff, at most 5 retries.
RETRY_POLICY: dict[str, Any] = {
    "autoretry_for": RETRYABLE, "retry_backoff": 2, "retry_backoff_max": 120, "retry_jitter": True,
    "max_retries": 5,
}
REBUILD_TASK = "keireki.records.rebuild"

_DATETIME_COLUMNS = {name: [c.name for c in t.columns if c.kind == "datetime"] for name, t in TABLES.items()}
_INSTRUMENTS: dict[int, Instrument] = {}  # InstrumentVersion.id -> Instrument (versions are immutable)
#: Contract columns of each rec_ table: its columns after id, study_id and participant_id.
_COLUMNS = {name: tuple(table.c.keys()[3:]) for name, table in RECORD_TABLES.items()}
_KEYS = {name: ("study_id", "participant_id", *columns) for name, columns in _COLUMNS.items()}


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


def _instruments(session: Session, version_ids: Iterable[int]) -> dict[int, Instrument]:
    wanted = set(version_ids) - _INSTRUMENTS.keys()
    if wanted:
        for version in session.exec(select(InstrumentVersion).where(col(InstrumentVersion.id).in_(wanted))):
            assert version.id is not None
            _INSTRUMENTS[version.id] = instrument_of(version)
    return _INSTRUMENTS


@dataclass
class _Loaded:
    participant_id: int
    study: Study
    facts: ParticipantInput
    responses: list[ResponseInput]
    latest_response_id: int | None


def _inputs(session: Session, participant_ids: Sequence[int]) -> list[_Loaded]:
    """Everything the converter needs for these participants, in a few set-based queries (Core rows:
    no ORM objects for thousands of responses)."""
    people = session.execute(
        sa.select(col(Participant.id), col(Participant.study_id), col(Participant.code),
                  col(Participant.participant_type), col(Participant.form_language),
                  col(Participant.channel_id), col(Participant.status))
        .where(col(Participant.id).in_(participant_ids)).order_by(col(Participant.id)).with_for_update()
    ).all()
    ids = [p.id for p in people]
    study_ids = {p.study_id for p in people}
    studies = {s.id: s for s in session.exec(select(Study).where(col(Study.id).in_(study_ids)))}
    channel_ids = {p.channel_id for p in people if p.channel_id is not None}
    channels: dict[int | None, str] = {}
    if channel_ids:
        query = sa.select(col(Channel.id), col(Channel.code)).where(col(Channel.id).in_(channel_ids))
        channels = {int(i): str(c) for i, c in session.execute(query).all()}
    consents: dict[int, tuple[str, datetime]] = {}
    for pid, version, agreed in session.execute(
            sa.select(col(Consent.participant_id), col(Consent.consent_version), col(Consent.agreed_at))
            .where(col(Consent.participant_id).in_(ids)).order_by(col(Consent.agreed_at), col(Consent.id))):
        consents[pid] = (version, agreed)  # the latest one wins
    responses: dict[int, list[Any]] = {}
    for row in session.execute(
            sa.select(col(Response.id), col(Response.participant_id), col(Response.instrument_version_id),
                      col(Response.answers), col(Response.meta), col(Response.submitted_at))
            .where(col(Response.participant_id).in_(ids))
            .order_by(col(Response.submitted_at), col(Response.id))):
        responses.setdefault(row.participant_id, []).append(row)
    versions = _instruments(session, {r.instrument_version_id for rs in responses.values() for r in rs})
    coded = load_codings(session, ids)
    out = []
    for person in people:
        consent = consents.get(person.id)
        facts = ParticipantInput(
            participant_code=person.code, study=studies[person.study_id].slug,
            participant_type=person.participant_type, form_language=person.form_language,
            recruitment_channel=channels.get(person.channel_id), status=person.status,
            consent_version=consent[0] if consent else None, consented_at=consent[1] if consent else None,
            codings=coded.get(person.id, ()),
        )
        own = responses.get(person.id, [])
        given = [ResponseInput(versions[r.instrument_version_id], r.answers, r.meta or {}, r.submitted_at)
                 for r in own]
        out.append(_Loaded(person.id, studies[person.study_id], facts, given, own[-1].id if own else None))
    return out


def _db_rows(records: ParticipantRecords, study_id: int,
             participant_id: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    ids = (study_id, participant_id)
    for name, rows in records.tables().items():
        keys = _KEYS[name]
        dicts: list[dict[str, Any]] = [dict(zip(keys, ids + row, strict=True)) for row in rows]
        for column in _DATETIME_COLUMNS.get(name, ()):
            for values in dicts:
                stamp = values[column]
                if isinstance(stamp, str):
                    values[column] = datetime.fromisoformat(stamp).astimezone(UTC)
        out[name] = dicts
    if records.sts:
        out["sequences_sts"] = [{"study_id": study_id, "participant_id": participant_id,
                                 "participant_code": records.participants[0][0],
                                 "first_month": records.sts_first_month, "states": ",".join(records.sts)}]
    return out


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
        loaded = _inputs(session, sorted(set(participant_ids)))
        outcome.missing = sorted(set(participant_ids) - {p.participant_id for p in loaded})
        pending: dict[str, list[dict[str, Any]]] = {}
        for item in loaded:
            if item.facts.status == "withdrawn" and not item.responses:
                outcome.converted.append(item.participant_id)  # withdrawn and erased: no records at all
                continue
            try:
                records = build_records(participant=item.facts, responses=item.responses,
                                        pseudonym_key=bytes.fromhex(item.study.pseudonym_key), today=today)
            except Exception as exc:  # noqa: BLE001 - bad data or a bug: recorded on the response, not retried
                reason = outcome.failed[item.participant_id] = f"{type(exc).__name__}: {exc}"[:2000]
                if item.latest_response_id is not None:
                    session.execute(sa.update(Response).where(col(Response.id) == item.latest_response_id)
                                    .values(status="failed", error=reason))
                continue
            outcome.converted.append(item.participant_id)
            for name, dicts in _db_rows(records, item.study.id or 0, item.participant_id).items():
                pending.setdefault(name, []).extend(dicts)
        if outcome.converted or outcome.missing:
            gone = outcome.converted + outcome.missing
            for table in RECORD_TABLES.values():
                session.execute(table.delete().where(table.c.participant_id.in_(gone)))
        for name, dicts in pending.items():
            if not dicts:
                continue
            session.execute(RECORD_TABLES[name].insert(), dicts)
            outcome.rows += len(dicts)
        if outcome.converted:
            session.execute(
                sa.update(Response).where(col(Response.participant_id).in_(outcome.converted))
                .values(status="converted", error=None, pipeline_version=PIPELINE_VERSION,
                        converted_at=utcnow()))
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


def participant_ids(*, session: Session, study_id: int | None = None) -> list[int]:
    """Ids of every participant (of one study), in id order."""
    query = sa.select(col(Participant.id)).order_by(col(Participant.id))
    if study_id is not None:
        query = query.where(col(Participant.study_id) == study_id)
    return [int(i) for i in session.execute(query).scalars()]
