"""Partial career dates (``2018``, ``2018-03``, ``2018-03-15``) and month indexes (Jan 1900 = 1)."""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import NamedTuple

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

#: Month indexes start at January 1900; earlier dates cannot be represented and are not plausible.
FIRST_YEAR = 1900


class PartialDate(NamedTuple):
    """A date known to the year, the month or the day; never a day that was not given."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def iso(self) -> str:
        """The partial ISO text: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def start_month(self) -> int:
        """Month index of the earliest month the date can mean (January for a bare year)."""
        return month_index(self.year, self.month or 1)

    def end_month(self) -> int:
        """Month index of the latest month the date can mean (December for a bare year)."""
        return month_index(self.year, self.month or 12)

    def after(self, reference: date) -> bool:
        """True when the date lies after ``reference`` whatever the unknown parts are."""
        if self.year != reference.year:
            return self.year > reference.year
        if self.month is None:
            return False
        if self.month != reference.month:
            return self.month > reference.month
        return self.day is not None and self.day > reference.day


def month_index(year: int, month: int) -> int:
    """Months since 1900-01 with January 1900 = 1 (TraMineR needs integers >= 1)."""
    return (year - FIRST_YEAR) * 12 + month


def month_of(index: int) -> tuple[int, int]:
    """The (year, month) of a month index."""
    year, month0 = divmod(index - 1, 12)
    return FIRST_YEAR + year, month0 + 1


def parse_partial_date(value: object) -> PartialDate | None:
    """Parse an answer into a :class:`PartialDate`; None when it is not a valid partial date.

    Accepts the stored answer format (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) and a bare integer
    year. Years before 1900 are rejected (they have no month index).
    """
    if type(value) is str:
        return _parse_text(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return _parse_text(str(value))


@functools.lru_cache(maxsize=8192)
def _parse_text(value: str) -> PartialDate | None:
    match = _PARTIAL.match(value.strip())
    if match is None:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if year < FIRST_YEAR or (month is not None and not 1 <= month <= 12):
        return None
    if day is not None:
        try:
            date(year, month or 1, day)
        except ValueError:
            return None
    return PartialDate(year, month, day)


def compare(a: PartialDate, b: PartialDate) -> int:
    """-1, 0 or 1 comparing at the precision both dates share.

    ``2018`` and ``2018-05`` compare equal (0): neither is known to be before the other.
    """
    pairs = ((a.year, b.year), (a.month, b.month), (a.day, b.day))
    for x, y in pairs:
        if x is None or y is None:
            return 0
        if x != y:
            return -1 if x < y else 1
    return 0
