"""Episodes: raw episode rows put in time order with derived columns, and their transitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from instruments.contract import EPISODES

from .dates import PartialDate, month_index, parse_partial_date
from .extract import RawRow
from .sme import employer_size
from .types import Cell, Row
from .values import normalise_name, pseudonym

JAPAN = "JPN"
_COLUMNS = EPISODES.column_names


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

    def get(self, name: str) -> Cell:
        return self.cells.get(name)

    @property
    def country(self) -> str | None:
        value = self.cells.get("country")
        return value if isinstance(value, str) else None

    @property
    def status(self) -> str | None:
        value = self.cells.get("residence_status")
        return value if isinstance(value, str) else None

    @property
    def in_japan(self) -> bool:
        return self.country == JAPAN

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
        cells = dict(self.cells, participant_code=participant_code, episode_no=episode_no)
        return tuple(cells.get(name) for name in _COLUMNS)


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
    cells: dict[str, Cell] = {name: values.get(name) for name in _COLUMNS}
    cells.update(
        start=values.get("start") if start else None, start_precision=start.precision if start else None,
        end=values.get("end") if end else None, end_precision=end.precision if end else None,
        ongoing=ongoing, start_month=start_month, end_month=end_month,
    )
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
    for number, (a, b) in enumerate(zip(episodes, episodes[1:], strict=False), start=1):
        kinds: list[str] = []
        same_employer = a.get("employer_ref") is not None and a.get("employer_ref") == b.get("employer_ref")
        if a.status and b.status and a.status != b.status:
            kinds.append("status_change")
        if a.get("employer_ref") and b.get("employer_ref") and not same_employer:
            kinds.append("employer_change")
        if a.get("occupation") and b.get("occupation") and a.get("occupation") != b.get("occupation"):
            kinds.append("occupation_change")
        if a.in_japan and b.country and not b.in_japan and nationality in (None, b.country):
            kinds.append("return_home")
        if b.raw.values.get("overseas_subsidiary") is True:
            kinds.append("to_overseas_subsidiary")
        if a.status and a.status.startswith("ti_") and b.status and b.status.startswith("ssw_"):
            kinds.append("ti_to_ssw_same_employer" if same_employer else "ti_to_ssw_new_employer")
        if b.raw.values.get("promotion") is True and same_employer:
            kinds.append("promotion")
        if a.country and not a.in_japan and b.in_japan:
            kinds.append("entry_to_japan")
        rows.extend((participant_code, number, number + 1, b.start_month, kind, a.status, b.status)
                    for kind in kinds)
    return rows
