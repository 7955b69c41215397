"""Adding an interviewer's weekly hours and date overrides: the rules every writer (page, command) goes through.

A weekly rule has a weekday (0 = Monday) and a start before its end, and overlaps no other rule of the same
person on that weekday (an identical one included; rules that only touch, 09:00–12:00 and 12:00–15:00, are
fine). A date override is either the whole day off (``blocked``, no times) or hours with a start before the
end; its date is not before today in the interviewer's zone; a day off is the only override of its date,
and hours overlap no other hours of that date. Refusals are :class:`HoursRefused` subclasses naming the
form field they belong to (and the clashing row); nothing is written then.

The check and the write are one unit: on SQLite it holds the write lock (``begin_write``), on PostgreSQL the
interviewer's ``user`` row is locked ``FOR UPDATE`` first, so two identical submissions at once store one row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from webapp.db import begin_write
from webapp.models import AvailabilityOverride, AvailabilityRule, User
from webapp.schedule.services.availability import lock_interviewers
from webapp.schedule.services.messages import safe_zone


class HoursRefused(Exception):
    """Hours that cannot be saved; ``field`` is the form field the reason belongs to."""

    field = "end_time"


class BadWeekday(HoursRefused):
    field = "weekday"


class MissingHours(HoursRefused):
    """An override with neither hours nor "not available"."""


class EndNotAfterStart(HoursRefused):
    pass


class DatePassed(HoursRefused):
    field = "day"


class RuleClash(HoursRefused):
    """The rule is identical to (``same``) or overlaps an existing weekly rule, ``rule``."""

    field = "start_time"

    def __init__(self, rule: AvailabilityRule, *, same: bool) -> None:
        super().__init__(rule.id)
        self.rule, self.same = rule, same


class OverrideClash(HoursRefused):
    """The override collides with ``override``, an existing one of the same date."""

    field = "day"

    def __init__(self, override: AvailabilityOverride) -> None:
        super().__init__(override.id)
        self.override = override


def _overlap(a_start: time, a_end: time, b_start: time, b_end: time) -> bool:
    return a_start < b_end and b_start < a_end


def _hours(start: time | None, end: time | None) -> tuple[time, time]:
    if start is None or end is None:
        raise MissingHours()
    if end <= start:
        raise EndNotAfterStart()
    return start, end


@contextlib.contextmanager
def _unit(session: Session, user_id: int) -> Iterator[None]:
    """The check-and-write unit of one person's hours: the write lock on SQLite, the person's row on
    PostgreSQL; committed when the block ends, rolled back when it raises (a refusal writes nothing)."""
    if session.in_transaction():
        session.commit()
    begin_write(session)
    try:
        lock_interviewers(session=session, user_ids=[user_id])
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def add_rule(*, session: Session, user: User, weekday: int, start: time | None, end: time | None) -> AvailabilityRule:
    """Add weekly hours to ``user``; raises :class:`HoursRefused` (nothing written). Commits."""
    if weekday not in range(7):
        raise BadWeekday()
    start, end = _hours(start, end)
    assert user.id is not None
    with _unit(session, user.id):
        for rule in session.exec(
            select(AvailabilityRule)
            .where(AvailabilityRule.user_id == user.id, AvailabilityRule.weekday == weekday)
            .order_by(col(AvailabilityRule.start_time))
        ):
            if (rule.start_time, rule.end_time) == (start, end):
                raise RuleClash(rule, same=True)
            if _overlap(start, end, rule.start_time, rule.end_time):
                raise RuleClash(rule, same=False)
        rule = AvailabilityRule(user_id=user.id, weekday=weekday, start_time=start, end_time=end)
        session.add(rule)
    return rule


def local_today(user: User, now: datetime) -> date:
    """Today on the interviewer's calendar."""
    return now.astimezone(ZoneInfo(safe_zone(user.timezone))).date()


def add_override(
    *,
    session: Session,
    user: User,
    day: date,
    blocked: bool,
    start: time | None,
    end: time | None,
    now: datetime,
) -> AvailabilityOverride:
    """Give ``user`` other hours on ``day``, or the day off (``blocked``: the times are ignored).

    Raises :class:`HoursRefused` (nothing written). Commits.
    """
    hours = None if blocked else _hours(start, end)
    if day < local_today(user, now):
        raise DatePassed()
    assert user.id is not None
    with _unit(session, user.id):
        for other in session.exec(
            select(AvailabilityOverride)
            .where(AvailabilityOverride.user_id == user.id, AvailabilityOverride.day == day)
            .order_by(col(AvailabilityOverride.id))
        ):
            if blocked or other.blocked or other.start_time is None or other.end_time is None:
                raise OverrideClash(other)  # a day off is the only override of its date (a broken row too)
            assert hours is not None
            if _overlap(*hours, other.start_time, other.end_time):
                raise OverrideClash(other)
        override = AvailabilityOverride(
            user_id=user.id,
            day=day,
            blocked=blocked,
            start_time=None if hours is None else hours[0],
            end_time=None if hours is None else hours[1],
        )
        session.add(override)
    return override
