"""Past interviews of demo participants, and the debriefs their interviewers wrote.

:func:`seed_interviews` gives a share of the participants one interview in the past with one of the
study's interviewers (members with an interviewing role, round robin; of the study's first active
interview type, the default one of ``keireki setup`` when there is none), records its outcome through the
scheduling service (``set_outcome``: most ``completed``, which marks the participant ``interviewed``,
some ``no_show``), and for a share of the completed ones saves a debrief through the debrief service
(``webapp.schedule.services.debrief.save_debrief``, checked with ``check_debrief`` like the page), coding 0-3
skill events on the participant's career episodes. Past interviews are not booked through the booking
service (which offers only future slots and messages the participant): their rows are written here,
with no reminders or messages. A participant who already has an interview is left alone, so running
it again on the same participants adds nothing.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from instruments.engine import convert_answer, prune_irrelevant
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question

#: Start hours (Tokyo) of demo interviews; an interviewer has at most one interview per hour and day.
_HOURS = (10, 13, 15)
_NOTES = {
    "en": ("Supervisor let them train new interns.", "Certificate not recognised by the new employer.",
           "Learned welding on the job from co-workers.", "Told they could only do simple work."),
    "ja": ("上司が新しい実習生の指導を任せた。", "転職先で資格が認められなかった。",
           "同僚から現場で溶接を学んだ。", "簡単な作業しかできないと言われた。"),
}
_SUMMARIES = {
    "en": ("Career since the internship; plans to stay as SSW.", "Move to a larger firm; follow up on pay.",
           "Returned home once, came back as an engineer."),
    "ja": ("実習後の経歴と特定技能での残留の希望。", "大きい会社への転職。賃金について追加で確認。",
           "一度帰国し、技術者として再来日。"),
}


@dataclass
class InterviewOutcome:
    """What :func:`seed_interviews` made (booking ids by outcome, debriefs) or why it made nothing."""

    by_outcome: dict[str, int] = field(default_factory=dict)
    booking_ids: list[int] = field(default_factory=list)
    debriefs: list[int] = field(default_factory=list)  #: participant ids with a debrief saved
    skipped: str | None = None


def _interviewers(session: Any, study: Any) -> list[Any]:
    from sqlmodel import col, select

    from webapp.models import Membership, User
    from webapp.schedule.services.availability import INTERVIEWER_ROLES

    return list(session.exec(
        select(User).join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.study_id == study.id, col(Membership.role).in_(INTERVIEWER_ROLES),
               col(User.is_active).is_(True))
        .order_by(col(User.id))
    ).all())


def _past_booking(*, study: Any, itype: Any, participant: Any, interviewer: Any, start: datetime,
                  mode: str, now: datetime) -> Any:
    from webapp.models import Booking
    from webapp.schedule.services.availability import policy_of

    policy = policy_of(itype)
    busy_from, busy_until = policy.busy_span(start)
    return Booking(
        uid=f"{uuid.uuid4()}@keireki", study_id=study.id, interview_type_id=itype.id,
        participant_id=participant.id, interviewer_id=interviewer.id, starts_at=start,
        ends_at=start + policy.duration, busy_from=busy_from, busy_until=busy_until,
        participant_tz="Asia/Tokyo", language=participant.form_language, mode=mode,
        interpreter=participant.form_language not in interviewer.languages,
        manage_token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        manage_token_expires_at=start + policy.duration, created_at=start - timedelta(days=10), updated_at=now,
    )


def _choices(instrument: Instrument, question: Question) -> list[str]:
    return [c.name for c in instrument.choice_lists.get(question.choices or "", ())]


def _put(instrument: Instrument, scope: dict[str, Any], question: Question, raw: str | None,
         rng: random.Random) -> None:
    """Store what the interviewer typed as the converted answer (a choice not in the list: a random one)."""
    if raw is None or raw == "":
        return
    if question.type == "select_one" and raw not in _choices(instrument, question):
        raw = rng.choice(_choices(instrument, question) or [""])
    try:
        value = convert_answer(question, raw, instrument=instrument).value
    except AnswerError:
        return
    if value is not None:
        scope[question.name] = value


def _skill_event(instrument: Instrument, group: Group, *, episodes: int, rng: random.Random,
                 language: str) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for question in (c for c in group.children if isinstance(c, Question)):
        if question.name == "event_episode":
            raw = str(rng.randint(1, episodes)) if episodes and rng.random() < 0.8 else None
        elif question.type == "select_one":
            raw = rng.choice(_choices(instrument, question))
        elif question.type == "text":
            raw = rng.choice(_NOTES.get(language, _NOTES["en"]))
        else:
            raw = None
        _put(instrument, entry, question, raw, rng)
    return entry


def debrief_answers(instrument: Instrument, *, booking: Any, duration_min: int, episodes: int,
                    rng: random.Random, language: str) -> dict[str, Any]:
    """What an interviewer types for ``booking``: the interview's facts, 0-3 coded skill events, a summary."""
    start = booking.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    typed: dict[str, Any] = {
        "interview_date": start.date().isoformat(), "interview_mode": booking.mode,
        "interview_language": booking.language, "interpreter": "yes" if booking.interpreter else "no",
        "duration_min": str(max(15, duration_min + rng.choice((-15, -5, 0, 0, 10, 20)))),
        "summary": rng.choice(_SUMMARIES.get(language, _SUMMARIES["en"])),
    }
    answers: dict[str, Any] = {}
    for node in instrument.walk():
        if isinstance(node, Question) and node.name in typed:
            _put(instrument, answers, node, typed[node.name], rng)
        if isinstance(node, Group) and node.repeat and node.record == "skill_events":
            answers[node.name] = [_skill_event(instrument, node, episodes=episodes, rng=rng, language=language)
                                  for _ in range(rng.choice((0, 1, 1, 2, 3)))]
    return answers


