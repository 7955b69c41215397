"""Inputs and output of the records converter: plain, typed, JSON-able values only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from instruments.model import Instrument

#: A JSON-able cell of a records row.
Cell = str | int | float | bool | None
Row = tuple[Cell, ...]

#: Names of the row tables of :class:`ParticipantRecords`, in the order they are written.
TABLE_NAMES = (
    "participants", "episodes", "transitions", "skill_events", "firms", "quality_flags", "sequences_spell",
    "coded_segments",
)


@dataclass(frozen=True)
class CodingInput:
    """A coded passage of one of the participant's transcripts (from the coding area)."""

    transcript_ref: str
    language: str
    paragraph: int
    start: int
    end: int
    code: str
    coder: str  #: pseudonymous coder reference, or ``consensus``
    #: The contract's skill_event for a skill-construction code, else None.
    event: str | None = None
    actor: str | None = None
    skill_domain: str | None = None
    episode_no: int | None = None
    #: True when the coding becomes a skill event (consensus, or any coder in a single-coder study).
    counts: bool = False
    quote: str = ""
    memo: str | None = None


@dataclass(frozen=True)
class ParticipantInput:
    """What the database knows about a participant, independent of their answers."""

    participant_code: str
    study: str
    participant_type: str
    form_language: str | None = None
    recruitment_channel: str | None = None
    consent_version: str | None = None
    consented_at: datetime | None = None
    status: str | None = None
    interview_date: date | None = None
    #: Coded passages of the participant's transcripts, in any order (the converter sorts them).
    codings: tuple[CodingInput, ...] = ()


@dataclass(frozen=True)
class ResponseInput:
    """One submitted response of the participant (intake or interviewer debrief)."""

    instrument: Instrument
    answers: Mapping[str, Any]
    #: ``{"raw": {path: text}, "flags": [{"path", "flag", "detail"}]}``, see instruments/model.py.
    meta: Mapping[str, Any]
    #: Time of submission (UTC): its date is the response's reference date ("now" for ongoing spells).
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class ParticipantRecords:
    """All records rows of one participant, per table in the contract's column order (slotted: one is made per
    participant converted)."""

    participants: tuple[Row, ...]
    episodes: tuple[Row, ...]
    transitions: tuple[Row, ...]
    skill_events: tuple[Row, ...]
    firms: tuple[Row, ...]
    quality_flags: tuple[Row, ...]
    sequences_spell: tuple[Row, ...]
    #: The monthly state sequence (STS), from the first episode's start month; ``*`` = unknown month.
    sts: tuple[str, ...]
    #: Month index of the first STS month (None when there is no sequence).
    sts_first_month: int | None = None
    coded_segments: tuple[Row, ...] = ()

    def tables(self) -> dict[str, tuple[Row, ...]]:
        """The row tables by name (``participants`` … ``sequences_spell``)."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def to_json(self) -> str:
        """A canonical serialisation: equal records give byte-identical text."""
        data: dict[str, Any] = {name: [list(r) for r in rows] for name, rows in self.tables().items()}
        data["sts"] = list(self.sts)
        data["sts_first_month"] = self.sts_first_month
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
