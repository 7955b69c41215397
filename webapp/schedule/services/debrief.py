"""The interviewer's debrief of an interview: the study's debrief instrument as one page.

Fields come from the shared form builder (:mod:`webapp.forms`); answers are converted and checked by
``instruments.engine`` like a participant's. A repeat group (the coded skill events) shows its entries
with an "add an entry" button. The result is stored as a ``Response`` of the participant with
``submitted_by`` = the interviewer, then the career-records conversion is queued.

A saved debrief can be changed by the interviewer who wrote it, the interview's interviewer and the
study's owners: the page opens with the saved answers, and saving keeps the previous version in
``meta["history"]`` (answers, who, when), records ``meta["edited_by"/"edited_at"]``, writes
``debrief.edit`` to the audit log and queues the conversion again. A stale form (someone saved in
between: ``revision`` differs) is not saved over the newer version: the page answers 409 with what was
typed. What was typed is never lost: a validation error shows the page again with every value.

:func:`save_debrief` is the service (the page and ``keireki demo seed`` call it);
:func:`check_debrief` validates answers like the page does; the page itself is
:mod:`webapp.schedule.services.debrief_page` (its route is ``webapp.schedule.routes.debrief``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from instruments import engine
from instruments.model import Instrument
from webapp.db import begin_serialised
from webapp.models import Booking, Participant, Response
from webapp.services import audit

log = logging.getLogger(__name__)


class DebriefConflict(Exception):
    """The debrief was saved by someone else since this form was opened (or created meanwhile)."""


def revision_of(response: Response | None) -> int:
    """The version number of a saved debrief (0: none yet); each edit adds one."""
    if response is None:
        return 0
    return len((response.meta or {}).get("history", [])) + 1


def debrief_of(*, session: Session, participant_id: int, instrument_id: str) -> Response | None:
    return session.exec(
        select(Response).where(Response.participant_id == participant_id, Response.instrument_id == instrument_id)
    ).first()


def check_debrief(instrument: Instrument, answers: dict[str, Any], *, today: date) -> dict[str, Any]:
    """The engine's issues of ``answers`` (path -> issue), as the page checks them before saving."""
    issues: dict[str, Any] = {}
    for group in instrument.groups:
        issues.update(engine.validate_page(instrument, group, answers, today=today))
    return issues


def save_debrief(
    *,
    session: Session,
    instrument: Instrument,
    version_id: int,
    participant: Participant,
    booking: Booking,
    answers: dict[str, Any],
    user: Any,
    now: datetime,
    expected_revision: int | None = None,
) -> Response:
    """Store the debrief of ``booking`` written by ``user`` (new, or a new version of the saved one), commit,
    and queue the participant's conversion. ``expected_revision`` (what the form was opened on) guards
    against saving over someone else's newer version: :class:`DebriefConflict`."""
    from workers.jobs import enqueue_conversion

    assert participant.id is not None
    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    try:
        session.exec(select(Participant).where(Participant.id == participant.id).with_for_update()).one()
        existing = session.exec(
            select(Response)
            .where(Response.participant_id == participant.id, Response.instrument_id == instrument.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if expected_revision is not None and revision_of(existing) != expected_revision:
            raise DebriefConflict(revision_of(existing))
        if existing is None:
            response = Response(
                participant_id=participant.id,
                instrument_id=instrument.id,
                instrument_version_id=version_id,
                answers=answers,
                submitted_by=user.id,
                meta={"source": "debrief", "booking": booking.uid},
                submitted_at=now,
            )
        else:
            response = existing
            meta = dict(existing.meta or {})
            previous = {
                "answers": existing.answers,
                "instrument_version_id": existing.instrument_version_id,
                "by": meta.get("edited_by", existing.submitted_by),
                "at": meta.get("edited_at", existing.submitted_at.isoformat()),
            }
            meta["history"] = [*meta.get("history", []), previous]
            meta["edited_by"], meta["edited_at"] = user.id, now.isoformat()
            response.meta = meta
            response.answers = answers
            response.instrument_version_id = version_id
            response.status, response.error = "submitted", None
            audit.record(
                session=session,
                action="debrief.edit",
                actor=audit.actor_of(user),
                study_id=booking.study_id,
                user_id=user.id,
                target=f"participant:{participant.code}",
                detail={"booking": booking.uid, "revision": revision_of(response)},
            )
        session.add(response)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    try:
        enqueue_conversion(session=session, participant_id=participant.id, study_id=booking.study_id)
    except Exception:  # the job row is committed first; beat's sweeper re-sends a message that failed
        log.exception("conversion of participant %s could not be queued now", participant.id)
    return response


def may_edit(*, response: Response, booking: Booking, user_id: int, role: str) -> bool:
    """The interviewer who wrote it, the interview's interviewer and the study's owners change a debrief."""
    return role == "owner" or user_id in (response.submitted_by, booking.interviewer_id)
