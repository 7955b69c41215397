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
SPELL rows are the runs of equal states in STS, so they never overlap and agree with STS.
"""

from __future__ import annotations

from .episodes import Episode
from .types import Row

#: An STS month no episode covers.
GAP = "*"

_JAPAN_STATES = {"ti_1": "ti", "ti_2": "ti", "ti_3": "ti", "esd": "esd", "ssw_1": "ssw", "ssw_2": "ssw",
                 "eng_hum": "eng_hum", "student": "student_jp"}


def state(episode: Episode, nationality: str | None) -> str:
    """The sequence state of an episode (see the module docstring)."""
    kind = episode.get("kind")
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
    spans = []
    for episode in episodes:
        span = episode.span()
        if span is None or span[0] > last_month:
            continue
        spans.append((span[0], min(span[1], last_month), state(episode, nationality)))
    if not spans:
        return 0, ()
    first = min(s[0] for s in spans)
    months = [GAP] * (max(s[1] for s in spans) - first + 1)
    # Episodes are in start order, so painting in order lets the later-starting spell win an overlap.
    for begin, end, name in spans:
        months[begin - first:end - first + 1] = [name] * (end - begin + 1)
    return first, tuple(months)


def spells(participant_code: str, first: int, states: tuple[str, ...]) -> list[Row]:
    """SPELL rows (participant_code, begin, end, status): runs of one state, gaps left out."""
    rows: list[Row] = []
    run_start = 0
    for index in range(1, len(states) + 1):
        if index == len(states) or states[index] != states[run_start]:
            if states[run_start] != GAP:
                rows.append((participant_code, first + run_start, first + index - 1, states[run_start]))
            run_start = index
    return rows
