"""Slot computation: DST, day boundaries, buffers, notice, horizon, per-day limits, bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.schedule.services.slots import (
    Availability,
    Busy,
    Policy,
    Window,
    choose_interviewer,
    free_slots,
    group_by_day,
    interviewer_starts,
    to_utc,
)

HOUR = timedelta(hours=1)
WEEKDAYS = {d: (Window(time(9), time(17)),) for d in range(5)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(starts: list[datetime], zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for s in starts]


def test_tokyo_interviewer_seen_from_berlin_across_the_spring_switch() -> None:
    """Tokyo 17:00 is 09:00 in Berlin before 29 March 2026 and 10:00 after (CET -> CEST)."""
    tokyo = Availability(1, "Asia/Tokyo", weekly={d: (Window(time(17), time(18)),) for d in range(7)})
    slots = free_slots(
        availabilities=[tokyo],
        policy=Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=5)),
        busy=[],
        now=utc(2026, 3, 26, 0),
    )
    berlin = {
        d.isoformat(): [s.start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") for s in day]
        for d, day in group_by_day(slots, "Europe/Berlin")
    }
    assert berlin["2026-03-28"] == ["09:00"]
    assert berlin["2026-03-29"] == ["10:00"]
    assert berlin["2026-03-30"] == ["10:00"]
    assert all(s.start.astimezone(ZoneInfo("Asia/Tokyo")).hour == 17 for s in slots)


def test_los_angeles_weekly_hours_keep_wall_clock_time_across_dst() -> None:
    """A 09:00 rule in Los Angeles is 17:00 UTC in PST and 16:00 UTC after 8 March 2026 (PDT)."""
    la = Availability(1, "America/Los_Angeles", weekly={d: (Window(time(9), time(10)),) for d in range(7)})
    starts = interviewer_starts(
        availability=la,
        policy=Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=4)),
        busy=[],
        now=utc(2026, 3, 6, 0),
    )
    assert [s.strftime("%m-%d %H:%M") for s in starts] == [
        "03-06 17:00",
        "03-07 17:00",
        "03-08 16:00",
        "03-09 16:00",
    ]
    seen_in_tokyo = local(starts, "Asia/Tokyo")
    assert seen_in_tokyo[1] == "2026-03-08 02:00"
    assert seen_in_tokyo[2] == "2026-03-09 01:00"


def test_a_window_through_the_skipped_hour_is_one_hour_shorter() -> None:
    """02:00-05:00 on the spring-forward night has only two real hours; no slot at a non-existent 02:xx."""
    la = Availability(1, "America/Los_Angeles", overrides={date(2026, 3, 8): (Window(time(2), time(5)),)})
    starts = interviewer_starts(
        availability=la,
        policy=Policy(duration=HOUR, min_notice=timedelta(0), step=HOUR),
        busy=[],
        now=utc(2026, 3, 1),
    )
    assert local(starts, "America/Los_Angeles") == ["2026-03-08 03:00", "2026-03-08 04:00"]


def test_a_window_through_the_repeated_hour_is_one_hour_longer() -> None:
    berlin = Availability(1, "Europe/Berlin", overrides={date(2026, 10, 25): (Window(time(1), time(4)),)})
    starts = interviewer_starts(
        availability=berlin,
        policy=Policy(duration=HOUR, min_notice=timedelta(0), step=HOUR),
        busy=[],
        now=utc(2026, 10, 1),
    )
    assert len(starts) == 4  # 01:00, 02:00 CEST, 02:00 CET, 03:00
    assert [s.hour for s in starts] == [23, 0, 1, 2]


def test_day_boundary_auckland_and_honolulu() -> None:
    """Tokyo Monday 09:00 is Monday 13:00 in Auckland (NZDT) and Sunday 14:00 in Honolulu."""
    tokyo = Availability(1, "Asia/Tokyo", weekly={0: (Window(time(9), time(10)), Window(time(22), time(23)))})
    slots = free_slots(
        availabilities=[tokyo],
        policy=Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=7)),
        busy=[],
        now=utc(2026, 1, 1),
    )
    starts = [s.start for s in slots if s.start.astimezone(ZoneInfo("Asia/Tokyo")).minute == 0]
    assert local(starts, "Pacific/Auckland") == ["2026-01-05 13:00", "2026-01-06 02:00"]
    assert local(starts, "Pacific/Honolulu") == ["2026-01-04 14:00", "2026-01-05 03:00"]
    honolulu_days = [d.isoformat() for d, _ in group_by_day(slots, "Pacific/Honolulu")]
    auckland_days = [d.isoformat() for d, _ in group_by_day(slots, "Pacific/Auckland")]
    assert honolulu_days == ["2026-01-04", "2026-01-05"]
    assert auckland_days == ["2026-01-05", "2026-01-06"]


def test_auckland_interviewer_late_evening_is_the_previous_utc_day() -> None:
    auckland = Availability(1, "Pacific/Auckland", weekly={2: (Window(time(8), time(9)),)})
    (start,) = interviewer_starts(
        availability=auckland,
        policy=Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=8)),
        busy=[],
        now=utc(2026, 1, 1),
    )
    assert start == utc(2026, 1, 6, 19)  # Wednesday 7 Jan 08:00 NZDT = Tuesday 19:00 UTC
    assert to_utc(date(2026, 7, 8), time(8), ZoneInfo("Pacific/Auckland")) == utc(2026, 7, 7, 20)  # NZST


def test_buffers_keep_a_gap_around_existing_bookings_of_other_lengths() -> None:
    a = Availability(1, "Asia/Tokyo", weekly=WEEKDAYS)
    policy = Policy(
        duration=HOUR,
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=30),
        min_notice=timedelta(0),
        horizon=timedelta(days=1),
        step=timedelta(minutes=15),
    )
    # A 90-minute interview 11:00-12:30 JST with its own 15-minute buffers: busy 10:45-12:45.
    booked = Busy(1, utc(2026, 1, 5, 1, 45), utc(2026, 1, 5, 3, 45), interview_start=utc(2026, 1, 5, 2))
    starts = local(
        interviewer_starts(availability=a, policy=policy, busy=[booked], now=utc(2026, 1, 4, 15)),
        "Asia/Tokyo",
    )
    day = [s[11:] for s in starts if s.startswith("2026-01-05")]
    # new busy span [start-15, start+90) must not overlap [10:45, 12:45)
    assert "09:15" in day
    assert "09:30" not in day
    assert "12:45" not in day
    assert "13:00" in day
    assert not any("09:30" <= t <= "12:45" for t in day)


def test_minimum_notice_and_horizon() -> None:
    a = Availability(1, "UTC", weekly={d: (Window(time(0), time(23, 59)),) for d in range(7)})
    now = utc(2026, 5, 1, 10, 7)
    starts = interviewer_starts(
        availability=a,
        policy=Policy(duration=HOUR, min_notice=timedelta(hours=24), horizon=timedelta(days=2)),
        busy=[],
        now=now,
    )
    assert starts[0] == utc(2026, 5, 2, 10, 30)
    assert starts[-1] == utc(2026, 5, 3, 10, 0)
    assert all(now + timedelta(hours=24) <= s <= now + timedelta(days=2) for s in starts)


def test_max_per_day_counts_in_the_interviewers_zone() -> None:
    """Two interviews on Tuesday in Tokyo (one is Monday in UTC) close Tuesday at max_per_day=2."""
    a = Availability(1, "Asia/Tokyo", weekly={d: (Window(time(8), time(18)),) for d in range(7)})
    policy = Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=3), max_per_day=2)
    tue_0800 = utc(2026, 1, 5, 23)  # Tuesday 08:00 JST, Monday in UTC
    tue_1500 = utc(2026, 1, 6, 6)
    busy = [Busy(1, tue_0800, tue_0800 + HOUR), Busy(1, tue_1500, tue_1500 + HOUR)]
    days = {
        s[:10]
        for s in local(
            interviewer_starts(availability=a, policy=policy, busy=busy, now=utc(2026, 1, 4, 12)),
            "Asia/Tokyo",
        )
    }
    assert "2026-01-06" not in days
    assert {"2026-01-05", "2026-01-07"} <= days
    one = interviewer_starts(availability=a, policy=policy, busy=busy[:1], now=utc(2026, 1, 4, 12))
    assert "2026-01-06" in {s[:10] for s in local(one, "Asia/Tokyo")}


def test_blocked_day_and_override_hours() -> None:
    a = Availability(
        1,
        "Asia/Tokyo",
        weekly=WEEKDAYS,
        overrides={date(2026, 1, 6): (), date(2026, 1, 10): (Window(time(10), time(11)),)},
    )
    starts = local(
        interviewer_starts(
            availability=a,
            policy=Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=7)),
            busy=[],
            now=utc(2026, 1, 4, 15),
        ),
        "Asia/Tokyo",
    )
    days = {s[:10] for s in starts}
    assert "2026-01-06" not in days
    assert [s for s in starts if s.startswith("2026-01-10")] == ["2026-01-10 10:00"]  # a Saturday
    assert "2026-01-11" not in days


def test_free_slots_merge_interviewers_and_skip_busy_ones() -> None:
    a = Availability(1, "Asia/Tokyo", weekly={0: (Window(time(9), time(11)),)})
    b = Availability(2, "Asia/Tokyo", weekly={0: (Window(time(10), time(12)),)})
    ten = utc(2026, 1, 5, 1)
    slots = free_slots(
        availabilities=[a, b],
        policy=Policy(duration=HOUR, min_notice=timedelta(0), horizon=timedelta(days=2), step=HOUR),
        busy=[Busy(2, ten, ten + HOUR)],
        now=utc(2026, 1, 4),
    )
    assert [(s.start.hour, s.interviewer_ids) for s in slots] == [(0, (1,)), (1, (1,)), (2, (2,))]


def test_round_robin_order() -> None:
    t = utc(2026, 1, 1)
    assert (
        choose_interviewer(
            candidates=[3, 1, 2], booked_in_window={1: 2, 2: 1, 3: 1}, last_booked_at={2: t + HOUR, 3: t}
        )
        == 3
    )
    assert choose_interviewer(candidates=[3, 2], booked_in_window={}, last_booked_at={3: t}) == 2
    assert choose_interviewer(candidates=[5, 4], booked_in_window={}, last_booked_at={}) == 4
    with pytest.raises(ValueError):
        choose_interviewer(candidates=[], booked_in_window={}, last_booked_at={})


ZONES = [
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
]


@settings(max_examples=50, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start_hour=st.integers(0, 20),
    length=st.integers(1, 3),
    offset_days=st.integers(0, 365),
    minutes=st.sampled_from([30, 45, 60, 90]),
    booked_index=st.integers(0, 50),
)
def test_property_slots_respect_windows_and_bookings(
    zone: str, start_hour: int, length: int, offset_days: int, minutes: int, booked_index: int
) -> None:
    a = Availability(1, zone, weekly={d: (Window(time(start_hour), time(start_hour + length)),) for d in range(7)})
    policy = Policy(
        duration=timedelta(minutes=minutes),
        buffer_after=timedelta(minutes=15),
        min_notice=timedelta(hours=2),
        horizon=timedelta(days=10),
        max_per_day=5,
    )
    now = utc(2026, 1, 1) + timedelta(days=offset_days, minutes=7)
    starts = interviewer_starts(availability=a, policy=policy, busy=[], now=now)
    zi = ZoneInfo(zone)
    for s in starts:
        wall = s.astimezone(zi)
        end_wall = (s + policy.duration).astimezone(zi)
        assert time(start_hour) <= wall.time()
        assert s.tzinfo is not None
        assert end_wall.date() == wall.date() or end_wall.time() == time(0)
        assert now + policy.min_notice <= s <= now + policy.horizon
    if starts:
        taken = starts[booked_index % len(starts)]
        span = policy.busy_span(taken)
        busy = [Busy(1, *span, interview_start=taken)]
        after = interviewer_starts(availability=a, policy=policy, busy=busy, now=now)
        assert taken not in after
        for s in after:
            other = policy.busy_span(s)
            assert other[1] <= span[0] or span[1] <= other[0]
