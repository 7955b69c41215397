"""Firm size under the SME Basic Act (中小企業基本法), from the JSIC division (DOMAIN.md).

The Act sets limits per sector; a JSIC *division* does not always tell the sector apart, so this
module maps divisions as follows (this list is the documentation; the export codebook's ``employer_size``
column, ``instruments/contract.py``, names the Act, and ``tests/workers/records/test_dates.py`` pins the limits):

- ``I`` wholesale and retail trade: commerce, SME limit ¥100M / 100 employees (the wholesale limit;
  retail's 50 cannot be told apart at division level, so the more inclusive limit is used);
- ``L M N O P Q R`` (professional services, accommodation and food, personal services, education,
  health and welfare, compound services, other services): services, ¥50M / 100;
- every other division and an unknown industry: manufacturing and others, ¥300M / 300.

Sizes: ``micro`` = small enterprise (小規模企業者): at most 20 employees, 5 in commerce and services;
``small`` = above micro and at most 50 employees (the smallest SME limit of the Act, also the OECD
small-firm bound); ``medium`` = above that and within the SME limit by employees *or* capital;
``large`` = above both limits; ``unknown`` without an employee count.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    name: str
    max_employees: int
    #: Capital bands (contract vocabulary ``capital_band``) at or below the sector's capital limit.
    sme_capital_bands: frozenset[str]
    micro_employees: int


_UP_TO_50M = frozenset({"lt_10m", "10m_50m"})
_UP_TO_100M = _UP_TO_50M | {"50m_100m"}
_UP_TO_300M = _UP_TO_100M | {"100m_300m"}

COMMERCE = Sector("commerce", 100, _UP_TO_100M, 5)
SERVICES = Sector("services", 100, _UP_TO_50M, 5)
MANUFACTURING_AND_OTHERS = Sector("manufacturing_and_others", 300, _UP_TO_300M, 20)

_SECTOR_OF_DIVISION = {"I": COMMERCE} | {d: SERVICES for d in "LMNOPQR"}

#: Upper bound of the ``small`` size class.
SMALL_MAX_EMPLOYEES = 50


def sector(industry: str | None) -> Sector:
    """The SME Basic Act sector of a JSIC division (manufacturing and others when unknown)."""
    return _SECTOR_OF_DIVISION.get(industry or "", MANUFACTURING_AND_OTHERS)


def employer_size(employees: int | None, industry: str | None, capital_band: str | None = None) -> str:
    """``micro``, ``small``, ``medium``, ``large`` or ``unknown`` (see the module docstring)."""
    if employees is None or employees < 0:
        return "unknown"
    sec = sector(industry)
    if employees <= sec.micro_employees:
        return "micro"
    if employees <= SMALL_MAX_EMPLOYEES:
        return "small"
    if employees <= sec.max_employees or capital_band in sec.sme_capital_bands:
        return "medium"
    return "large"


def is_sme(employees: int | None, capital_band: str | None, industry: str | None) -> bool | None:
    """SME when capital OR employees are within the limit; False only when both are known and above."""
    sec = sector(industry)
    by_employees = None if employees is None else employees <= sec.max_employees
    known_capital = capital_band is not None and capital_band != "unknown"
    by_capital = (capital_band in sec.sme_capital_bands) if known_capital else None
    if by_employees or by_capital:
        return True
    if by_employees is False and by_capital is False:
        return False
    return None
