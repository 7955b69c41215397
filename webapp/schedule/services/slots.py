"""Free interview slots, computed from weekly hours, date overrides and existing bookings.

Pure functions on plain data (no database, no Flask), so the time-zone rules are unit-tested directly.
Every instant is a timezone-aware UTC ``datetime``; weekly hours and overrides are wall-clock times in
the interviewer's own zone (``zoneinfo``). A window is turned into UTC instants at its two ends and slots
are stepped in real time from its start, so a daylight-saving change moves the UTC times of a weekly
rule and never yields a slot at a wall-clock time that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Window:
    """Hours of one day, wall-clock time in the interviewer's zone (``end`` after ``start``)."""

    start: time
    end: time


@dataclass(frozen=True)
class Availability:
    """One interviewer's availability: weekly windows (0 = Monday) and per-date overrides.

    An override replaces the weekly windows of its date; an empty list blocks the date.
    """

    interviewer_id: int
    timezone: str
    weekly: dict[int, tuple[Window, ...]] = field(default_factory=dict)
    overrides: dict[date, tuple[Window, ...]] = field(default_factory=dict)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True)
class Busy:
    """Time an interviewer is taken (an existing booking, buffers included), UTC."""

    interviewer_id: int
    start: datetime
    end: datetime
    #: When the interview itself starts (its date counts towards the per-day limit); default ``start``.
    interview_start: datetime | None = None


@dataclass(frozen=True)
class Policy:
    """The rules of an interview type that shape its slots."""

    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=24)
    horizon: timedelta = timedelta(days=30)
    max_per_day: int = 3
    step: timedelta = timedelta(minutes=30)

    def busy_span(self, start: datetime) -> tuple[datetime, datetime]:
        """The span an interview starting at ``start`` keeps its interviewer busy, buffers included."""
        return start - self.buffer_before, start + self.duration + self.buffer_after


@dataclass(frozen=True)
class Slot:
    """A start time (UTC) and the interviewers free for it, in id order."""

    start: datetime
    end: datetime
    interviewer_ids: tuple[int, ...]


def to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a date in ``zone``.

    A time skipped by a spring-forward change is read with the offset before the change (fold=0), so
    02:30 on such a night becomes 03:30 after the change; a repeated autumn time means its first instance.
    """
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _starts_in(window_start: datetime, window_end: datetime, policy: Policy) -> Iterable[datetime]:
    start = window_start
    while start + policy.duration <= window_end:
        yield start
        start += policy.step


def local_day(instant: datetime, zone: str) -> date:
    """The date of an instant on a wall calendar in ``zone``."""
    return instant.astimezone(ZoneInfo(zone)).date()


def interviewer_starts(
    *,
    availability: Availability,
    policy: Policy,
    busy: Sequence[Busy],
    now: datetime,
    day_counts: dict[date, int] | None = None,
) -> list[datetime]:
    """Start times (UTC, sorted) at which one interviewer can take an interview of ``policy``.

    ``busy`` are this interviewer's existing bookings (their busy spans). ``day_counts`` counts the
    interviewer's interviews per date in their own zone (computed from ``busy`` when not given); a date
    that reached ``policy.max_per_day`` offers nothing more. A start must be at least ``min_notice``
    after ``now`` and at most ``horizon`` after it.
    """
    zone = ZoneInfo(availability.timezone)
    earliest = now + policy.min_notice
    latest = now + policy.horizon
    mine = [b for b in busy if b.interviewer_id == availability.interviewer_id]
    if day_counts is None:
        day_counts = {}
        for b in mine:
            d = local_day(b.interview_start or b.start, availability.timezone)
            day_counts[d] = day_counts.get(d, 0) + 1
    first_day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date() + timedelta(days=1)
    out: list[datetime] = []
    day = first_day
    while day <= last_day:
        if day_counts.get(day, 0) < policy.max_per_day:
            for window in availability.windows_on(day):
                w_start, w_end = to_utc(day, window.start, zone), to_utc(day, window.end, zone)
                for start in _starts_in(w_start, w_end, policy):
                    if start < earliest or start > latest:
                        continue
                    if local_day(start, availability.timezone) != day:
                        continue  # a window past midnight belongs to the day it starts on only
                    span = policy.busy_span(start)
                    if any(_overlaps(*span, b.start, b.end) for b in mine):
                        continue
                    out.append(start)
        day += timedelta(days=1)
    return sorted(set(out))


def free_slots(
    *,
    availabilities: Sequence[Availability],
    policy: Policy,
    busy: Sequence[Busy],
    now: datetime,
    day_counts: dict[int, dict[date, int]] | None = None,
) -> list[Slot]:
    """All free start times of any of the interviewers, each with the interviewers free then."""
    by_start: dict[datetime, list[int]] = {}
    for availability in availabilities:
        counts = (day_counts or {}).get(availability.interviewer_id)
        for start in interviewer_starts(
            availability=availability, policy=policy, busy=busy, now=now, day_counts=counts
        ):
            by_start.setdefault(start, []).append(availability.interviewer_id)
    return [
        Slot(start=s, end=s + policy.duration, interviewer_ids=tuple(sorted(ids)))
        for s, ids in sorted(by_start.items())
    ]


def group_by_day(slots: Sequence[Slot], zone: str) -> list[tuple[date, list[Slot]]]:
    """Slots grouped by their date in ``zone`` (the participant's), days and slots in order."""
    groups: dict[date, list[Slot]] = {}
    for slot in slots:
        groups.setdefault(local_day(slot.start, zone), []).append(slot)
    return sorted(groups.items())


def choose_interviewer(
    *, candidates: Sequence[int], booked_in_window: dict[int, int], last_booked_at: dict[int, datetime]
) -> int:
    """Round robin among free interviewers.

    Fewest bookings in the window first, then the least recently booked, then the lowest id.
    """
    if not candidates:
        raise ValueError("no candidate interviewer")
    never = datetime.min.replace(tzinfo=UTC)
    return min(candidates, key=lambda i: (booked_in_window.get(i, 0), last_booked_at.get(i, never), i))
