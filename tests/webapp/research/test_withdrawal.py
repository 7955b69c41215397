"""Withdrawal: contact erased always; research data kept or erased as the consent says; audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from tests.conftest import count
from tests.webapp.research import factories as f
from webapp.crypto import encrypt_bytes
from webapp.models import RECORD_TABLES, AuditEvent, Booking, Consent, Contact, Draft, Participant, Response
from webapp.services.withdrawal import bookings_cancelled, withdraw


def _records(session: Session, person: Participant) -> int:
    return sum(count(session, t, t.c.participant_id == person.id) for t in RECORD_TABLES.values())


@pytest.fixture
def setup(app: Flask, session: Session, make_study: Any, make_user: Any) -> Any:
    def _build(choice: str) -> dict[str, Any]:
        study = make_study()
        interviewer = make_user(study=study, role="interviewer")
        version = f.instrument_version(session, study)
        person = f.participant(session, study, withdrawal_data=choice,
                               contact={"name": "Nguyen Van A", "email": "a@example.org"})
        other = f.participant(session, study, withdrawal_data=choice, contact={"name": "B"})
        for who in (person, other):
            f.answers(session, who, version, response={"q": 1}, draft={"q": 2})
            f.record(session, who, "episodes", episode_no=1, kind="job", residence_status="ti_1")
            f.record(session, who, "quality_flags", flag_no=1, flag="overlap")
        data_dir = Path(app.config["KEIREKI"].data_dir)
        (data_dir / "transcripts").mkdir(parents=True, exist_ok=True)
        transcript = data_dir / "transcripts" / f"{person.code}.enc"
        transcript.write_bytes(encrypt_bytes(b"what was said"))
        past = f.booking(session, person, interviewer, starts_at=f.NOW - timedelta(days=3),
                         status="completed", notes=encrypt_bytes(b"notes"),
                         transcript_path=f"transcripts/{person.code}.enc")
        future = f.booking(session, person, interviewer, starts_at=f.NOW + timedelta(days=3))
        return {"study": study, "person": person, "other": other, "past": past, "future": future,
                "transcript": transcript}

    return _build


def _common_checks(session: Session, data: dict[str, Any]) -> None:
    person, other = data["person"], data["other"]
    session.refresh(person)
    assert person.status == "withdrawn"
    assert person.withdrawn_at == f.NOW
    assert session.exec(select(Contact).where(Contact.participant_id == person.id)).first() is None
    assert session.exec(select(Contact).where(Contact.participant_id == other.id)).first() is not None
    consent = session.exec(select(Consent).where(Consent.participant_id == person.id)).one()
    assert consent.withdrawn_at == f.NOW
    future = session.get(Booking, data["future"].id)
    assert future is not None
    assert (future.status, future.sequence) == ("cancelled", 1)
    past = session.get(Booking, data["past"].id)
    assert past is not None
    assert (past.status, past.sequence) == ("completed", 0)
    withdraw_events = session.exec(select(AuditEvent).where(
        AuditEvent.action == "participant.withdraw", AuditEvent.target == f"participant:{person.code}"))
    assert len(withdraw_events.all()) == 1
    # The other participant is untouched.
    assert other.status == "submitted"
    assert _records(session, other) == 2
    assert count(session, Response, Response.participant_id == other.id) == 1


def test_withdraw_keep_keeps_research_data(session: Session, setup: Any) -> None:
    data = setup("keep")
    person = data["person"]
    withdraw(session=session, participant=person, actor="participant:" + person.code, now=f.NOW)
    _common_checks(session, data)
    assert count(session, Response, Response.participant_id == person.id) == 1
    assert count(session, Draft, Draft.participant_id == person.id) == 1
    assert _records(session, person) == 2
    past = session.get(Booking, data["past"].id)
    assert past is not None
    assert past.notes_enc is not None
    assert past.transcript_path is not None
    assert data["transcript"].exists()
    assert count(session, AuditEvent, AuditEvent.action == "participant.erase") == 0


def test_withdraw_erase_erases_research_data(session: Session, setup: Any, make_user: Any) -> None:
    data = setup("erase")
    person, study = data["person"], data["study"]
    owner = make_user(study=study, role="owner")
    withdraw(session=session, participant=person, actor=f"user:{owner.email}", now=f.NOW, user_id=owner.id)
    _common_checks(session, data)
    assert count(session, Response, Response.participant_id == person.id) == 0
    assert count(session, Draft, Draft.participant_id == person.id) == 0
    assert _records(session, person) == 0
    past = session.get(Booking, data["past"].id)
    assert past is not None
    assert past.notes_enc is None
    assert past.transcript_path is None
    assert not data["transcript"].exists()
    erase = session.exec(select(AuditEvent).where(AuditEvent.action == "participant.erase")).one()
    assert erase.user_id == owner.id
    assert erase.study_id == study.id
    assert erase.detail["responses"] == 1
    assert erase.detail["records"] == 2
    assert erase.detail["transcripts"] == 1
    assert "Nguyen" not in repr(erase.detail)


def test_withdraw_twice_changes_nothing_more(session: Session, setup: Any) -> None:
    data = setup("erase")
    person = data["person"]
    withdraw(session=session, participant=person, actor="system", now=f.NOW)
    withdraw(session=session, participant=person, actor="system", now=f.NOW + timedelta(days=1))
    session.refresh(person)
    assert person.withdrawn_at == f.NOW
    assert count(session, AuditEvent, AuditEvent.action == "participant.withdraw") == 1
    future = session.get(Booking, data["future"].id)
    assert future is not None
    assert future.sequence == 1


def test_withdraw_without_consent_keeps_data(session: Session, make_study: Any) -> None:
    study = make_study()
    version = f.instrument_version(session, study)
    person = f.participant(session, study, status="screened")
    f.answers(session, person, version, draft={"q": 1})
    withdraw(session=session, participant=person, actor="system", now=f.NOW)
    assert person.status == "withdrawn"
    assert count(session, Draft, Draft.participant_id == person.id) == 1
    assert session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                           .where(AuditEvent.action == "participant.withdraw")).scalar_one() == 1


def test_scheduling_is_told_while_the_contact_still_exists(session: Session, setup: Any) -> None:
    data = setup("keep")
    person = data["person"]
    calls: list[tuple[list[int], bool]] = []

    def hook(participant: Participant, *, session: Session, bookings: list[Booking], now: Any) -> None:
        contact = session.exec(select(Contact).where(Contact.participant_id == participant.id)).first()
        calls.append(([b.id for b in bookings], contact is not None))

    with bookings_cancelled.connected_to(hook):
        withdraw(session=session, participant=person, actor="system", now=f.NOW)
    assert calls == [([data["future"].id], True)]
