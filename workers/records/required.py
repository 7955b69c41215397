"""``missing_required`` flags: which required answers a submitted response lacks.

Relevance-aware, through the same form logic the web form uses (``instruments.engine``): a required
question that was not shown is not missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from instruments.engine import required_missing
from instruments.model import Instrument

from .extract import Problem, RawRow


def _owner(rows: list[RawRow], path: str) -> RawRow | None:
    best: RawRow | None = None
    for row in rows:
        if row.path and path.startswith(row.path + ".") and (best is None or len(row.path) > len(best.path)):
            best = row
    return best


def required_problems(instrument: Instrument, answers: Mapping[str, Any], rows: list[RawRow],
                      today: date) -> list[Problem]:
    """One ``missing_required`` problem per missing answer, tied to the entry's row when in a repeat.

    ``today`` is the response's reference date (``today()`` in relevance expressions).
    """
    return [Problem("missing_required", f"{path}: no answer", _owner(rows, path))
            for path in required_missing(instrument, answers, today)]
