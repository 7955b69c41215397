"""Factories for scheduling tests: interviewers with hours, interview types, participants with tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from webapp.crypto import hash_token
from webapp.models import AvailabilityRule, Booking, InterviewType, Membership, Participant, Study, User

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def add_interviewer(
    session: Session,
    study: Study,
    *,
    timezone: str = "Asia/Tokyo",
    languages: tuple[str, ...] = ("en", "ja"),
    hours: tuple[int, int] = (9, 17),
    days: range = range(7),
    role: str = "interviewer",
    **fields: Any,
) -> User:
    user = User(
        email=f"i{uuid.uuid4().hex[:8]}@example.org",
        name="Interviewer",
        timezone=timezone,
        languages=list(languages),
        **fields,
    )
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, study_id=study.id, role=role))
    for day in days:
        session.add(AvailabilityRule(user_id=user.id, weekday=day, start_time=time(hours[0]), end_time=time(hours[1])))
    session.flush()
    return user


def add_type(session: Session, study: Study, **fields: Any) -> InterviewType:
    values: dict[str, Any] = {
        "name": {"en": "Interview"},
        "duration_min": 60,
        "buffer_before_min": 0,
        "buffer_after_min": 15,
        "min_notice_hours": 24,
        "horizon_days": 14,
        "max_per_day": 3,
        "modes": ["video", "phone"],
        "languages": [],
        "interpreter_available": False,
        "video_link": "https://meet.example.org/x",
    }
    itype = InterviewType(study_id=study.id, **{**values, **fields})
    session.add(itype)
    session.flush()
    return itype


def add_participant(
    session: Session,
    study: Study,
    *,
    language: str = "en",
    code: str | None = None,
    participant_type: str = "sie",
) -> tuple[Participant, str]:
    token = secrets.token_urlsafe(32)
    participant = Participant(
        study_id=study.id,
        code=code or f"SIE-{uuid.uuid4().hex[:4]}",
        participant_type=participant_type,
        form_language=language,
        status="submitted",
        resume_token_hash=hashlib.sha256(token.encode()).hexdigest(),
        resume_code_hash="x",
    )
    session.add(participant)
    session.flush()
    return participant, token


@pytest.fixture
def setup_booking(session: Session, make_study: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """A study with one interviewer (Tokyo, 09-17 every day), one type and one participant."""

    def _make(
        *,
        language: str = "en",
        interviewer: dict[str, Any] | None = None,
        itype: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        study = make_study()
        user = add_interviewer(session, study, **(interviewer or {}))
        kind = add_type(session, study, **(itype or {}))
        participant, token = add_participant(session, study, language=language)
        return {
            "study": study,
            "interviewer": user,
            "itype": kind,
            "participant": participant,
            "token": token,
        }

    return _make


def book_via_client(
    client: FlaskClient,
    study: Study,
    token: str,
    *,
    tz: str = "Asia/Tokyo",
    slot: str | None = None,
    channel: str = "email",
    **contact: str,
) -> Any:
    """GET the booking page, pick ``slot`` (default: the first offered) and POST it."""
    page = client.get(f"/s/{study.slug}/p/{token}/interview?tz={tz}")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    slot = slot or re.search(r'name="slot" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    data = {
        "csrf_token": csrf_of(html),
        "slot": slot,
        "tz": tz,
        "mode": "video",
        "channel": channel,
        "email": "p@example.org" if channel == "email" else "",
        **contact,
    }
    return client.post(f"/s/{study.slug}/p/{token}/interview?tz={tz}", data=data)


def plain_study(session: Session, *, slug: str, title: str = "S") -> Study:
    """A study row of its own (English only, no steps), for tests on a database of their own."""
    study = Study(slug=slug, title={"en": title}, default_language="en", languages=["en"], quotas={}, steps={},
                  pseudonym_key="00" * 16)
    session.add(study)
    session.flush()
    return study


def direct_booking(session: Session, *, study: Study, itype: InterviewType, participant: Participant,
                   interviewer: User, start: datetime, uid: str, token: str, language: str = "en",
                   participant_tz: str = "Asia/Tokyo", channel: str = "email") -> Booking:
    """A one-hour booking written directly (no confirmation mail, no reminders planned)."""
    booking = Booking(
        uid=uid, study_id=study.id or 0, interview_type_id=itype.id or 0, participant_id=participant.id or 0,
        interviewer_id=interviewer.id or 0, starts_at=start, ends_at=start + timedelta(hours=1), busy_from=start,
        busy_until=start + timedelta(hours=1), participant_tz=participant_tz, language=language, mode="video",
        contact_channel=channel, manage_token_hash=hash_token(token), manage_token_expires_at=start,
    )
    session.add(booking)
    session.flush()
    return booking


def booked_by_client(client: FlaskClient, session: Session, study: Study) -> tuple[Booking, User]:
    """An interviewer, a type and a participant of ``study``, and the participant's booking made on the page."""
    interviewer = add_interviewer(session, study)
    add_type(session, study)
    participant, token = add_participant(session, study)
    assert book_via_client(client, study, token).status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == participant.id)).one()
    return booking, interviewer


#: The debrief's answers apart from the skill events (the bundled debrief instrument).
DEBRIEF_ANSWERS = {
    "interview_date": "2024-04-01",
    "interview_mode": "video",
    "interview_language": "en",
    "interpreter": "no",
    "duration_min": "75",
    "count-skill_events": "1",
    "summary": "Talked about the move to SSW.",
}
