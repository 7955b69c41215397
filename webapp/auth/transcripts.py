"""Who may read and code which transcript: the rule the coding pages enforce and the research pages follow
when they link to a passage (an interviewer sees a link only to interviews they conducted)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from webapp.auth.roles import can
from webapp.models import Booking, Transcript


def may_code_booking(*, session: Session, user: Any, booking: Booking) -> bool:
    """Whether ``user`` may read and code the transcripts of ``booking``."""
    if can(session=session, user=user, study_id=booking.study_id, permission="code_all"):
        return True
    return (can(session=session, user=user, study_id=booking.study_id, permission="code")
            and booking.interviewer_id == getattr(user, "id", None) and booking.status != "cancelled")


def may_code(*, session: Session, user: Any, transcript: Transcript) -> bool:
    """An interview's transcript: as its booking; an imported source without interview: owners, researchers."""
    if transcript.booking_id is None:
        return can(session=session, user=user, study_id=transcript.study_id, permission="code_all")
    booking = session.get(Booking, transcript.booking_id)
    return booking is not None and may_code_booking(session=session, user=user, booking=booking)
