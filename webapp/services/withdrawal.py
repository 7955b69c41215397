"""Withdrawal of a participant: contact erased, research data kept or erased as the consent says.

Called from the participant's own withdraw link (participate area) and from the owner's participant page
(research area). The caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app, has_app_context
from sqlmodel import Session, col, select

from webapp.crypto import DecryptionError
from webapp.models import RECORD_TABLES, Booking, Consent, Draft, Participant, Response
from webapp.services import audit, contacts, uploads

log = logging.getLogger(__name__)

#: What the consent's ``withdrawal_data`` may say; anything else is treated as ``keep`` (the safe default
#: for research data the participant agreed to give; contact data is erased either way).
KEEP, ERASE = "keep", "erase"

_signals = Namespace()
#: Sent by :func:`withdraw` with the participant as sender and ``session``, ``bookings`` (the future bookings it
#: has just cancelled) and ``now``, before the contact details are erased. The scheduling area connects
#: :func:`webapp.schedule.services.booking.cancel_for_withdrawal` in its ``init_app`` (it voids the reminders and sends
#: the cancellations); receivers must not commit.
bookings_cancelled = _signals.signal("keireki.withdrawal.bookings-cancelled")
#: Sent by :func:`withdraw` (the participant is the sender) with ``session``, ``erase`` (the consent says
#: erase), ``address`` (their e-mail address before the contact was deleted, or None), ``actor``,
#: ``user_id`` and ``now``, after the contact and (with ``erase``) the research data are gone. The areas
#: holding copies connect to it: the scheduling area removes the address from the participant's messages,
#: the exports area deletes the stored bundles holding them. Receivers must not commit.
participant_withdrawn = _signals.signal("keireki.withdrawal.participant-withdrawn")


def withdrawal_choice(*, session: Session, participant: Participant) -> str:
    """``"keep"`` or ``"erase"``: what the latest consent says (``keep`` without a consent)."""
    consent = session.exec(
        select(Consent).where(Consent.participant_id == participant.id)
        .order_by(Consent.agreed_at.desc(), Consent.id.desc())  # type: ignore[attr-defined,union-attr]
    ).first()
    return ERASE if consent is not None and consent.withdrawal_data == ERASE else KEEP


def withdraw(*, session: Session, participant: Participant, actor: str, now: datetime,
             user_id: int | None = None) -> None:
    """Record the participant's withdrawal.

    Always: future bookings are cancelled (status ``cancelled``, SEQUENCE + 1, the scheduling area is
    told so it can send the cancellation), the contact details are deleted, the participant and their
    consents are marked withdrawn, ``participant.withdraw`` is audited. When the consent says ``erase``:
    drafts, responses, every career-records row, interview notes and transcript files are deleted too and
    ``participant.erase`` is audited. Idempotent: a second call changes nothing more and audits nothing.
    """
    if participant.status == "withdrawn" and participant.withdrawn_at is not None:
        return
    choice = withdrawal_choice(session=session, participant=participant)
    cancelled = _cancel_future_bookings(session=session, participant=participant, now=now)
    _notify_schedule(session=session, participant=participant, bookings=cancelled, now=now)

    address = _address_of(session=session, participant=participant)
    contact_erased = contacts.erase(session=session, participant=participant)
    for consent in session.exec(select(Consent).where(Consent.participant_id == participant.id)):
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now
            session.add(consent)

    participant.status = "withdrawn"
    participant.withdrawn_at = now
    participant.updated_at = now
    session.add(participant)
    target = f"participant:{participant.code}"
    audit.record(session=session, action="participant.withdraw", actor=actor, study_id=participant.study_id,
                 user_id=user_id, target=target,
                 detail={"data": choice, "bookings_cancelled": len(cancelled),
                         "contact_erased": contact_erased})
    if choice == ERASE:
        counts = _erase_research_data(session=session, participant=participant, now=now)
        audit.record(session=session, action="participant.erase", actor=actor, study_id=participant.study_id,
                     user_id=user_id, target=target, detail=counts)
    session.flush()
    participant_withdrawn.send(participant, session=session, erase=choice == ERASE, address=address, actor=actor,
                               user_id=user_id, now=now)
    session.flush()


def _address_of(*, session: Session, participant: Participant) -> str | None:
    """The participant's e-mail address (to find their messages), read before the contact is erased."""
    try:
        email = contacts.read(session=session, participant_id=participant.id or 0).get("email")
    except DecryptionError:
        return None
    return str(email) if email else None