def seed_interviews(*, session: Any, study: Any, participant_ids: Sequence[int], rng: random.Random,
                    now: datetime, episodes: Mapping[int, int] | None = None, share: float = 0.3,
                    debrief_share: float = 0.7, progress: Callable[[int], Any] | None = None) -> InterviewOutcome:
    """Past interviews for about ``share`` of ``participant_ids``; debriefs for ``debrief_share`` of those
    done. ``episodes`` (participant id -> career episodes) bounds the coded episode numbers."""
    from sqlmodel import col, select

    from webapp.models import Booking, InterviewType, Participant
    from webapp.schedule.services.booking import ensure_default_interview_type, set_outcome
    from webapp.schedule.services.debrief import check_debrief, save_debrief
    from webapp.services.studies import current_version, instrument_of

    outcome = InterviewOutcome()
    interviewers = _interviewers(session, study)
    if not interviewers:
        outcome.skipped = "the study has no interviewer"
        return outcome
    itype = session.exec(select(InterviewType).where(InterviewType.study_id == study.id, col(InterviewType.active))
                         .order_by(col(InterviewType.id))).first() or ensure_default_interview_type(session, study)
    debrief_id = study.steps.get("debrief")
    version = current_version(session=session, study_id=study.id, instrument_id=debrief_id) if debrief_id else None
    instrument = instrument_of(version) if version is not None else None
    already = set(session.exec(select(Booking.participant_id).where(
        col(Booking.participant_id).in_(list(participant_ids)))).all())
    chosen = [pid for pid in participant_ids if rng.random() < share and pid not in already]
    tokyo = ZoneInfo("Asia/Tokyo")
    today = now.astimezone(tokyo).date()
    for n, pid in enumerate(chosen):
        participant = session.get(Participant, pid)
        if participant is None or participant.status != "submitted":
            continue
        interviewer = interviewers[n % len(interviewers)]
        turn = n // len(interviewers)
        day = today - timedelta(days=2 + turn // len(_HOURS))
        start = datetime.combine(day, time(_HOURS[turn % len(_HOURS)]), tzinfo=tokyo).astimezone(UTC)
        modes = [m for m in itype.modes if m != "messaging"] or ["video"]
        booking = _past_booking(study=study, itype=itype, participant=participant, interviewer=interviewer,
                                start=start, mode=rng.choice(modes), now=now)
        session.add(booking)
        session.commit()
        result = "completed" if rng.random() < 0.85 else "no_show"
        set_outcome(session=session, booking=booking, outcome=result, now=now)
        outcome.booking_ids.append(booking.id)
        outcome.by_outcome[result] = outcome.by_outcome.get(result, 0) + 1
        if result == "completed" and instrument is not None and version is not None \
                and rng.random() < debrief_share:
            language = interviewer.ui_language if interviewer.ui_language in ("en", "ja") else "en"
            answers = debrief_answers(instrument, booking=booking, duration_min=itype.duration_min,
                                      episodes=(episodes or {}).get(pid, 0), rng=rng, language=language)
            if not check_debrief(instrument, answers, today=today):
                save_debrief(session=session, instrument=instrument, version_id=version.id or 0,
                             participant=participant, booking=booking,
                             answers=prune_irrelevant(instrument, answers, today), user=interviewer, now=now)
                outcome.debriefs.append(pid)
        if progress is not None:
            progress(1)
    return outcome
