"""Quality flags derived from the episodes: what a researcher should look at, nothing fixed silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from instruments.contract import vocabulary

from .career import breaks
from .dates import PartialDate, compare
from .episodes import Episode
from .types import Row

_FLAGS = vocabulary("quality_flag")

#: A gap between spells longer than this many months is flagged.
MAX_GAP_MONTHS = 12
#: Minimum working age (ILO C138 and Japan's Labour Standards Act).
MIN_WORKING_AGE = 15


@dataclass(frozen=True)
class Flag:
    episode_no: int | None
    flag: str
    detail: str


def episode_flags(episodes: list[Episode], birth_year: int | None) -> list[Flag]:
    """Flags of episodes in time order (numbered 1..n): dates, overlaps, gaps, working age."""
    flags: list[Flag] = []
    for number, episode in enumerate(episodes, start=1):
        start, end, reference = episode.start, episode.end, episode.reference
        # The year first: a date in an earlier year is neither before the start nor after the response.
        if start and end and end.year <= start.year and compare(end, start) < 0:
            flags.append(Flag(number, "end_before_start", f"end {end.iso()} is before start {start.iso()}"))
        if start is not None and start.year >= reference.year and start.after(reference):
            flags.append(_future(number, "start", start, reference))
        if end is not None and end.year >= reference.year and end.after(reference):
            flags.append(_future(number, "end", end, reference))
        if start is None:
            flags.append(Flag(number, "conversion_note", "no start date: left out of the sequences"))
        elif end is None and not episode.ongoing:
            detail = "no end date and not ongoing: one month in the sequences"
            flags.append(Flag(number, "conversion_note", detail))
        if birth_year is not None and start is not None and start.year - birth_year < MIN_WORKING_AGE \
                and episode.cells.get("kind") == "job":
            detail = f"job starts {start.iso()}, born {birth_year}: aged {start.year - birth_year} at most"
            flags.append(Flag(number, "under_15_at_start", detail))
    gaps, overlaps = breaks(episodes)
    # Only certain overlaps are flagged (see breaks): "2018" to "2019" then "2019-04" may be a clean change.
    for overlap in overlaps:
        detail = f"overlaps episode {overlap.first} by {overlap.months} month(s) at least"
        flags.append(Flag(overlap.second, "overlap", detail))
    for gap in gaps:
        if gap.months > MAX_GAP_MONTHS:
            flags.append(Flag(gap.after, "gap_over_12_months", f"{gap.months} months without an episode before it"))
    return flags


def _future(number: int, label: str, when: PartialDate, reference: date) -> Flag:
    return Flag(number, "future_date", f"{label} {when.iso()} is after the response ({reference.isoformat()})")


def flag_rows(participant_code: str, flags: list[Flag]) -> list[Row]:
    """Quality flag rows, deduplicated and ordered (episode, flag code, detail), numbered 1..n."""
    normalised = set()
    for item in flags:
        if item.flag in _FLAGS:
            normalised.add((item.episode_no, item.flag, item.detail))
        else:
            normalised.add((item.episode_no, "conversion_note", f"{item.flag}: {item.detail}"))
    ordered = sorted(normalised, key=lambda f: (f[0] or 0, _FLAGS.index(f[1]), f[2]))
    return [(participant_code, n, ep, flag, detail) for n, (ep, flag, detail) in enumerate(ordered, start=1)]
