"""Spans, gaps and overlaps of a career (workers/records/career.py): what the quality flags and the
participant's own timeline both read."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workers.records.records_support import INTAKE, jobs
from workers.records.career import Gap, Overlap, answered_episodes, breaks
from workers.records.dates import month_index

TODAY = date(2026, 5, 15)


def _episodes(*entries: dict[str, Any]) -> list[Any]:
    return [a.episode for a in answered_episodes(INTAKE, jobs(*entries), reference=TODAY)]


def test_a_draft_gives_its_episodes_in_time_order_with_their_entries() -> None:
    found = answered_episodes(INTAKE, jobs({"start": "2020-01", "employer": "B"}, {"start": "2016-04", "end": "2019-03",
                                                                                   "employer": "A"}),
                              reference=TODAY)
    assert [(a.repeat, a.index, a.episode.raw.values["employer_name"]) for a in found] == [("jobs", 1, "A"),
                                                                                           ("jobs", 0, "B")]
    assert found[1].episode.ongoing  # no end, no answer: still going on at the reference date
    assert found[1].episode.span() == (month_index(2020, 1), month_index(2026, 5))


def test_a_gap_names_the_months_no_episode_covers() -> None:
    gaps, overlaps = breaks(_episodes({"start": "2016-04", "end": "2019-03"}, {"start": "2020-01", "end": "2021-01"}))
    assert gaps == [Gap(1, 2, month_index(2019, 4), month_index(2019, 12))]
    assert gaps[0].months == 9
    assert overlaps == []


def test_consecutive_months_and_a_shared_handover_month_are_neither_gap_nor_overlap() -> None:
    assert breaks(_episodes({"start": "2016-04", "end": "2019-03"}, {"start": "2019-04", "end": "2020-01"})) == ([], [])
    assert breaks(_episodes({"start": "2016-04", "end": "2019-03"}, {"start": "2019-03", "end": "2020-01"})) == ([], [])


def test_year_only_dates_make_no_gap_they_may_fill_and_no_overlap_they_may_not_have() -> None:
    # "2016" may end in December 2016, "2017" may start in January 2017: no gap is certain.
    assert breaks(_episodes({"start": "2015-01", "end": "2016"}, {"start": "2017", "end": "2018"})) == ([], [])
    # "2018" to "2019" then "2019-04": the first may have ended in January 2019.
    assert breaks(_episodes({"start": "2018", "end": "2019"}, {"start": "2019-04", "end": "2020-01"})) == ([], [])


def test_an_overlap_counts_the_months_both_surely_cover() -> None:
    gaps, overlaps = breaks(_episodes({"start": "2019-01", "end": "2019-12"}, {"start": "2019-06", "end": "2020-06"}))
    assert overlaps == [Overlap(1, 2, month_index(2019, 6), month_index(2019, 12))]
    assert overlaps[0].months == 6  # as the quality flag says: "by 6 month(s) at least"
    assert gaps == []


def test_undated_episodes_are_left_out_and_the_latest_end_bounds_a_gap() -> None:
    long_job = {"start": "2010-01", "end": "2020-12"}
    gaps, overlaps = breaks(_episodes(long_job, {"start": "2012-01", "end": "2012-02"}, {"employer": "no dates"},
                                      {"start": "2022-01", "end": "2022-03"}))
    assert gaps == [Gap(1, 3, month_index(2021, 1), month_index(2021, 12))]
    assert [(o.first, o.second) for o in overlaps] == [(1, 2)]


months = st.integers(month_index(2000, 1), month_index(2025, 12))


def _iso(index: int, precision: str) -> str:
    year, month = divmod(index - 1, 12)
    return f"{1900 + year}" if precision == "year" else f"{1900 + year}-{month + 1:02d}"


spells = st.lists(st.tuples(months, st.integers(0, 40), st.sampled_from(["month", "year"]),
                            st.sampled_from(["month", "year"])), max_size=8)


@settings(max_examples=150, deadline=None)
@given(spells)
def test_gaps_are_exactly_the_months_no_episode_may_cover(given_spells: list[tuple[int, int, str, str]]) -> None:
    entries = [{"start": _iso(start, p1), "end": _iso(start + length, p2)} for start, length, p1, p2 in given_spells]
    episodes = _episodes(*entries)
    gaps, overlaps = breaks(episodes)
    spans = [s for e in episodes if (s := e.span()) is not None]
    covered = {m for first, last in spans for m in range(first, last + 1)}
    inside = set(range(min(s[0] for s in spans), max(s[1] for s in spans) + 1)) if spans else set()
    in_gaps = [m for g in gaps for m in range(g.first_month, g.last_month + 1)]
    assert len(in_gaps) == len(set(in_gaps))  # gaps never overlap each other
    assert set(in_gaps) == inside - covered
    for gap in gaps:
        assert gap.before < gap.after
        assert episodes[gap.before - 1].span()[1] == gap.first_month - 1  # type: ignore[index]
        assert episodes[gap.after - 1].span()[0] == gap.last_month + 1  # type: ignore[index]
    certain = [e.certain() for e in episodes]
    reported = {(o.first, o.second) for o in overlaps}
    for i, a in enumerate(certain, start=1):
        for j, b in enumerate(certain[i:], start=i + 1):
            if a is None or b is None:
                continue
            meet = max(a[0], b[0]) < min(a[1], b[1])
            assert ((i, j) in reported) == meet
    for overlap in overlaps:
        assert overlap.months >= 1
        assert overlap.first < overlap.second
