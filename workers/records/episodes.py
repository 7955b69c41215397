"""Episodes: raw episode rows put in time order with derived columns, and their transitions."""

from __future__ import annotations

import functools
import operator
from datetime import date
from typing import NamedTuple

from instruments.contract import EPISODES

from .dates import PartialDate, month_index, parse_partial_date
from .extract import RawRow
from .sme import employer_size
from .types import Cell, Row
from .values import normalise_name, pseudonym

JAPAN = "JPN"
_COLUMNS = EPISODES.column_names
#: Every column empty: a new episode's cells start as a copy (in column order).
_BLANK: dict[str, Cell] = dict.fromkeys(_COLUMNS)
_COLUMN_SET = frozenset(_COLUMNS)
#: The table's inputs (employer_name...): values of a raw episode that are not cells.
_INPUTS = tuple(c.name for c in EPISODES.inputs if c.name not in _COLUMN_SET)
#: The cells of a row after its participant_code and episode_no (the contract's first two columns).
_CELLS = operator.itemgetter(*_COLUMNS[2:])
assert _COLUMNS[:2] == ("participant_code", "episode_no"), _COLUMNS


class Episode:
    """One episode with everything derived; ``cells`` are the contract columns but the number.

    Made once per episode and only read after that (a plain slotted class: cheap to make, quick to read). Its
    country, residence status (texts, else None), whether it is in Japan and its month spans (:meth:`span`,
    :meth:`certain`) are worked out when it is made.
    """

    __slots__ = ("raw", "cells", "start", "end", "ongoing", "start_month", "end_month", "reference", "country",
                 "status", "in_japan", "spanned", "surely")

    raw: RawRow
    cells: dict[str, Cell]
    start: PartialDate | None
    end: PartialDate | None
    ongoing: bool
    start_month: int | None
    end_month: int | None
    reference: date
    country: str | None
    status: str | None
    in_japan: bool
    #: What :meth:`span` and :meth:`certain` return.
    spanned: tuple[int, int] | None
    surely: tuple[int, int] | None

    def __init__(self, raw: RawRow, cells: dict[str, Cell], start: PartialDate | None, end: PartialDate | None,
                 ongoing: bool, start_month: int | None, end_month: int | None, reference: date,
                 latest_start: int | None = None, earliest_end: int | None = None) -> None:
        """``latest_start`` and ``earliest_end`` (the last month ``start`` and the first month ``end`` may mean)
        are worked out from the dates when not given."""
        self.raw, self.cells, self.start, self.end = raw, cells, start, end
        self.ongoing, self.start_month, self.end_month, self.reference = ongoing, start_month, end_month, reference
        country, status = cells.get("country"), cells.get("residence_status")
        self.country = country if isinstance(country, str) else None
        self.status = status if isinstance(status, str) else None
        self.in_japan = country == JAPAN
        if start_month is None:
            self.spanned = None
        else:  # a missing or inverted end gives one month
            self.spanned = (start_month, start_month if end_month is None or end_month < start_month else end_month)
        if start is None:
            self.surely = None
        else:  # a year-only start may be as late as December, a year-only end as early as January
            if latest_start is None:
                latest_start = start.end_month()
            if ongoing and end_month is not None:
                self.surely = (latest_start, end_month)
            elif end is None:
                self.surely = (latest_start, latest_start)
            else:
                self.surely = (latest_start, end.start_month() if earliest_end is None else earliest_end)

    def __repr__(self) -> str:
        return f"Episode({self.raw.path!r}, {self.cells!r})"

    def get(self, name: str) -> Cell:
        return self.cells.get(name)

    def span(self) -> tuple[int, int] | None:
        """(first, last) month index for sequences; a missing or inverted end gives one month."""
        return self.spanned

    def certain(self) -> tuple[int, int] | None:
        """(latest possible start, earliest possible end) month: the months surely in the spell.

        A year-only start may be as late as December, a year-only end as early as January.
        """
        return self.surely

    def row(self, participant_code: str, episode_no: int) -> Row:
        return (participant_code, episode_no, *_CELLS(self.cells))  # every column is a key of the cells


def _as_int(value: Cell) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_str(value: Cell) -> str | None:
    return value if isinstance(value, str) else None


class _Dated(NamedTuple):
    """A start or end cell read as a date: the date, its precision and the first and last month it may mean."""

    date: PartialDate | None
    precision: str | None = None
    first_month: int | None = None
    last_month: int | None = None


_UNDATED = _Dated(None)


@functools.lru_cache(maxsize=4096, typed=True)  # typed: 2018 is a year, 2018.0 is not
def _dated(value: Cell) -> _Dated:
    """A start or end cell (the ISO text of a converted date, mostly) as a date, kept for the cells seen last."""
    parsed = parse_partial_date(value)
    return _Dated(parsed, parsed.precision, parsed.start_month(), parsed.end_month()) if parsed else _UNDATED


