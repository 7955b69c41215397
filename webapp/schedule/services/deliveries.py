"""Messages sent by hand: a ``manual`` delivery (phone or messaging app) marked as sent by a researcher.

``mark_sent`` turns the attempt's status from ``manual`` into ``sent`` with one conditional UPDATE, so
of two clicks (two tabs, two researchers) exactly one records it: who (user id) and when go into the
attempt's ``detail`` (``sent_by``, ``sent_at``, ``by_hand``), the audit log gets ``delivery.sent_by_hand``,
and a reminder delivered by hand becomes ``sent``. The page (``webapp.schedule.routes.admin.manual_sent``) is the
outbox's "To send by hand" list and the interview page: whoever may see the outbox (permission ``schedule``)
may mark any item, an interviewer the items of their own interviews.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from webapp.models import Booking, DeliveryAttempt, Reminder
from webapp.services import audit


class Marked(Enum):
    NOW = "now"  #: this call marked it
    ALREADY = "already"  #: it was marked sent before (by anyone)
    NOT_MANUAL = "not_manual"  #: not a message to send by hand (sent by mail, failed, ...)


def mark_sent(*, session: Session, attempt: DeliveryAttempt, user: Any, study_id: int, now: datetime) -> Marked:
    """Record that ``user`` sent the ``manual`` message of ``attempt`` by hand (committed; idempotent)."""
    if attempt.status != "manual":
        return Marked.ALREADY if attempt.detail.get("by_hand") else Marked.NOT_MANUAL
    detail = {**attempt.detail, "by_hand": True, "sent_by": user.id, "sent_at": now.isoformat()}
    table = DeliveryAttempt.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table)
        .where(table.c.id == attempt.id, table.c.status == "manual")
        .values(status="sent", detail=detail)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # someone else was quicker
        session.rollback()
        return Marked.ALREADY
    if attempt.reminder_id is not None:
        session.execute(
            sa.update(Reminder.__table__)  # type: ignore[attr-defined]
            .where(col(Reminder.id) == attempt.reminder_id, col(Reminder.status) == "manual")
            .values(status="sent", sent_at=now)
        )
    booking = session.get(Booking, attempt.booking_id) if attempt.booking_id else None
    audit.record(
        session=session,
        action="delivery.sent_by_hand",
        actor=audit.actor_of(user),
        study_id=study_id,
        user_id=user.id,
        target=f"booking:{booking.uid}" if booking else f"delivery:{attempt.id}",
        detail={"delivery": attempt.id, "purpose": attempt.purpose, "channel": attempt.channel},
    )
    session.commit()
    session.refresh(attempt)
    return Marked.NOW
