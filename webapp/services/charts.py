"""Server-drawn SVG charts: geometry computed here, markup in ``research/templates/research/_charts.html``.

No chart library and no inline styles (the CSP forbids them): colours are SVG presentation attributes.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import date

from workers.records.dates import month_index

#: Colours of residence statuses on the career timeline (colour-blind-safe families, related statuses close).
STATUS_COLOURS: dict[str, str] = {
    "ti_1": "#9ecae1", "ti_2": "#4292c6", "ti_3": "#08519c", "esd": "#6baed6",
    "ssw_1": "#a1d99b", "ssw_2": "#31a354",
    "eng_hum": "#fdae6b", "hsp": "#e6550d", "intra_company": "#a63603",
    "student": "#bcbddc", "designated": "#756bb1",
    "dependent": "#fa9fb5", "spouse": "#f768a1", "long_term": "#c51b8a", "permanent": "#7a0177",
    "not_in_japan": "#bdbdbd", "other": "#737373", "unknown": "#d9d9d9",
}
#: Colour of an episode with no residence status (e.g. before Japan).
NO_STATUS_COLOUR = "#e0e0e0"

BAR_COLOUR = "#0b57d0"
TARGET_COLOUR = "#b3261e"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    target: int | None = None


@dataclass(frozen=True)
class BarRow:
    label: str  #: the label's ``lines`` joined (shortened only past two lines); ``title`` has it whole
    title: str
    value: int
    target: int | None
    y: float
    width: float  #: of the bar
    target_x: float | None  #: x of the target marker
    text_x: float  #: where the value is written
    lines: tuple[str, ...] = ()  #: the label wrapped at words onto at most two lines


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    row_height: int
    rows: list[BarRow]
    colour: str = BAR_COLOUR
    target_colour: str = TARGET_COLOUR


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap_label(text: str, limit: int) -> tuple[str, ...]:
    """``text`` on at most two lines of about ``limit`` characters, cut at words; an ellipsis only past that."""
    lines = textwrap.wrap(text, width=limit, break_long_words=True) or [""]
    if len(lines) <= 2:
        return tuple(lines)
    return lines[0], shorten(" ".join(lines[1:]), limit)


def bar_chart(bars: list[Bar], *, width: int = 480, label_width: int = 170, row_height: int = 36,
              label_chars: int = 20) -> BarChart:
    """Horizontal bars, one row per bar, scaled to the largest value or target (target = a red tick)."""
    plot = width - label_width - 60
    scale_max = max([b.value for b in bars] + [b.target or 0 for b in bars] + [1])
    rows = []
    for i, bar in enumerate(bars):
        length = plot * bar.value / scale_max
        target_x = label_width + plot * bar.target / scale_max if bar.target else None
        lines = wrap_label(bar.label, label_chars)
        rows.append(BarRow(label=" ".join(lines), lines=lines, title=bar.label, value=bar.value,
                           target=bar.target, y=i * row_height + 4,
                           width=round(length, 1),
                           target_x=round(target_x, 1) if target_x is not None else None,
                           text_x=round(label_width + length + 6, 1)))
    return BarChart(width=width, height=max(len(bars), 1) * row_height + 8, label_width=label_width,
                    row_height=row_height, rows=rows)


# --- the career timeline ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Episode:
    """What the timeline needs of an episode (``rec_episodes`` row)."""

    episode_no: int
    kind: str | None
    start_month: int | None  #: month index, January 1900 = 1
    end_month: int | None
    ongoing: bool
    residence_status: str | None
    label: str  #: shown in the tooltip: kind, dates, job title or industry


@dataclass(frozen=True)
class Segment:
    episode_no: int
    x: float
    y: float
    width: float
    height: float
    colour: str
    status: str | None
    title: str
    ongoing: bool
    text_colour: str = "#1b1f23"  #: the episode number's colour, readable on ``colour``


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A coded skill event drawn on its episode; the link opens the coded passage."""

    x: float
    y: float
    colour: str
    title: str
    href: str


def marker_on(segment: Segment, n: int, *, colour: str, title: str, href: str) -> Marker:
    """The ``n``-th (0-based) marker on an episode's bar: left to right along its lower edge."""
    x = min(segment.x + 8 + 12 * n, segment.x + max(segment.width - 6, 6))
    return Marker(x=round(x, 1), y=round(segment.y + segment.height - 4, 1), colour=colour, title=title, href=href)


@dataclass
class Timeline:
    width: int
    height: int
    axis_y: float
    segments: list[Segment] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  #: (status code, colour)
    undated: list[Episode] = field(default_factory=list)


def _dark(colour: str) -> bool:
    """True for a colour on which white text reads better than black (WCAG relative luminance)."""
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18


def month_of_partial(value: str | None, *, end: bool = False) -> int | None:
    """The month index of a partial ISO date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`); a year ends in December."""
    if not value:
        return None
    parts = value.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
    except ValueError:
        return None
    if not 1 <= month <= 12 or year < 1900:
        return None
    return month_index(year, month)


def timeline(episodes: list[Episode], *, today: date, width: int = 760, lane_height: int = 26,
             left: int = 10, right: int = 10) -> Timeline:
    """Lay episodes out on a month axis; overlapping episodes go to separate lanes."""
    now = month_index(today.year, today.month)
    dated: list[tuple[int, int, Episode]] = []
    undated = []
    for ep in episodes:
        start = ep.start_month
        end = ep.end_month if ep.end_month is not None else (now if ep.ongoing else start)
        if start is None or end is None:
            undated.append(ep)
            continue
        dated.append((start, max(end, start), ep))
    if not dated:
        return Timeline(width=width, height=40, axis_y=20, undated=undated)
    dated.sort(key=lambda t: (t[0], t[1], t[2].episode_no))
    lo = min(s for s, _, _ in dated)
    hi = max(e for _, e, _ in dated) + 1
    first_year, last_year = (lo - 1) // 12 + 1900, (hi - 1) // 12 + 1900
    lo, hi = month_index(first_year, 1), month_index(last_year + 1, 1)
    plot = width - left - right
    per_month = plot / (hi - lo)
    lane_ends: list[int] = []
    segments = []
    for start, end, ep in dated:
        lane = next((i for i, last in enumerate(lane_ends) if last < start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        status = ep.residence_status
        segments.append(Segment(
            episode_no=ep.episode_no, x=round(left + (start - lo) * per_month, 1), y=lane * lane_height + 4,
            width=round(max((end - start + 1) * per_month, 2.0), 1), height=lane_height - 6,
            colour=(colour := STATUS_COLOURS.get(status or "", NO_STATUS_COLOUR)), status=status,
            title=ep.label, ongoing=ep.ongoing, text_colour="#ffffff" if _dark(colour) else "#1b1f23"))
    axis_y = len(lane_ends) * lane_height + 8
    years = last_year - first_year + 1
    step = 1 if years <= 12 else 2 if years <= 24 else 5
    ticks = [Tick(x=round(left + (month_index(y, 1) - lo) * per_month, 1), label=str(y))
             for y in range(first_year, last_year + 1) if (y - first_year) % step == 0]
    seen: dict[str, str] = {}
    for seg in segments:
        seen.setdefault(seg.status or "", seg.colour)
    legend = sorted(seen.items(), key=lambda kv: list(STATUS_COLOURS).index(kv[0])
                    if kv[0] in STATUS_COLOURS else len(STATUS_COLOURS))
    return Timeline(width=width, height=int(axis_y + 24), axis_y=axis_y, segments=segments, ticks=ticks,
                    legend=legend, undated=undated)