#: employer_size of the (employees, industry, capital band) seen last.
_employer_size = functools.lru_cache(maxsize=4096)(employer_size)


@functools.lru_cache(maxsize=4096)
def _employer_ref(name: str, key: bytes) -> str | None:
    """The employer reference of a name, None when the name is blank once normalised (no employer)."""
    return pseudonym("E", name, key) if normalise_name(name) else None


def derive_episode(raw: RawRow, *, pseudonym_key: bytes) -> Episode:
    """Derive dates, month indexes, country, employer reference and size of one raw episode."""
    values = raw.values
    given_start, given_end = values.get("start"), values.get("end")
    start, start_precision, start_month, latest_start = _dated(given_start)
    end, end_precision, earliest_end, end_last = _dated(given_end)
    answered = values.get("ongoing")
    ongoing = answered if isinstance(answered, bool) else end is None
    if ongoing:
        end_month: int | None = month_index(raw.reference.year, raw.reference.month)
    else:
        end_month = end_last
    cells = _BLANK.copy()
    cells.update(values)
    for given in _INPUTS:  # inputs are not cells
        cells.pop(given, None)
    if len(cells) != len(_BLANK):  # names outside the contract (not from a plan): not cells either
        for extra in cells.keys() - _COLUMN_SET:
            del cells[extra]
    cells["start"] = given_start if start else None
    cells["start_precision"] = start_precision
    cells["end"] = given_end if end else None
    cells["end_precision"] = end_precision
    cells["ongoing"] = ongoing
    cells["start_month"] = start_month
    cells["end_month"] = end_month
    status = values.get("residence_status")
    status = status if isinstance(status, str) else None
    if cells["country"] is None and ((status is not None and status != "not_in_japan")
                                     or values.get("prefecture") is not None):
        cells["country"] = JAPAN
    name = values.get("employer_name")
    ref = _employer_ref(name, pseudonym_key) if isinstance(name, str) and name else None
    cells["employer_ref"] = ref
    employees = _as_int(values.get("employer_employees"))
    if employees is not None:
        cells["employer_size"] = _employer_size(
            employees, _as_str(values.get("industry")), _as_str(values.get("employer_capital_band")))
    elif cells["employer_size"] is None and (ref is not None or values.get("kind") == "job"):
        cells["employer_size"] = "unknown"
    if status is not None and status.startswith("ti_"):
        cells["ti_type"] = cells["ti_type"] or "unknown"
    return Episode(raw, cells, start, end, ongoing, start_month, end_month, raw.reference, latest_start, earliest_end)


def sort_key(episode: Episode) -> tuple[bool, int, bool, int, int]:
    """Time order: start month, then end month, then the order the answers gave (unknowns last)."""
    return (episode.start_month is None, episode.start_month or 0,
            episode.end_month is None, episode.end_month or 0, episode.raw.order)


def transitions(episodes: list[Episode], *, participant_code: str, nationality: str | None) -> list[Row]:
    """Transition rows between consecutive episodes (already in time order), in vocabulary order."""
    rows: list[Row] = []
    # What the rules read of each episode, read once: status, employer, occupation, country, in Japan.
    facts = [(e.status, e.cells.get("employer_ref"), e.cells.get("occupation"), e.country, e.in_japan)
             for e in episodes]
    for number in range(1, len(episodes)):
        a_status, a_employer, a_occupation, a_country, a_japan = facts[number - 1]
        b_status, b_employer, b_occupation, b_country, b_japan = facts[number]
        b = episodes[number]
        kinds: list[str] = []
        same_employer = a_employer is not None and a_employer == b_employer
        if a_status and b_status and a_status != b_status:
            kinds.append("status_change")
        if a_employer and b_employer and not same_employer:
            kinds.append("employer_change")
        if a_occupation and b_occupation and a_occupation != b_occupation:
            kinds.append("occupation_change")
        if a_japan and b_country and not b_japan and nationality in (None, b_country):
            kinds.append("return_home")
        if b.raw.values.get("overseas_subsidiary") is True:
            kinds.append("to_overseas_subsidiary")
        if a_status and a_status.startswith("ti_") and b_status and b_status.startswith("ssw_"):
            kinds.append("ti_to_ssw_same_employer" if same_employer else "ti_to_ssw_new_employer")
        if b.raw.values.get("promotion") is True and same_employer:
            kinds.append("promotion")
        if a_country and not a_japan and b_japan:
            kinds.append("entry_to_japan")
        for kind in kinds:
            rows.append((participant_code, number, number + 1, b.start_month, kind, a_status, b_status))
    return rows
