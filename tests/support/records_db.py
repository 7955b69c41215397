"""Database helpers of the records task tests: participants with submitted responses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from webapp.models import RECORD_TABLES, Participant, Response, Study
from webapp.services.studies import current_version


def add_participant(session: Session, study: Study, code: str, ptype: str,
                    *responses: tuple[str, dict[str, Any]], submitted: datetime | None = None) -> Participant:
    """A participant with one submitted response per (instrument_id, answers); flushed, not committed."""
    person = Participant(study_id=study.id, code=code, participant_type=ptype, status="submitted",
                         form_language="en", resume_token_hash=uuid.uuid4().hex, resume_code_hash="x")
    session.add(person)
    session.flush()
    for instrument_id, answers in responses:
        version = current_version(session=session, study_id=study.id, instrument_id=instrument_id)
        assert version is not None, instrument_id
        session.add(Response(participant_id=person.id, instrument_id=instrument_id,
                             instrument_version_id=version.id, answers=answers, meta={},
                             submitted_at=submitted or datetime(2026, 5, 1, 10, tzinfo=UTC)))
    session.flush()
    return person


def record_rows(session: Session, participant_id: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Contract columns of every rec_ table (without id, study_id, participant_id), in a stable order."""
    out = {}
    for name, table in RECORD_TABLES.items():
        columns = list(table.c)[3:]
        query = sa.select(*columns).order_by(table.c.participant_id, *columns[:3])
        if participant_id is not None:
            query = query.where(table.c.participant_id == participant_id)
        out[name] = [tuple(r) for r in session.execute(query).all()]
    return out
