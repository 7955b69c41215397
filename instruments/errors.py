"""The package's error types: every failure of the instruments package is one of these."""

from __future__ import annotations

from typing import Any

from instruments.model import Location


class Error(Exception):
    """Base class of every error raised on purpose by the instruments package."""


class InstrumentError(Error):
    """An instrument file (YAML or XLSForm) is malformed; ``location`` says where."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(f"{location}: {message}" if location is not None else message)
        self.message = message
        self.location = location


class ExpressionError(InstrumentError):
    """An expression cannot be parsed or evaluated; ``position`` is the 0-based offset in its text."""

    def __init__(self, message: str, position: int = 0, location: Location | None = None) -> None:
        super().__init__(f"{message} (at position {position})", location)
        self.message = message
        self.position = position


class AnswerError(Error):
    """An answer a participant gave cannot be accepted.

    ``code`` is a stable identifier the web app translates (``required``, ``integer``, ``date``,
    ``partial_date``, ``era_out_of_range``, ``choice``, ``phone``, ``email``, ``geo``, ``too_long``,
    ``constraint``); ``params`` fill its message.
    """

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