def _cancel_future_bookings(*, session: Session, participant: Participant, now: datetime) -> list[Booking]:
    bookings = session.exec(
        select(Booking).where(Booking.participant_id == participant.id, Booking.status == "booked",
                              Booking.starts_at > now)
    ).all()
    for booking in bookings:
        booking.status = "cancelled"
        booking.sequence += 1
        booking.updated_at = now
        session.add(booking)
    session.flush()
    return list(bookings)


def _notify_schedule(*, session: Session, participant: Participant, bookings: list[Booking],
                     now: datetime) -> None:
    """Let the scheduling area send cancellations, while the contact details still exist."""
    if bookings:
        bookings_cancelled.send(participant, session=session, bookings=bookings, now=now)


def _erase_research_data(*, session: Session, participant: Participant, now: datetime) -> dict[str, int]:
    pid = participant.id
    counts: dict[str, int] = {}
    records = 0
    for table in RECORD_TABLES.values():
        result = session.execute(sa.delete(table).where(table.c.participant_id == pid))
        records += int(result.rowcount or 0)  # type: ignore[attr-defined]
    counts["records"] = records
    for name, model in (("drafts", Draft), ("responses", Response)):
        result = session.execute(sa.delete(model).where(model.participant_id == pid))  # type: ignore[arg-type]
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    notes = transcripts = 0
    for booking in session.exec(select(Booking).where(Booking.participant_id == pid)):
        if booking.notes_enc is not None:
            booking.notes_enc = None
            notes += 1
        if booking.transcript_path:
            _delete_transcript(booking.transcript_path)
            booking.transcript_path = None
            transcripts += 1
        booking.updated_at = now
        session.add(booking)
    counts["notes"] = notes
    counts["uploads"] = uploads.erase_of(session=session, participant_id=pid)  # type: ignore[arg-type]
    counts["transcripts"] = transcripts + _erase_coding(session=session, participant_id=pid)  # type: ignore[arg-type]
    return counts


def _erase_coding(*, session: Session, participant_id: int) -> int:
    """Delete the participant's coding sources (files too), their codings and memos; returns the sources."""
    from webapp.models import Coding, Memo, Transcript

    sources = list(session.exec(select(Transcript).where(Transcript.participant_id == participant_id)))
    if not sources:
        return 0
    ids = [t.id for t in sources]
    coding_ids = list(session.exec(select(Coding.id).where(col(Coding.transcript_id).in_(ids))))
    session.execute(sa.delete(Memo).where(col(Memo.target) == "coding", col(Memo.target_id).in_(coding_ids)))
    session.execute(sa.delete(Memo).where(col(Memo.target) == "transcript", col(Memo.target_id).in_(ids)))
    session.execute(sa.delete(Coding).where(col(Coding.transcript_id).in_(ids)))
    for transcript in sorted(sources, key=lambda t: t.translation_of_id is None):  # translations first
        _delete_transcript(transcript.path)
        session.delete(transcript)
        session.flush()
    return len(sources)


def _delete_transcript(stored: str) -> None:
    """Delete a transcript file; relative paths are under the data directory; nothing outside it."""
    if not has_app_context():
        return
    data_dir = Path(current_app.config["KEIREKI"].data_dir).resolve()
    path = Path(stored)
    path = (path if path.is_absolute() else data_dir / path).resolve()
    if not path.is_relative_to(data_dir):
        log.warning("transcript path outside the data directory not deleted: %s", stored)
        return
    path.unlink(missing_ok=True)
