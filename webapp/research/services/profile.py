"""A participant's page: answers, career records, interviews, flags (contact details: ``webapp.services.contacts``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from webapp.auth.roles import can
from webapp.models import (
    RECORD_TABLES,
    Booking,
    InstrumentVersion,
    Participant,
    Response,
    Study,
    User,
)
from webapp.research.services.answers import AnswerItem, RepeatItem, answer_items
from webapp.services import charts, contacts
from webapp.services.careers import career_timeline, labels_for, study_instruments  # noqa: F401  (the area's names)
from webapp.services.studies import instrument_of


@dataclass(frozen=True)
class ResponseView:
    response: Response
    instrument_id: str
    title: str
    version: str
    items: list[AnswerItem | RepeatItem]


@dataclass(frozen=True)
class BookingView:
    booking: Booking
    interviewer: str


def find_participant(*, session: Session, study: Study, code: str) -> Participant | None:
    if len(code) > 16:
        return None
    return session.exec(select(Participant).where(Participant.study_id == study.id,
                                                  Participant.code == code)).first()


def is_assigned_interviewer(*, session: Session, participant: Participant, user: Any) -> bool:
    """True when the user interviews (or interviewed) the participant in a booking that was not cancelled."""
    return contacts.is_assigned_interviewer(session=session, participant_id=participant.id or 0, user_id=user.id)


def may_see_answers(*, session: Session, participant: Participant, user: Any) -> bool:
    """Roles with ``view_records``, and the assigned interviewer (to prepare the interview)."""
    return can(session=session, user=user, study_id=participant.study_id, permission="view_records") or \
        is_assigned_interviewer(session=session, participant=participant, user=user)


def responses(*, session: Session, participant: Participant, language: str) -> list[ResponseView]:
    rows = session.exec(select(Response, InstrumentVersion)
                        .join(InstrumentVersion, col(InstrumentVersion.id) == Response.instrument_version_id)
                        .where(Response.participant_id == participant.id)
                        .order_by(Response.submitted_at, Response.id)).all()  # type: ignore[arg-type]
    out = []
    for response, version in rows:
        try:
            instrument = instrument_of(version)
        except Exception:  # noqa: BLE001 - a definition that no longer parses still shows its raw answers
            out.append(ResponseView(response=response, instrument_id=response.instrument_id,
                                    title=response.instrument_id, version=version.version, items=[]))
            continue
        out.append(ResponseView(
            response=response, instrument_id=response.instrument_id,
            title=instrument.text(instrument.title, language) or instrument.id, version=version.version,
            items=answer_items(instrument=instrument, answers=response.answers, meta=response.meta,
                               language=language, form_language=participant.form_language)))
    return out


def record_rows(*, session: Session, participant: Participant, table: str, order: tuple[str, ...]
                ) -> list[dict[str, Any]]:
    t = RECORD_TABLES[table]
    rows = session.execute(sa.select(t).where(t.c.participant_id == participant.id)
                           .order_by(*(t.c[c] for c in order))).mappings().all()
    return [dict(r) for r in rows]


def bookings(*, session: Session, participant: Participant) -> list[BookingView]:
    rows = session.exec(select(Booking, User).join(User, col(User.id) == Booking.interviewer_id)
                        .where(Booking.participant_id == participant.id)
                        .order_by(Booking.starts_at)).all()  # type: ignore[arg-type]
    return [BookingView(booking=b, interviewer=u.name or u.email) for b, u in rows]


#: Colours of the skill events on the timeline (the built-in codes' colours).
EVENT_COLOURS = {"recognise": "#1f77b4", "cultivate": "#2ca02c", "ascribe": "#ff7f0e", "limit_deny": "#d62728"}


def coded_markers(*, session: Session, participant: Participant, timeline: charts.Timeline,
                  skill_events: list[dict[str, Any]], link: Any) -> list[charts.Marker]:
    """Markers of the coded skill events (``source = coding``) on their episodes; ``link(transcript_id,
    paragraph)`` is the URL of the passage (None: no link for this user)."""
    from webapp.models import Transcript

    refs = {t.ref: t.id for t in session.exec(select(Transcript).where(Transcript.participant_id == participant.id))}
    segments = {s.episode_no: s for s in timeline.segments}
    placed: dict[int, int] = {}
    out = []
    for event in skill_events:
        segment = segments.get(event.get("episode_no") or -1)
        transcript_id = refs.get(event.get("transcript_ref") or "")
        if event.get("source") != "coding" or segment is None or transcript_id is None:
            continue
        href = link(transcript_id, event.get("paragraph"))
        if href is None:
            continue
        n = placed.get(segment.episode_no, 0)
        placed[segment.episode_no] = n + 1
        where = f"{event.get('transcript_ref')} ¶{event.get('paragraph')}"
        parts = (event.get("event"), event.get("actor") or "", where)
        title = " · ".join(str(p) for p in parts)
        out.append(charts.marker_on(segment, n, colour=EVENT_COLOURS.get(str(event.get("event")), "#5b6470"),
                                    title=title, href=href))
    return out
