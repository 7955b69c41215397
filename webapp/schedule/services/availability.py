"""From the database to the pure slot functions: eligible interviewers, their hours and their bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from webapp.models import AvailabilityOverride, AvailabilityRule, Booking, InterviewType, Membership, User
from webapp.models.schedule import BUSY_STATUSES
from webapp.schedule.services.messages import safe_zone
from webapp.schedule.services.slots import Availability, Busy, Policy, Slot, Window, free_slots

#: Study roles whose members can be assigned interviews.
INTERVIEWER_ROLES = ("owner", "researcher", "interviewer")


@dataclass(frozen=True)
class Eligible:
    user: User
    interpreter: bool  #: the interviewer does not speak the language: an interpreter joins


def speaks(languages: list[str], language: str) -> bool:
    """Whether a list of BCP 47 tags covers ``language`` (same tag, or same primary language)."""
    primary = language.split("-")[0].lower()
    return any(tag == language or tag.split("-")[0].lower() == primary for tag in languages)


def policy_of(itype: InterviewType) -> Policy:
    return Policy(
        duration=timedelta(minutes=itype.duration_min),
        buffer_before=timedelta(minutes=itype.buffer_before_min),
        buffer_after=timedelta(minutes=itype.buffer_after_min),
        min_notice=timedelta(hours=itype.min_notice_hours),
        horizon=timedelta(days=itype.horizon_days),
        max_per_day=itype.max_per_day,
        step=timedelta(minutes=max(5, itype.slot_step_min)),
    )


def eligible_interviewers(*, session: Session, itype: InterviewType, language: str) -> list[Eligible]:
    """Active members who interview in the study and speak ``language`` (or any, with an interpreter)."""
    users = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.study_id == itype.study_id,
            col(Membership.role).in_(INTERVIEWER_ROLES),
            col(User.is_active).is_(True),
        )
        .order_by(col(User.id))
    ).all()
    offered = not itype.languages or speaks(itype.languages, language)
    out = []
    for user in users:
        if offered and speaks(user.languages, language):
            out.append(Eligible(user=user, interpreter=False))
        elif itype.interpreter_available:
            out.append(Eligible(user=user, interpreter=True))
    return out


def lock_interviewers(*, session: Session, user_ids: list[int]) -> None:
    """Lock the interviewers' rows (PostgreSQL ``FOR UPDATE``, in id order, so bookings queue up)."""
    if user_ids:
        session.execute(
            sa.select(col(User.id)).where(col(User.id).in_(sorted(user_ids))).order_by(col(User.id)).with_for_update()
        )


def availabilities(*, session: Session, users: list[User], first: date, last: date) -> list[Availability]:
    """Weekly rules and the overrides between ``first`` and ``last`` of each user."""
    ids = [u.id for u in users]
    rules = session.exec(select(AvailabilityRule).where(col(AvailabilityRule.user_id).in_(ids))).all()
    overrides = session.exec(
        select(AvailabilityOverride).where(
            col(AvailabilityOverride.user_id).in_(ids),
            col(AvailabilityOverride.day) >= first,
            col(AvailabilityOverride.day) <= last,
        )
    ).all()
    out = []
    for user in users:
        weekly: dict[int, list[Window]] = {}
        for rule in rules:
            if rule.user_id == user.id and rule.start_time < rule.end_time:
                weekly.setdefault(rule.weekday, []).append(Window(rule.start_time, rule.end_time))
        by_day: dict[date, list[Window]] = {}
        for o in overrides:
            if o.user_id != user.id:
                continue
            windows = by_day.setdefault(o.day, [])
            if not o.blocked and o.start_time and o.end_time and o.start_time < o.end_time:
                windows.append(Window(o.start_time, o.end_time))
        blocked = {o.day for o in overrides if o.user_id == user.id and o.blocked}
        assert user.id is not None
        out.append(
            Availability(
                interviewer_id=user.id,
                timezone=safe_zone(user.timezone),
                weekly={d: tuple(sorted(w, key=lambda x: x.start)) for d, w in weekly.items()},
                overrides={
                    d: () if d in blocked else tuple(sorted(w, key=lambda x: x.start)) for d, w in by_day.items()
                },
            )
        )
    return out


def busy_spans(
    *,
    session: Session,
    user_ids: list[int],
    since: datetime,
    until: datetime,
    exclude_booking: int | None = None,
) -> list[Busy]:
    """The busy spans (buffers included) of the users' bookings that touch [since, until)."""
    query = select(Booking).where(
        col(Booking.interviewer_id).in_(user_ids),
        col(Booking.status).in_(BUSY_STATUSES),
        col(Booking.busy_until) > since,
        col(Booking.busy_from) < until,
    )
    if exclude_booking is not None:
        query = query.where(col(Booking.id) != exclude_booking)
    return [Busy(b.interviewer_id, b.busy_from, b.busy_until, interview_start=b.starts_at) for b in session.exec(query)]


def open_slots(
    *,
    session: Session,
    itype: InterviewType,
    eligible: list[Eligible],
    now: datetime,
    exclude_booking: int | None = None,
) -> list[Slot]:
    """Free slots of an interview type among ``eligible`` interviewers."""
    if not eligible:
        return []
    policy = policy_of(itype)
    users = [e.user for e in eligible]
    ids = [u.id for u in users if u.id is not None]
    first = (now - timedelta(days=2)).date()
    last = (now + policy.horizon + timedelta(days=2)).date()
    busy = busy_spans(
        session=session,
        user_ids=ids,
        since=now - timedelta(days=2),
        until=now + policy.horizon + timedelta(days=2),
        exclude_booking=exclude_booking,
    )
    return free_slots(
        availabilities=availabilities(session=session, users=users, first=first, last=last),
        policy=policy,
        busy=busy,
        now=now,
    )


def round_robin_inputs(
    *, session: Session, user_ids: list[int], now: datetime, horizon: timedelta
) -> tuple[dict[int, int], dict[int, datetime]]:
    """Bookings per interviewer in the window (now .. now + horizon) and when each was last booked."""
    rows = session.execute(
        sa.select(col(Booking.interviewer_id), sa.func.count())
        .where(
            col(Booking.interviewer_id).in_(user_ids),
            col(Booking.status).in_(BUSY_STATUSES),
            col(Booking.starts_at) >= now,
            col(Booking.starts_at) <= now + horizon,
        )
        .group_by(col(Booking.interviewer_id))
    ).all()
    counts = {int(row[0]): int(row[1]) for row in rows}
    last: dict[int, datetime] = {}
    for booking in session.exec(select(Booking).where(col(Booking.interviewer_id).in_(user_ids))):
        if booking.interviewer_id not in last or booking.created_at > last[booking.interviewer_id]:
            last[booking.interviewer_id] = booking.created_at
    return counts, last
