"""Episodes: raw episode rows put in time order with derived columns, and their transitions."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date

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
#: The cells of a row after its participant_code and episode_no (the contract's first two columns).
_CELLS = operator.itemgetter(*_COLUMNS[2:])
assert _COLUMNS[:2] == ("participant_code", "episode_no"), _COLUMNS


@dataclass(frozen=True)
class Episode:
    """One episode with everything derived; ``cells`` are the contract columns but the number."""

    raw: RawRow
    cells: dict[str, Cell]
    start: PartialDate | None
    end: PartialDate | None
    ongoing: bool
    start_month: int | None
    end_month: int | None
    reference: date

    #: ``cells``' country, residence status (texts, else None) and whether the country is Japan, read once.
    country: str | None = field(init=False, compare=False)
    status: str | None = field(init=False, compare=False)
    in_japan: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        country, status = self.cells.get("country"), self.cells.get("residence_status")
        object.__setattr__(self, "country", country if isinstance(country, str) else None)
        object.__setattr__(self, "status", status if isinstance(status, str) else None)
        object.__setattr__(self, "in_japan", country == JAPAN)

    def get(self, name: str) -> Cell:
        return self.cells.get(name)

    def span(self) -> tuple[int, int] | None:
        """(first, last) month index for sequences; a missing or inverted end gives one month."""
        if self.start_month is None:
            return None
        end = self.end_month if self.end_month is not None else self.start_month
        return self.start_month, max(end, self.start_month)

    def certain(self) -> tuple[int, int] | None:
        """(latest possible start, earliest possible end) month: the months surely in the spell.

        A year-only start may be as late as December, a year-only end as early as January.
        """
        if self.start is None:
            return None
        latest_start = self.start.end_month()
        if self.ongoing and self.end_month is not None:
            return latest_start, self.end_month
        return latest_start, self.end.start_month() if self.end is not None else latest_start

    def row(self, participant_code: str, episode_no: int) -> Row:
        return (participant_code, episode_no, *_CELLS(self.cells))  # every column is a key of the cells


def _as_int(value: Cell) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_str(value: Cell) -> str | None:
    return value if isinstance(value, str) else None


def derive_episode(raw: RawRow, *, pseudonym_key: bytes) -> Episode:
    """Derive dates, month indexes, country, employer reference and size of one raw episode."""
    values = raw.values
    start = parse_partial_date(values.get("start"))
    end = parse_partial_date(values.get("end"))
    answered = values.get("ongoing")
    ongoing = answered if isinstance(answered, bool) else end is None
    start_month = start.start_month() if start else None
    if ongoing:
        end_month: int | None = month_index(raw.reference.year, raw.reference.month)
    else:
        end_month = end.end_month() if end else None
    cells = _BLANK.copy()
    cells.update(values)
    for extra in cells.keys() - _BLANK.keys():  # inputs (employer_name...) are not cells
        del cells[extra]
    cells["start"] = values.get("start") if start else None
    cells["start_precision"] = start.precision if start else None
    cells["end"] = values.get("end") if end else None
    cells["end_precision"] = end.precision if end else None
    cells["ongoing"] = ongoing
    cells["start_month"] = start_month
    cells["end_month"] = end_month
    status = _as_str(values.get("residence_status"))
    if cells["country"] is None and ((status is not None and status != "not_in_japan")
                                     or values.get("prefecture") is not None):
        cells["country"] = JAPAN
    name = _as_str(values.get("employer_name"))
    has_employer = bool(name and normalise_name(name))
    cells["employer_ref"] = pseudonym("E", name, pseudonym_key) if name and has_employer else None
    employees = _as_int(values.get("employer_employees"))
    if employees is not None:
        cells["employer_size"] = employer_size(
            employees, _as_str(values.get("industry")), _as_str(values.get("employer_capital_band")))
    elif cells["employer_size"] is None and (has_employer or values.get("kind") == "job"):
        cells["employer_size"] = "unknown"
    if status is not None and status.startswith("ti_"):
        cells["ti_type"] = cells["ti_type"] or "unknown"
    return Episode(raw, cells, start, end, ongoing, start_month, end_month, raw.reference)


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
