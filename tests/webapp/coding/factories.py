"""Builders of coding test data: an interviewed participant with episodes, a transcript, coders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from tests.webapp.research import factories as rf
from webapp.coding.services import codebook
from webapp.coding.services import transcripts as sources
from webapp.models import Booking, Code, Participant, Study, Transcript, User

TEXT = ("I: Where did you learn welding?\n"
        "P: 愛知の工場で先輩が溶接を教えてくれました 🔧\n\n"
        "I: And the company?\r\n"
        "P: The manager said Vietnamese workers are only for simple tasks.\n"
        "P: ကျွန်တော် ဂဟေဆော်တာ သင်ခဲ့တယ်\n")


@dataclass
class Setup:
    study: Study
    person: Participant
    interviewer: User
    booking: Booking
    transcript: Transcript
    codes: dict[str, Code]


def interviewed(session: Session, study: Study, *, text: str = TEXT, code: str = "TI-0001",
                interviewer: User | None = None) -> Setup:
    person = rf.participant(session, study, code=code, ptype="ti", status="interviewed")
    for number in (1, 2):
        rf.record(session, person, "episodes", episode_no=number, kind="job", start=f"201{number}-04",
                  end=f"201{number + 1}-03", start_month=rf.month(2010 + number, 4),
                  end_month=rf.month(2011 + number, 3), residence_status="ti_1" if number == 1 else "ti_2")
    interviewer = interviewer or rf.user(session, study, "interviewer")
    booking = rf.booking(session, person, interviewer, starts_at=datetime(2026, 5, 1, 9, tzinfo=UTC),
                         status="completed")
    transcript = sources.add(session=session, booking=booking, text=text, name="interview.txt", language="ja",
                             user=interviewer)
    codes = {c.name: c for c in codebook.codes(session=session, study=study)}
    return Setup(study, person, interviewer, booking, transcript, codes)


def offsets(text: str, passage: str) -> tuple[int, int]:
    start = text.index(passage)
    return start, start + len(passage)


def skill(**kw: Any) -> dict[str, Any]:
    return {"actor": "coworkers", "skill_domain": "technical", "episode_no": 1, **kw}
