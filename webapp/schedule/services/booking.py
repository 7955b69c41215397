"""Booking, moving and cancelling interviews: the transactions that must never double-book.

A booking is written inside ``begin_serialised``: on SQLite the whole transaction holds the write
lock (BEGIN IMMEDIATE); on PostgreSQL the participant's row and the interviewers' ``user`` rows are
locked ``FOR UPDATE`` (always in the same order). Under that lock the free slots are computed again
from the committed bookings (busy spans with buffers, different lengths, the per-day limit), so of
many concurrent requests for one slot exactly one finds it free. Messages go out after the commit.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, url_for
from sqlmodel import Session, col, select

from webapp.crypto import hash_token
from webapp.db import begin_serialised
from webapp.models import Booking, InterviewType, Participant, Study, User
from webapp.models.schedule import BUSY_STATUSES
from webapp.schedule.services.availability import (
    eligible_interviewers,
    lock_interviewers,
    open_slots,
    policy_of,
    round_robin_inputs,
)
from webapp.schedule.services.contact import ContactChoice, store_contact
from webapp.schedule.services.messages import (
    deliver_to_interviewer,
    deliver_to_participant,
    load_parts,
    log_attempt,
    to_interviewer,
    to_participant,
)
from webapp.schedule.services.reminders import plan_reminders, void_reminders
from webapp.schedule.services.slots import choose_interviewer

log = logging.getLogger(__name__)
OUTCOMES = ("completed", "no_show", "cancelled", "rescheduled")


class SchedulingError(Exception):
    """A booking request that cannot be done; the view shows a matching message."""


class SlotTaken(SchedulingError):
    """The time is no longer free (someone else just took it, or it is not offered)."""


class AlreadyBooked(SchedulingError):
    """The participant already has an upcoming interview."""


class TooLate(SchedulingError):
    """Inside the minimum notice: the participant can no longer change or cancel."""


class NotBookable(SchedulingError):
    """The mode, type or booking is not valid for this request."""


def manage_url(token: str) -> str:
    """The absolute reschedule/cancel link of a manage token."""
    base = current_app.config["KEIREKI"].base_url
    return base + url_for("schedule.manage", token=token)


def booking_by_manage_token(*, session: Session, token: str, now: datetime) -> Booking | None:
    """The booking of a manage link, or None when unknown or expired (the interview has ended)."""
    if not token or len(token) > 100:
        return None
    booking = session.exec(select(Booking).where(Booking.manage_token_hash == hash_token(token))).first()
    if booking is None or booking.manage_token_expires_at <= now:
        return None
    return booking


def upcoming_booking(*, session: Session, participant_id: int, now: datetime) -> Booking | None:
    return session.exec(
        select(Booking)
        .where(Booking.participant_id == participant_id, Booking.status == "booked", col(Booking.ends_at) > now)
        .order_by(col(Booking.starts_at))
    ).first()


def interviewed(*, session: Session, participant_id: int) -> bool:
    """Whether the participant's interview has taken place (a booking marked ``completed``)."""
    return (
        session.exec(
            select(Booking.id).where(Booking.participant_id == participant_id, Booking.status == "completed")
        ).first()
        is not None
    )


def active_types(*, session: Session, study_id: int) -> list[InterviewType]:
    return list(
        session.exec(
            select(InterviewType)
            .where(InterviewType.study_id == study_id, col(InterviewType.active).is_(True))
            .order_by(col(InterviewType.id))
        )
    )


@dataclass(frozen=True)
class Booked:
    booking: Booking
    token: str  #: the manage token; only its hash is stored


def _lock_participant(session: Session, participant_id: int) -> None:
    session.execute(sa.select(col(Participant.id)).where(col(Participant.id) == participant_id).with_for_update())


def _assign(
    *,
    session: Session,
    itype: InterviewType,
    language: str,
    start: datetime,
    now: datetime,
    prefer: int | None = None,
    exclude_booking: int | None = None,
    ignore_notice: bool = False,
) -> tuple[User, bool]:
    """Lock the eligible interviewers, recompute the slot and pick one (round robin); SlotTaken if none.

    ``ignore_notice`` (researchers) offers times inside the minimum notice, but never in the past.
    """
    if ignore_notice and start <= now:
        raise SlotTaken(start.isoformat())
    slot_now = now - policy_of(itype).min_notice if ignore_notice else now
    eligible = eligible_interviewers(session=session, itype=itype, language=language)
    lock_interviewers(session=session, user_ids=[e.user.id for e in eligible if e.user.id is not None])
    slot = next(
        (
            s
            for s in open_slots(
                session=session, itype=itype, eligible=eligible, now=slot_now, exclude_booking=exclude_booking
            )
            if s.start == start
        ),
        None,
    )
    if slot is None:
        raise SlotTaken(start.isoformat())
    if prefer in slot.interviewer_ids:
        chosen = prefer
    else:
        counts, last = round_robin_inputs(
            session=session, user_ids=list(slot.interviewer_ids), now=now, horizon=policy_of(itype).horizon
        )
        chosen = choose_interviewer(candidates=slot.interviewer_ids, booked_in_window=counts, last_booked_at=last)
    pick = next(e for e in eligible if e.user.id == chosen)
    return pick.user, pick.interpreter


