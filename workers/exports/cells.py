"""Cell values as text, and the neutralisation of spreadsheet formulas (CSV and XLSX)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula; numbers such as ``-3`` stay numbers."""
    if text.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def iso_utc(value: datetime) -> str:
    """A timestamp as ISO 8601 in UTC with a ``Z`` (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return value.strftime(fmt)


def as_text(value: Any) -> str:
    """The CSV text of a value: empty for missing, ``true``/``false``, ISO times, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    return neutralise(str(value))
