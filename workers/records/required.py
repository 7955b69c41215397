"""``missing_required`` flags: which required answers a submitted response lacks.

Uses ``instruments.engine.required_missing`` (relevance-aware) when that engine is installed;
otherwise only questions required unconditionally (``required: true`` with no ``relevant`` on the
question or an enclosing group) are checked, which can miss conditional requirements but never
flags a question that was not shown.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from instruments.model import Instrument

from .extract import Problem, RawRow
from .plan import ScopePlan, plan_for


def _engine() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("instruments.engine")
    except ImportError:
        return None
    function = getattr(module, "required_missing", None)
    return function if callable(function) else None


def _owner(rows: list[RawRow], path: str) -> RawRow | None:
    best: RawRow | None = None
    for row in rows:
        if row.path and path.startswith(row.path + ".") and (best is None or len(row.path) > len(best.path)):
            best = row
    return best


def _walk(scope: ScopePlan, answers: Mapping[str, Any], path: str) -> list[str]:
    missing = [f"{path}.{name}" if path else name for name in scope.required if name not in answers]
    for repeat in scope.items:
        if not isinstance(repeat, ScopePlan):
            continue
        entries = answers.get(repeat.name or "")
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, Mapping):
                prefix = f"{path}.{repeat.name}[{index}]" if path else f"{repeat.name}[{index}]"
                missing.extend(_walk(repeat, entry, prefix))
    return missing


def missing_paths(instrument: Instrument, answers: Mapping[str, Any]) -> list[str]:
    """Answer paths (``jobs[1].start``) of required questions left unanswered."""
    engine = _engine()
    if engine is not None:
        return [str(p) for p in engine(instrument, answers)]
    return _walk(plan_for(instrument).top, answers, "")


def required_problems(instrument: Instrument, answers: Mapping[str, Any],
                      rows: list[RawRow]) -> list[Problem]:
    """One ``missing_required`` problem per missing answer, tied to the entry's row when in a repeat."""
    return [Problem("missing_required", f"{path}: no answer", _owner(rows, path))
            for path in missing_paths(instrument, answers)]