def _set_times(booking: Booking, itype: InterviewType, start: datetime) -> None:
    policy = policy_of(itype)
    booking.starts_at = start
    booking.ends_at = start + policy.duration
    booking.busy_from, booking.busy_until = policy.busy_span(start)
    booking.manage_token_expires_at = booking.ends_at


def book(
    *,
    session: Session,
    participant: Participant,
    itype: InterviewType,
    start: datetime,
    participant_tz: str,
    mode: str,
    contact: ContactChoice,
    now: datetime,
) -> Booked:
    """Book ``start`` for the participant, assigning an interviewer; raises a :class:`SchedulingError`.

    Commits; then tells the participant (by their channel) and the interviewer.
    """
    if mode not in itype.modes:
        raise NotBookable(mode)
    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    try:
        assert participant.id is not None
        _lock_participant(session, participant.id)
        if upcoming_booking(session=session, participant_id=participant.id, now=now) is not None or interviewed(
            session=session, participant_id=participant.id
        ):
            raise AlreadyBooked(participant.code)
        interviewer, interpreter = _assign(
            session=session, itype=itype, language=participant.form_language, start=start, now=now
        )
        token = secrets.token_urlsafe(32)
        booking = Booking(
            uid=f"{uuid.uuid4()}@keireki",
            study_id=participant.study_id,
            interview_type_id=itype.id or 0,
            participant_id=participant.id,
            interviewer_id=interviewer.id or 0,
            starts_at=start,
            ends_at=start,
            busy_from=start,
            busy_until=start,
            participant_tz=participant_tz,
            language=participant.form_language,
            mode=mode,
            interpreter=interpreter,
            contact_channel=contact.channel,
            manage_token_hash=hash_token(token),
            manage_token_expires_at=start,
            created_at=now,
            updated_at=now,
        )
        _set_times(booking, itype, start)
        session.add(booking)
        session.flush()
        store_contact(session=session, participant_id=participant.id, choice=contact)
        plan_reminders(session=session, booking=booking, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    _tell(session, booking, purpose="confirmation", now=now, token=token)
    return Booked(booking=booking, token=token)


def may_change(*, booking: Booking, itype: InterviewType, now: datetime) -> bool:
    """Whether the participant may still move or cancel (outside the minimum notice)."""
    return booking.status == "booked" and now + policy_of(itype).min_notice <= booking.starts_at


def reschedule(
    *,
    session: Session,
    booking: Booking,
    start: datetime,
    now: datetime,
    by: str,
    participant_tz: str | None = None,
    token: str | None = None,
) -> Booking:
    """Move a booking to ``start`` (same UID, SEQUENCE + 1, new reminders); ``by`` participant|researcher.

    The current interviewer keeps it when free then; otherwise round robin picks another.
    """
    itype = session.get(InterviewType, booking.interview_type_id)
    assert itype is not None
    assert booking.id is not None
    if by == "participant" and not may_change(booking=booking, itype=itype, now=now):
        raise TooLate(booking.uid)
    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    try:
        _lock_participant(session, booking.participant_id)
        session.refresh(booking)
        if booking.status != "booked":
            raise NotBookable(booking.status)
        previous = session.get(User, booking.interviewer_id)
        interviewer, interpreter = _assign(
            session=session,
            itype=itype,
            language=booking.language,
            start=start,
            now=now,
            prefer=booking.interviewer_id,
            ignore_notice=by == "researcher",
            exclude_booking=booking.id,
        )
        booking.previous_starts = [*booking.previous_starts, booking.starts_at.isoformat()]
        _set_times(booking, itype, start)
        booking.interviewer_id, booking.interpreter = interviewer.id, interpreter  # type: ignore[assignment]
        booking.participant_tz = participant_tz or booking.participant_tz
        booking.sequence += 1
        booking.updated_at = now
        session.add(booking)
        void_reminders(session=session, booking_id=booking.id)
        plan_reminders(session=session, booking=booking, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    _tell(
        session,
        booking,
        purpose="reschedule",
        now=now,
        token=token,
        previous=previous if previous is not None and previous.id != booking.interviewer_id else None,
    )
    return booking


def cancel(*, session: Session, booking: Booking, now: datetime, by: str, status: str = "cancelled") -> Booking:
    """Cancel (``status`` cancelled, or rescheduled: to be booked again); SEQUENCE + 1; METHOD:CANCEL sent."""
    itype = session.get(InterviewType, booking.interview_type_id)
    assert itype is not None
    assert booking.id is not None
    if by == "participant" and not may_change(booking=booking, itype=itype, now=now):
        raise TooLate(booking.uid)
    if booking.status != "booked":
        raise NotBookable(booking.status)
    booking.status = status
    booking.sequence += 1
    booking.cancelled_at, booking.cancelled_by, booking.updated_at = now, by, now
    session.add(booking)
    void_reminders(session=session, booking_id=booking.id)
    session.commit()
    _tell(session, booking, purpose="cancel", now=now)
    return booking


def cancel_for_withdrawal(
    *, session: Session, participant: Participant, bookings: list[Booking], now: datetime
) -> None:
    """Hook of :func:`webapp.services.withdrawal.withdraw`: its bookings are already cancelled (SEQUENCE + 1).

    Voids their reminders and sends the cancellations while the contact still exists; the caller commits.
    """
    for booking in bookings:
        booking.cancelled_at, booking.cancelled_by = now, "withdrawal"
        booking.manage_token_expires_at = now
        session.add(booking)
        assert booking.id is not None
        void_reminders(session=session, booking_id=booking.id)
        session.flush()
        parts = load_parts(session, booking)
        to_participant(session, parts, purpose="cancel", now=now)
        to_interviewer(session, parts, purpose="cancel", now=now)


def set_outcome(*, session: Session, booking: Booking, outcome: str, now: datetime) -> Booking:
    """Record an interview's outcome; ``completed`` marks the participant ``interviewed``. Commits."""
    if outcome not in OUTCOMES:
        raise NotBookable(outcome)
    if outcome in ("cancelled", "rescheduled"):
        if booking.status == "booked":
            return cancel(session=session, booking=booking, now=now, by="researcher", status=outcome)
        booking.status = outcome
    else:
        booking.status = outcome
        if outcome == "completed":
            participant = session.get(Participant, booking.participant_id)
            if participant is not None and participant.status != "withdrawn":
                participant.status, participant.updated_at = "interviewed", now
                session.add(participant)
    booking.outcome_at, booking.updated_at = now, now
    session.add(booking)
    session.commit()
    return booking


def _tell(
    session: Session,
    booking: Booking,
    *,
    purpose: str,
    now: datetime,
    token: str | None = None,
    previous: User | None = None,
) -> None:
    """Send the messages of a committed change, then log them; a failure never undoes the change.

    Reading, sending and logging are separate steps so no transaction stays open while mail is sent,
    and the log is written in a serialised transaction (SQLite: no read-then-write lock upgrade).
    """
    try:
        parts = load_parts(session, booking)
        session.commit()
        deliveries = [
            deliver_to_participant(parts, purpose=purpose, now=now, manage_url=manage_url(token) if token else None),
            deliver_to_interviewer(parts, purpose=purpose, now=now),
        ]
        if previous is not None:
            deliveries.append(deliver_to_interviewer(parts, purpose="cancel", now=now, interviewer=previous))
        begin_serialised(session)
        for delivery in deliveries:
            log_attempt(session, delivery)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("messages about booking %s could not be sent", booking.id)


def ensure_default_interview_type(session: Session, study: Study) -> InterviewType:
    """The study's first interview type, created (60 min, video or phone, all study languages) if none exists.

    For ``keireki setup``, so a fresh install can take bookings; does not commit.
    """
    existing = session.exec(
        select(InterviewType).where(InterviewType.study_id == study.id).order_by(col(InterviewType.id))
    ).first()
    if existing is not None:
        return existing
    itype = InterviewType(
        study_id=study.id or 0,
        name={"en": "In-depth interview", "ja": "インタビュー"},
        duration_min=60,
        buffer_before_min=0,
        buffer_after_min=15,
        min_notice_hours=24,
        horizon_days=30,
        max_per_day=3,
        modes=["video", "phone", "in_person"],
        languages=list(study.languages),
        interpreter_available=True,
    )
    session.add(itype)
    session.flush()
    return itype


def busy_count(*, session: Session, interviewer_id: int, since: datetime, until: datetime) -> int:
    """Bookings of an interviewer that keep them busy in [since, until) (for tests and the agenda)."""
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(
                col(Booking.interviewer_id) == interviewer_id,
                col(Booking.status).in_(BUSY_STATUSES),
                col(Booking.busy_until) > since,
                col(Booking.busy_from) < until,
            )
        ).scalar_one()
    )
