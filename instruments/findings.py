"""What a static check of an instrument finds: :class:`Finding`, and the :class:`Collector` every check adds to.

Its own module so that :mod:`instruments.checker` and the checks it runs (:mod:`instruments.checks_expr`,
:mod:`instruments.checks_records`) all import it at the top, without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments.model import Instrument, Location


def from_xlsform(instrument: Instrument) -> bool:
    """Whether ``instrument`` was read from an XLSForm (where Keireki accepts what ODK accepts)."""
    return (instrument.source or "").lower().endswith((".xlsx", ".xls", ".xlsm", ".csv", ".md"))


@dataclass(frozen=True)
class Finding:
    severity: str  #: "error" | "warning"
    location: Location | None
    field: str  #: e.g. ``birth_year.constraint``
    message: str

    def __str__(self) -> str:
        where = str(self.location) if self.location is not None else "?"
        return f"{where}: {self.field}: {self.message}"


class Collector:
    """Collects the findings about one instrument."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.findings: list[Finding] = []
        self.fallback = Location(instrument.source or instrument.id)

    def error(self, where: Location | None, field_name: str, message: str) -> None:
        self.findings.append(Finding("error", where or self.fallback, field_name, message))

    def warning(self, where: Location | None, field_name: str, message: str) -> None:
        self.findings.append(Finding("warning", where or self.fallback, field_name, message))
