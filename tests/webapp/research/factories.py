"""Builders of research-area test data: participants with consent, contact, answers, records and bookings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

import instruments
from webapp.crypto import encrypt_json
from webapp.models import (
    RECORD_TABLES,
    Booking,
    Consent,
    Contact,
    Draft,
    InstrumentVersion,
    InterviewType,
    Membership,
    Participant,
    Response,
    Study,
    User,
)
from webapp.services.passwords import hash_password
from webapp.services.studies import load_instrument

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def instrument_version(session: Session, study: Study, instrument_id: str = "sie_intake",
                       definition: dict[str, Any] | None = None) -> InstrumentVersion:
    """An instrument version row (a minimal definition unless one is given); reused when it exists."""
    existing = session.exec(select(InstrumentVersion).where(
        InstrumentVersion.study_id == study.id, InstrumentVersion.instrument_id == instrument_id)).first()
    if existing is not None:
        return existing
    version = InstrumentVersion(study_id=study.id, instrument_id=instrument_id, version="1",
                                definition=definition or {"id": instrument_id}, fingerprint=uuid.uuid4().hex)
    session.add(version)
    session.flush()
    return version


def participant(session: Session, study: Study, *, code: str | None = None, ptype: str = "sie",
                status: str = "submitted", language: str = "en", channel_id: int | None = None,
                withdrawal_data: str | None = None, contact: dict[str, Any] | None = None,
                version: InstrumentVersion | None = None) -> Participant:
    """A participant; with ``withdrawal_data`` a consent, with ``contact`` encrypted contact details."""
    person = Participant(study_id=study.id, code=code or f"SIE-{uuid.uuid4().int % 10000:04d}",
                         participant_type=ptype, status=status, form_language=language, channel_id=channel_id,
                         resume_token_hash=uuid.uuid4().hex, resume_code_hash="x")
    session.add(person)
    session.flush()
    if withdrawal_data is not None:
        version = version or instrument_version(session, study, "consent")
        session.add(Consent(participant_id=person.id, instrument_version_id=version.id, consent_version="1",
                            language=language, text_sha256="0" * 64, withdrawal_data=withdrawal_data))
    if contact is not None:
        session.add(Contact(participant_id=person.id, data_enc=encrypt_json(contact),
                            kinds=",".join(k for k in ("email", "phone") if contact.get(k))))
    session.flush()
    return person


def answers(session: Session, person: Participant, version: InstrumentVersion, *,
            response: dict[str, Any] | None = None, draft: dict[str, Any] | None = None,
            meta: dict[str, Any] | None = None) -> None:
    """A submitted response and/or a draft of ``version``'s instrument."""
    if response is not None:
        session.add(Response(participant_id=person.id, instrument_id=version.instrument_id,
                             instrument_version_id=version.id, answers=response, meta=meta or {}))
    if draft is not None:
        session.add(Draft(participant_id=person.id, instrument_id=version.instrument_id + "_draft",
                          instrument_version_id=version.id, answers=draft, meta={},
                          expires_at=NOW + timedelta(days=30)))
    session.flush()


def record(session: Session, person: Participant, table: str, **values: Any) -> None:
    """One row of a career-records table."""
    session.execute(sa.insert(RECORD_TABLES[table]).values(
        study_id=person.study_id, participant_id=person.id, participant_code=person.code, **values))


def interview_type(session: Session, study: Study) -> InterviewType:
    kind = InterviewType(study_id=study.id, name={"en": "Interview"}, modes=["video"], languages=["en"])
    session.add(kind)
    session.flush()
    return kind


def booking(session: Session, person: Participant, interviewer: User, *, starts_at: datetime,
            status: str = "booked", notes: bytes | None = None, transcript_path: str | None = None,
            kind: InterviewType | None = None) -> Booking:
    """A one-hour booking of ``person`` with ``interviewer``."""
    kind = kind or interview_type(session, session.get(Study, person.study_id))  # type: ignore[arg-type]
    ends_at = starts_at + timedelta(hours=1)
    item = Booking(uid=str(uuid.uuid4()), study_id=person.study_id, interview_type_id=kind.id,
                   participant_id=person.id, interviewer_id=interviewer.id, starts_at=starts_at,
                   ends_at=ends_at,
                   busy_from=starts_at, busy_until=ends_at, participant_tz="Asia/Tokyo", language="en",
                   mode="video", status=status, manage_token_hash=uuid.uuid4().hex,
                   manage_token_expires_at=ends_at, notes_enc=notes, transcript_path=transcript_path)
    session.add(item)
    session.flush()
    return item


def month(year: int, month_: int) -> int:
    """The records contract's month index (January 1900 = 1)."""
    return (year - 1900) * 12 + month_


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)


PASSWORD = "correct horse battery"


def user(session: Session, study: Study | None = None, role: str | None = None, **fields: Any) -> User:
    """A user (password :data:`PASSWORD`, hashed once per run: argon2 is slow on purpose)."""
    item = User(email=fields.pop("email", f"u{uuid.uuid4().hex[:8]}@example.org"), password_hash=_password_hash(),
                **fields)
    session.add(item)
    session.flush()
    if study is not None and role is not None:
        session.add(Membership(user_id=item.id, study_id=study.id, role=role))
        session.flush()
    return item


@lru_cache(maxsize=1)
def _bundled() -> tuple[Any, dict[str, Any]]:
    return instruments.load_study(), instruments.load_bundled()


def bundled_study(session: Session) -> Study:
    """The bundled study and its instruments under a fresh slug (the files are parsed once per run)."""
    spec, loaded = _bundled()
    study = Study(slug=f"sme-{uuid.uuid4().hex[:6]}", title=dict(spec.title), default_language=spec.default_language,
                  languages=list(spec.languages), quotas=dict(spec.quotas), steps=dict(spec.steps),
                  pseudonym_key=uuid.uuid4().hex)
    session.add(study)
    session.flush()
    for instrument in loaded.values():
        load_instrument(session=session, study=study, instrument=instrument)
    return study
