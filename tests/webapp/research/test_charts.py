"""The SVG chart geometry: bars scale to the largest value or target; episodes get lanes, colours, a legend."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services import charts


def test_bars_scale_to_the_largest_value_or_target() -> None:
    chart = charts.bar_chart([charts.Bar("a", 5, target=20), charts.Bar("b", 10, target=10)], width=460,
                             label_width=100)
    plot = 460 - 100 - 60
    a, b = chart.rows
    assert a.width == pytest.approx(plot * 5 / 20)
    assert b.width == pytest.approx(plot * 10 / 20)
    assert a.target_x == pytest.approx(100 + plot)
    assert b.target_x == pytest.approx(100 + plot / 2)
    assert b.y > a.y


def test_empty_and_zero_bars() -> None:
    assert charts.bar_chart([]).rows == []
    row = charts.bar_chart([charts.Bar("none", 0)]).rows[0]
    assert row.width == 0
    assert row.target_x is None


def ep(no: int, start: int | None, end: int | None, status: str | None = "ti_1", ongoing: bool = False
       ) -> charts.Episode:
    return charts.Episode(episode_no=no, kind="job", start_month=start, end_month=end, ongoing=ongoing,
                          residence_status=status, label=f"#{no}")


def test_timeline_lanes_colours_and_legend() -> None:
    m = charts.month_index
    tl = charts.timeline([ep(1, m(2018, 1), m(2019, 12), "ti_1"), ep(2, m(2019, 6), m(2020, 6), "ssw_1"),
                          ep(3, m(2020, 1), None, "eng_hum", ongoing=True), ep(4, None, None)],
                         today=date(2022, 3, 15), width=1000, left=0, right=0)
    by_no = {s.episode_no: s for s in tl.segments}
    # 2 overlaps 1 -> second lane; 3 starts after 1 ended -> back to the first lane.
    assert by_no[1].y == by_no[3].y < by_no[2].y
    assert by_no[1].colour == charts.STATUS_COLOURS["ti_1"]
    assert by_no[3].ongoing
    # The ongoing episode runs to this month; the axis spans whole years 2018-2022.
    per_month = 1000 / (5 * 12)
    assert by_no[3].x + by_no[3].width == pytest.approx((m(2022, 3) + 1 - m(2018, 1)) * per_month, abs=0.2)
    assert [t.label for t in tl.ticks][:2] == ["2018", "2019"]
    assert [s for s, _ in tl.legend] == ["ti_1", "ssw_1", "eng_hum"]
    assert [e.episode_no for e in tl.undated] == [4]


def test_partial_dates_to_months() -> None:
    assert charts.month_of_partial("2019") == charts.month_index(2019, 1)
    assert charts.month_of_partial("2019", end=True) == charts.month_index(2019, 12)
    assert charts.month_of_partial("2019-04-30") == charts.month_index(2019, 4)
    assert charts.month_of_partial("2019-13") is None
    assert charts.month_of_partial("R6.4") is None
    assert charts.month_of_partial(None) is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2000), st.integers(0, 200), st.sampled_from(list(charts.STATUS_COLOURS))),
                max_size=12))
def test_timeline_segments_stay_inside_and_never_overlap_in_a_lane(spans: list[tuple[int, int, str]]) -> None:
    episodes = [ep(i, start, start + length, status) for i, (start, length, status) in enumerate(spans)]
    tl = charts.timeline(episodes, today=date(2100, 1, 1), width=800)
    assert len(tl.segments) == len(spans)
    lanes: dict[float, list[tuple[float, float]]] = {}
    for seg in tl.segments:
        assert seg.x >= 0
        assert seg.x + seg.width <= 800 + 2.1  # a 2px minimum width may poke past the last month
        lanes.setdefault(seg.y, []).append((seg.x, seg.x + seg.width))
    for spans_in_lane in lanes.values():
        spans_in_lane.sort()
        for (_, end), (start, _) in zip(spans_in_lane, spans_in_lane[1:], strict=False):
            assert start >= end - 2.1


def test_episode_numbers_stay_readable() -> None:
    m = charts.month_index
    tl = charts.timeline([ep(1, m(2018, 1), m(2019, 1), "ti_3"), ep(2, m(2019, 2), m(2020, 1), "ti_1")],
                         today=date(2022, 1, 1))
    dark, light = tl.segments
    assert dark.text_colour == "#ffffff"
    assert light.text_colour == "#1b1f23"


def test_long_bar_labels_wrap_onto_two_lines_and_are_kept_whole_in_the_title() -> None:
    row = charts.bar_chart([charts.Bar("Self-initiated expatriate", 3)]).rows[0]
    assert row.lines == ("Self-initiated", "expatriate")  # not "Self-initiated ex…"
    row = charts.bar_chart([charts.Bar("Supervising organisation, Aichi prefecture, Nagoya office", 3)]).rows[0]
    assert len(row.lines) == 2
    assert row.lines[1].endswith("…")
    assert row.title == "Supervising organisation, Aichi prefecture, Nagoya office"
