"""The records tasks' data access: load participants' inputs, replace their ``rec_`` rows, mark responses.

Every function takes the task's session and neither commits nor rolls back: the task
(:func:`workers.tasks.records.convert_batch`) owns the one transaction a batch runs in. Reads are
set-based Core queries (no ORM objects for thousands of responses); the pure pipeline
(:mod:`workers.records`) sees only its plain input dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from instruments.contract import TABLES
from instruments.model import Instrument
from webapp.db import ids_in
from webapp.models import RECORD_TABLES, Channel, Consent, InstrumentVersion, Participant, Response, Study, utcnow
from webapp.services.studies import instrument_of
from workers.records import PIPELINE_VERSION, TABLE_NAMES, ParticipantInput, ParticipantRecords, ResponseInput
from workers.store.coded import load_codings

_DATETIME_COLUMNS = {name: [c.name for c in t.columns if c.kind == "datetime"] for name, t in TABLES.items()}
#: Contract columns of each rec_ table: its columns after id, study_id and participant_id.
_COLUMNS = {name: tuple(table.c.keys()[3:]) for name, table in RECORD_TABLES.items()}
_KEYS = {name: ("study_id", "participant_id", *columns) for name, columns in _COLUMNS.items()}
#: (table name, insert keys, its datetime columns) of each row table of ParticipantRecords, in write order.
_TABLE_KEYS = tuple((name, _KEYS[name], tuple(_DATETIME_COLUMNS.get(name, ()))) for name in TABLE_NAMES)


@dataclass
class Loaded:
    """One participant as the pipeline needs it, plus what the task writes back to."""

    participant_id: int
    study: Study
    facts: ParticipantInput
    responses: list[ResponseInput]
    latest_response_id: int | None


def _instruments(session: Session, version_ids: Iterable[int]) -> dict[int, Instrument]:
    """The batch's instruments by version id, read from this session's database each batch.

    Parsing is cached by :func:`instrument_of` (keyed by id *and* fingerprint); an id alone names different
    versions in different databases (tests, or a database restored in a running process). The definition
    column (a few hundred kB of JSON each) is deferred: read only for a version not parsed yet.
    """
    wanted = set(version_ids)
    if not wanted:
        return {}
    versions = session.exec(select(InstrumentVersion).options(defer(InstrumentVersion.definition))  # type: ignore[arg-type]
                            .where(col(InstrumentVersion.id).in_(wanted)))  # read only if not parsed yet
    return {version.id: instrument_of(version) for version in versions if version.id is not None}


_PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
_RESPONSE = Response.__table__  # type: ignore[attr-defined]
_CONSENT = Consent.__table__  # type: ignore[attr-defined]
_CHANNEL = Channel.__table__  # type: ignore[attr-defined]


def load_inputs(session: Session, participant_ids: Sequence[int]) -> list[Loaded]:
    """Everything the converter needs for these participants (locked for update), in a few set-based queries.

    Core queries on the tables (not the ORM entities' attributes): the rows are plain tuples either way, and
    Core skips the ORM's statement compilation and result processing.
    """
    dialect = session.get_bind().dialect.name
    p, r, c = _PARTICIPANT.c, _RESPONSE.c, _CONSENT.c
    people = session.execute(
        sa.select(p.id, p.study_id, p.code, p.participant_type, p.form_language, p.channel_id, p.status)
        .where(ids_in(p.id, participant_ids, dialect)).order_by(p.id).with_for_update()
    ).all()
    ids = [person.id for person in people]
    study_ids = {person.study_id for person in people}
    studies = {s.id: s for s in session.exec(select(Study).where(col(Study.id).in_(study_ids)))}
    channel_ids = {person.channel_id for person in people if person.channel_id is not None}
    channels: dict[int | None, str] = {}
    if channel_ids:
        query = sa.select(_CHANNEL.c.id, _CHANNEL.c.code).where(_CHANNEL.c.id.in_(channel_ids))
        channels = {int(i): str(code) for i, code in session.execute(query).all()}
    consents: dict[int, tuple[str, datetime]] = {}
    for pid, version, agreed in session.execute(
            sa.select(c.participant_id, c.consent_version, c.agreed_at)
            .where(ids_in(c.participant_id, ids, dialect)).order_by(c.agreed_at, c.id)):
        consents[pid] = (version, agreed)  # the latest one wins
    responses: dict[int, list[Any]] = {}
    for row in session.execute(
            sa.select(r.id, r.participant_id, r.instrument_version_id, r.answers, r.meta, r.submitted_at)
            .where(ids_in(r.participant_id, ids, dialect)).order_by(r.submitted_at, r.id)):
        responses.setdefault(row.participant_id, []).append(row)
    versions = _instruments(session, {row.instrument_version_id for rs in responses.values() for row in rs})
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
        given = [ResponseInput(versions[row.instrument_version_id], row.answers, row.meta or {}, row.submitted_at)
                 for row in own]
        out.append(Loaded(person.id, studies[person.study_id], facts, given, own[-1].id if own else None))
    return out


def db_rows(records: ParticipantRecords, study_id: int, participant_id: int,
            into: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The pipeline's rows of one participant as insert parameters of each ``rec_`` table, appended to ``into``
    (a batch's rows; a new dict when not given), which is returned. Rows have the contract's width (they are
    built from its column lists; ``tests/workers/records/test_property.py`` checks it)."""
    out: dict[str, list[dict[str, Any]]] = {} if into is None else into
    ids = (study_id, participant_id)
    for name, keys, stamps in _TABLE_KEYS:
        rows = getattr(records, name)
        if not rows:
            out.setdefault(name, [])
            continue
        dicts: list[dict[str, Any]] = [dict(zip(keys, ids + row, strict=False)) for row in rows]
        for column in stamps:
            for values in dicts:
                stamp = values[column]
                if isinstance(stamp, str):
                    values[column] = datetime.fromisoformat(stamp).astimezone(UTC)
        if name in out:
            out[name].extend(dicts)
        else:
            out[name] = dicts
    if records.sts:
        out.setdefault("sequences_sts", []).append(
            {"study_id": study_id, "participant_id": participant_id, "participant_code": records.participants[0][0],
             "first_month": records.sts_first_month, "states": ",".join(records.sts)})
    return out


def mark_failed(session: Session, response_id: int, reason: str) -> None:
    """Record on a response why its participant could not be converted (shown to researchers)."""
    session.execute(sa.update(Response).where(col(Response.id) == response_id)
                    .values(status="failed", error=reason))


def replace_records(session: Session, participant_ids: Sequence[int],
                    rows: dict[str, list[dict[str, Any]]]) -> int:
    """Delete these participants' rows in every ``rec_`` table and insert ``rows``; returns rows inserted."""
    if participant_ids:
        dialect = session.get_bind().dialect.name
        for table in RECORD_TABLES.values():
            session.execute(table.delete().where(ids_in(table.c.participant_id, participant_ids, dialect)))
    inserted = 0
    for name, dicts in rows.items():
        if not dicts:
            continue
        session.execute(RECORD_TABLES[name].insert(), dicts)
        inserted += len(dicts)
    return inserted


def mark_converted(session: Session, participant_ids: Sequence[int]) -> None:
    """Mark every response of these participants converted by this ``PIPELINE_VERSION``."""
    if participant_ids:
        dialect = session.get_bind().dialect.name
        session.execute(
            sa.update(_RESPONSE).where(ids_in(_RESPONSE.c.participant_id, participant_ids, dialect))
            .values(status="converted", error=None, pipeline_version=PIPELINE_VERSION, converted_at=utcnow()))


def participant_ids(*, session: Session, study_id: int | None = None) -> list[int]:
    """Ids of every participant (of one study), in id order."""
    query = sa.select(col(Participant.id)).order_by(col(Participant.id))
    if study_id is not None:
        query = query.where(col(Participant.study_id) == study_id)
    return [int(i) for i in session.execute(query).scalars()]
