"""Reminders 24 h and 2 h before an interview, each sent exactly once.

A reminder is a row planned with the booking (for the booking's SEQUENCE; a reschedule voids the old
rows and plans new ones). A sender claims a row with one conditional UPDATE inside a serialised
transaction (``status='pending'``, or ``'sending'`` whose claim lease ran out because its worker died),
so two beat or worker processes never both take it. The message's idempotency key is the reminder's id:
a re-send after a crash between "sent" and "marked sent" replaces the same outbox file and carries the
same Message-ID. Every attempt is logged as a ``DeliveryAttempt``.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, col, select

from webapp.db import begin_serialised
from webapp.models import Booking, Reminder, utcnow
from webapp.schedule.services.messages import Delivery, deliver_to_participant, load_parts, log_attempt
from webapp.services.mail import MailError

log = logging.getLogger(__name__)

#: Reminder kinds and how long before the interview each is due.
REMINDERS: dict[str, timedelta] = {"24h": timedelta(hours=24), "2h": timedelta(hours=2)}
#: Attempts before a reminder is given up as failed.
MAX_ATTEMPTS = 3


def claim_lease() -> timedelta:
    """How long a claimed reminder may stay unsent before another sender takes it over.

    The job lease (``KEIREKI_JOB_LEASE_SECONDS``, 5 minutes by default): a sender silent that long died.
    """
    return timedelta(seconds=current_app.config["KEIREKI"].job_lease_seconds)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def plan_reminders(*, session: Session, booking: Booking, now: datetime) -> list[Reminder]:
    """Add the reminders still ahead of ``now`` for the booking's current SEQUENCE (not committed)."""
    planned = []
    for kind, before in REMINDERS.items():
        due = booking.starts_at - before
        if due > now:
            reminder = Reminder(booking_id=booking.id or 0, kind=kind, booking_sequence=booking.sequence, due_at=due)
            session.add(reminder)
            planned.append(reminder)
    return planned


def void_reminders(*, session: Session, booking_id: int) -> None:
    """Void the booking's reminders that are not sent yet (a change or a cancellation)."""
    session.execute(
        sa.update(Reminder)
        .where(col(Reminder.booking_id) == booking_id, col(Reminder.status).in_(("pending", "failed")))
        .values(status="void")
    )


def due_reminder_ids(*, session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Reminders due now: pending ones, and claimed ones whose sender's lease ran out."""
    query = (
        select(Reminder.id)
        .where(
            sa.or_(
                sa.and_(col(Reminder.status) == "pending", col(Reminder.due_at) <= now),
                sa.and_(col(Reminder.status) == "sending", col(Reminder.claimed_at) < now - claim_lease()),
            )
        )
        .order_by(col(Reminder.due_at))
        .limit(limit)
    )
    return [int(i) for i in session.exec(query) if i is not None]


def claim(*, session: Session, reminder_id: int, worker: str, now: datetime) -> bool:
    """Take the reminder for sending; False when another sender has it or it is done. Commits."""
    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    result = session.execute(
        sa.update(Reminder)
        .where(col(Reminder.id) == reminder_id)
        .where(
            sa.or_(
                col(Reminder.status) == "pending",
                sa.and_(col(Reminder.status) == "sending", col(Reminder.claimed_at) < now - claim_lease()),
            )
        )
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=col(Reminder.attempts) + 1)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def send_claimed(*, session: Session, reminder_id: int, now: datetime) -> str:
    """Send a claimed reminder; returns its new status (sent, manual, void, pending again, failed).

    Read, send, then write in a serialised transaction: no transaction is open while mail is sent.
    """
    reminder = session.get(Reminder, reminder_id, populate_existing=True)
    assert reminder is not None
    booking = session.get(Booking, reminder.booking_id, populate_existing=True)
    assert booking is not None
    purpose = f"reminder_{reminder.kind}"
    stale = booking.status != "booked" or booking.sequence != reminder.booking_sequence or booking.starts_at <= now
    parts = None if stale else load_parts(session, booking)
    session.commit()
    delivery: Delivery | None = None
    error: str | None = None
    if parts is not None:
        try:
            delivery = deliver_to_participant(
                parts, purpose=purpose, now=now, key=f"reminder:{reminder_id}", raise_errors=True
            )
        except MailError as exc:
            error = str(exc)
    begin_serialised(session)
    reminder = session.get(Reminder, reminder_id, populate_existing=True)
    assert reminder is not None
    if parts is None:
        reminder.status, reminder.error = "void", "the interview changed, was cancelled or has begun"
    elif delivery is None:
        final = reminder.attempts >= MAX_ATTEMPTS
        failed = Delivery(booking.id or 0, "email", purpose, "failed", {"to": "participant", "error": error})
        log_attempt(
            session,
            failed,
            reminder_id=reminder_id,
            status="failed" if final else "retried",
            attempt=reminder.attempts,
        )
        reminder.status, reminder.error = ("failed" if final else "pending"), (error or "")[:500]
    else:
        log_attempt(session, delivery, reminder_id=reminder_id)
        reminder.status = delivery.status
        reminder.error = str(delivery.detail.get("error"))[:500] if delivery.status == "failed" else None
        reminder.sent_at = now
    session.add(reminder)
    session.commit()
    return reminder.status


@dataclass
class RunSummary:
    claimed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def send_due_reminders(
    *, session: Session, now: datetime | None = None, worker: str | None = None, limit: int = 200
) -> RunSummary:
    """Claim and send every reminder that is due; safe to run in several processes at once."""
    worker = worker or worker_name()
    summary = RunSummary()
    for reminder_id in due_reminder_ids(session=session, now=now or utcnow(), limit=limit):
        moment = now or utcnow()
        if not claim(session=session, reminder_id=reminder_id, worker=worker, now=moment):
            continue
        summary.claimed += 1
        try:
            status = send_claimed(session=session, reminder_id=reminder_id, now=moment)
        except Exception:
            session.rollback()
            log.exception("reminder %s could not be sent; it is retried when its claim lease ends", reminder_id)
            status = "error"
        summary.statuses[status] = summary.statuses.get(status, 0) + 1
    return summary
