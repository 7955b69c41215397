"""A career as spans of months: one response's episodes in time order, the gaps between them and the
overlaps. The quality flags (``overlap``, ``gap_over_12_months``) and the timeline a participant sees of
their own answers (a draft, before it is submitted) both come from here, so the date logic is written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from instruments.model import Instrument

from .episodes import Episode, derive_episode, sort_key
from .extract import Extracted, extract
from .plan import plan_for

#: Participants' timelines never show pseudonyms; derive_episode still needs a key.
_NO_KEY = b"timeline"


@dataclass(frozen=True)
class Gap:
    """Months no episode covers, between episode ``before`` (the one reaching latest so far) and ``after``
    (numbers 1..n in time order)."""

    before: int
    after: int
    first_month: int
    last_month: int

    @property
    def months(self) -> int:
        return self.last_month - self.first_month + 1


@dataclass(frozen=True)
class Overlap:
    """Months two episodes surely both cover, beyond a shared handover month (``2019-06`` to ``2019-06``
    is a change of job, not an overlap). ``months`` counts them as the quality flag does."""

    first: int
    second: int
    first_month: int
    last_month: int

    @property
    def months(self) -> int:
        return self.last_month - self.first_month


def breaks(episodes: Sequence[Episode]) -> tuple[list[Gap], list[Overlap]]:
    """The gaps and overlaps of episodes in time order (:func:`~workers.records.episodes.sort_key`).

    Only what is certain counts: an overlap when the months each episode surely covers (a year-only start
    may be as late as December) meet beyond one month; a gap when no month an episode may cover (a
    year-only end may be as late as December) reaches it. Undated episodes are left out.
    """
    gaps: list[Gap] = []
    overlaps: list[Overlap] = []
    latest: tuple[int, int] | None = None  # (last month an earlier episode may reach, its number)
    surely: list[tuple[int, int, int]] = []  # (number, latest start, earliest end) of earlier episodes
    for number, episode in enumerate(episodes, start=1):
        span, certain = episode.spanned, episode.surely
        if span is None or certain is None:
            continue
        overlapping = False
        for other, start, end in surely:
            first = start if start > certain[0] else certain[0]  # max() and min(), without the calls
            last = end if end < certain[1] else certain[1]
            if first < last:
                overlaps.append(Overlap(other, number, first, last))
                overlapping = True
        if not overlapping and latest is not None and span[0] - latest[0] > 1:
            gaps.append(Gap(latest[1], number, latest[0] + 1, span[0] - 1))
        if latest is None or span[1] > latest[0]:
            latest = (span[1], number)
        surely.append((number, *certain))
    return gaps, overlaps


@dataclass(frozen=True)
class Answered:
    """An episode of one response's answers and the repeat entry it was answered in (``jobs``, 0-based)."""

    episode: Episode
    repeat: str
    index: int


def answered_episodes(instrument: Instrument, answers: Mapping[str, Any], *, reference: date) -> list[Answered]:
    """The episodes the answers give (a draft's or a response's), as the records pipeline derives them, in
    time order; ``reference`` is the "now" of an ongoing spell. Employer references are not pseudonyms of
    the study (the employer's name is in ``episode.raw.values``)."""
    out = Extracted()
    extract(out, plan_for(instrument), answers, {}, 0, reference)
    derived = sorted((derive_episode(row, pseudonym_key=_NO_KEY) for row in out.rows if row.table == "episodes"),
                     key=sort_key)
    found = []
    for episode in derived:
        head = episode.raw.path.split(".")[0]
        repeat, _, index = head.partition("[")
        found.append(Answered(episode, repeat, int(index.rstrip("]") or 0)))
    return found
