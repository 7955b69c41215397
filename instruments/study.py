"""The study file ``instruments/study/study.yaml``: which instrument serves which step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from instruments.errors import InstrumentError
from instruments.model import Location, Text
from instruments.yamlio import LineMap, parse_yaml

_KEYS = {"id", "title", "default_language", "languages", "draft_expiry_days", "quotas", "steps"}


@dataclass(frozen=True)
class Study:
    id: str
    title: Text
    default_language: str
    languages: tuple[str, ...]
    draft_expiry_days: int
    #: participant type -> target number of participants
    quotas: dict[str, int]
    #: step -> instrument id, or participant type -> instrument id (``intake``)
    steps: dict[str, str | dict[str, str]]
    location: Location | None = field(default=None, compare=False)

    def instrument_for(self, step: str, participant_type: str | None = None) -> str | None:
        """The instrument id that serves ``step`` (for ``intake``: for that participant type)."""
        value = self.steps.get(step)
        if isinstance(value, dict):
            return value.get(participant_type or "")
        return value


def load_study(path: str | Path | None = None) -> Study:
    """Read a study file (default: the bundled ``instruments/study/study.yaml``)."""
    path = Path(path) if path is not None else Path(__file__).parent / "study" / "study.yaml"
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError(f"cannot read: {exc}", Location(file)) from exc
    data = parse_yaml(text, file=file)

    def fail(message: str) -> InstrumentError:
        return InstrumentError(message, Location(file, getattr(data, "line", None)))

    if not isinstance(data, LineMap):
        raise fail("a study file must be a mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)} in the study")
    for key in ("id", "default_language", "steps"):
        if key not in data:
            raise fail(f"missing {key!r}")
    title, languages, expiry, quotas = _settings(data, fail)
    return Study(
        id=str(data["id"]), title=dict(title), default_language=str(data["default_language"]),
        languages=tuple(languages), draft_expiry_days=expiry, quotas=dict(quotas), steps=_steps(data, fail),
        location=Location(file, data.line),
    )


def _settings(data: LineMap, fail: Callable[[str], InstrumentError]) -> tuple[Any, Any, int, Any]:
    """The study's title, languages, draft expiry and quotas, each checked."""
    title = data.get("title") or {}
    if isinstance(title, str):
        title = {str(data["default_language"]): title}
    if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
        raise fail("'title' must be a mapping language -> text")
    languages = data.get("languages") or [data["default_language"]]
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise fail("'languages' must be a list of language tags")
    expiry = data.get("draft_expiry_days", 30)
    if isinstance(expiry, bool) or not isinstance(expiry, int) or expiry < 1:
        raise fail("'draft_expiry_days' must be a whole number >= 1")
    quotas = data.get("quotas") or {}
    if not isinstance(quotas, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in quotas.values()):
        raise fail("'quotas' must map participant types to whole numbers")
    return title, languages, expiry, quotas


def _steps(data: LineMap, fail: Callable[[str], InstrumentError]) -> dict[str, str | dict[str, str]]:
    steps_raw = data["steps"]
    if not isinstance(steps_raw, dict):
        raise fail("'steps' must be a mapping")
    steps: dict[str, str | dict[str, str]] = {}
    for step, value in steps_raw.items():
        if isinstance(value, str):
            steps[step] = value
        elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            steps[step] = {str(k): v for k, v in value.items()}
        else:
            raise fail(f"step {step!r} must name an instrument or map participant types to instruments")
    return steps
