"""Monthly state sequences for TraMineR / sequenzo: STS (one state a month) and SPELL (runs).

States (contract vocabulary ``state``):

- outside Japan: ``pre_departure`` (pre-departure training), ``unemployed``, and in the home country
  (the participant's nationality; assumed when the country is not known) ``home_work`` / ``home_study``;
  anything else outside Japan is ``abroad_other``;
- in Japan: ``unemployed`` for an unemployment spell, then by residence status ``ti`` (ti_1..3),
  ``esd``, ``ssw`` (ssw_1/2), ``eng_hum``, ``student_jp`` (also a study spell without a status), else
  ``other_jp``.

STS covers the months from the first episode's start to the last episode's end, never past the
response's month. Where spells overlap the later-starting one holds the month (the overlap is
flagged). A month no episode covers is ``*`` (TraMineR's missing-state code, ``nr = "*"``): a gap is
``unemployed`` only when an episode says so. ``%`` (void) is added by the exports after the end only.
SPELL rows are the runs of equal states in STS, so they never overlap and agree with STS; each names
the episodes holding its first and last month (``first_episode``, ``last_episode``: ``episode_no``
of the episodes table) so a spell joins back to the episodes it covers.
"""

from __future__ import annotations

from itertools import groupby

from .episodes import Episode
from .types import Row

#: An STS month no episode covers.
GAP = "*"

_JAPAN_STATES = {"ti_1": "ti", "ti_2": "ti", "ti_3": "ti", "esd": "esd", "ssw_1": "ssw", "ssw_2": "ssw",
                 "eng_hum": "eng_hum", "student": "student_jp"}


def state(episode: Episode, nationality: str | None) -> str:
    """The sequence state of an episode (see the module docstring)."""
    kind = episode.cells.get("kind")
    if kind == "pre_departure_training" and not episode.in_japan:
        return "pre_departure"
    if kind == "unemployed":
        return "unemployed"
    if episode.in_japan:
        mapped = _JAPAN_STATES.get(episode.status or "")
        if mapped:
            return mapped
        return "student_jp" if kind == "study" else "other_jp"
    at_home = episode.country is None or nationality is None or episode.country == nationality
    if at_home and kind == "job":
        return "home_work"
    if at_home and kind == "study":
        return "home_study"
    return "abroad_other"


def sts(episodes: list[Episode], nationality: str | None, last_month: int) -> tuple[int, tuple[str, ...]]:
    """(first month index, monthly states) of episodes in time order; ``last_month`` caps the end."""
    first, states, _owners = sts_with_episodes(episodes, nationality, last_month)
    return first, states


def sts_with_episodes(
    episodes: list[Episode], nationality: str | None, last_month: int
) -> tuple[int, tuple[str, ...], tuple[int | None, ...]]:
    """As :func:`sts`, with the number (1-based, as in the episodes table) of the episode holding each month."""
    spans: list[tuple[int, int, str, int]] = []
    first = last = 0
    for number, episode in enumerate(episodes, start=1):
        span = episode.spanned
        if span is None or span[0] > last_month:
            continue
        begin, end = span[0], span[1] if span[1] < last_month else last_month
        if not spans or begin < first:
            first = begin
        if not spans or end > last:
            last = end
        spans.append((begin, end, state(episode, nationality), number))
    if not spans:
        return 0, (), ()
    size = last - first + 1
    months = [GAP] * size
    owners: list[int | None] = [None] * size
    # Episodes are in start order, so painting in order lets the later-starting spell win an overlap.
    for begin, end, name, number in spans:
        months[begin - first:end - first + 1] = [name] * (end - begin + 1)
        owners[begin - first:end - first + 1] = [number] * (end - begin + 1)
    return first, tuple(months), tuple(owners)


def spells(participant_code: str, first: int, states: tuple[str, ...],
           owners: tuple[int | None, ...] = ()) -> list[Row]:
    """SPELL rows (participant_code, begin, end, status, first_episode, last_episode): runs of one state,
    gaps left out; the episode columns are empty when ``owners`` is not given."""
    rows: list[Row] = []
    run_start = 0
    for name, run in groupby(states):  # runs of one state, walked in C rather than month by month
        run_end = run_start + len(list(run))
        if name != GAP:
            rows.append((participant_code, first + run_start, first + run_end - 1, name,
                         owners[run_start] if owners else None, owners[run_end - 1] if owners else None))
        run_start = run_end
    return rows
