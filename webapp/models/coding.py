"""Qualitative coding: transcripts as sources, the study's codebook, coders' codings and memos."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from webapp.models.base import json_field, ts_field

#: What a transcript is to its interview: the original language, or a translation of another transcript.
TRANSCRIPT_ROLES = ("original", "translation")
#: A code's life: active codes can be applied; retired ones keep their codings but are not offered;
#: merged ones had their codings moved to ``merged_into_id``.
CODE_STATUSES = ("active", "retired", "merged")
#: What a memo is about.
MEMO_TARGETS = ("transcript", "code", "coding")
#: The built-in skill-construction codes (../shared/DOMAIN.md), the contract's ``skill_event`` vocabulary.
SKILL_CODES = ("recognise", "cultivate", "ascribe", "limit_deny")


class Codebook(SQLModel, table=True):
    """A study's codebook: its version (raised by every change) and how codings reach the records."""

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", unique=True)
    version: int = 1
    #: True: every coder's skill-construction codings become skill events (single-coder studies);
    #: False: only consensus codings do.
    single_coder: bool = False
    updated_at: datetime = ts_field(default_now=True)


class Transcript(SQLModel, table=True):
    """One text of an interview (original or translation), encrypted UTF-8 (NFC, ``\\n``) under the data dir."""

    __table_args__ = (sa.UniqueConstraint("study_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    #: The interview; None for a source imported from a QDA project that matched no interview.
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    #: GUID (QDA exchange) and the pseudonymous ``transcript_ref`` of the records.
    guid: str = Field(max_length=36)
    ref: str = Field(max_length=32, index=True)
    language: str = Field(max_length=16)  #: BCP 47
    role: str = Field(default="original", max_length=16)  #: one of TRANSCRIPT_ROLES
    translation_of_id: int | None = Field(default=None, foreign_key="transcript.id")
    name: str = Field(max_length=200)  #: the uploaded file's name, or a title given when pasted
    path: str = Field(max_length=500)  #: encrypted file, relative to the data directory
    sha256: str = Field(max_length=64, index=True)  #: of the normalised text (QDA import matches on it)
    n_chars: int = 0
    #: Paragraphs as ``[start, end, speaker]`` character offsets into the text (speaker may be "").
    paragraphs: list[list[int | str]] = json_field(default_factory=list)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = ts_field(default_now=True)


class Code(SQLModel, table=True):
    """A code of the codebook; built-in skill-construction codes have ``skill_event`` set."""

    __table_args__ = (sa.UniqueConstraint("study_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    guid: str = Field(max_length=36)
    name: str = Field(max_length=32)  #: ASCII-friendly short name, unique among a study's unmerged codes
    parent_id: int | None = Field(default=None, foreign_key="code.id")
    description: str = Field(default="", max_length=2000)
    colour: str = Field(default="#1f77b4", max_length=7)  #: #RRGGBB
    labels: dict[str, str] = json_field()  #: language tag -> translated name (label, at most 80)
    #: One of SKILL_CODES for the built-in codes: codings then carry actor, domain and episode.
    skill_event: str | None = Field(default=None, max_length=16)
    status: str = Field(default="active", max_length=16)  #: one of CODE_STATUSES
    merged_into_id: int | None = Field(default=None, foreign_key="code.id")
    created_at: datetime = ts_field(default_now=True)


class Coding(SQLModel, table=True):
    """A code applied by one coder (or the consensus) to a span of a transcript."""

    __table_args__ = (sa.UniqueConstraint("study_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    transcript_id: int = Field(foreign_key="transcript.id", index=True)
    code_id: int = Field(foreign_key="code.id", index=True)
    guid: str = Field(max_length=36)
    #: The coder; None for the consensus coding and for codings imported from another tool.
    coder_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    consensus: bool = False
    #: Pseudonymous name of a coder of an imported project (``coder_id`` is None then).
    external_coder: str | None = Field(default=None, max_length=100)
    paragraph: int  #: 1-based paragraph the span starts in
    start: int  #: character offsets into the NFC ``\n`` text, end exclusive
    end: int
    actor: str | None = Field(default=None, max_length=32)  #: skill codes: the contract's skill_actor
    skill_domain: str | None = Field(default=None, max_length=32)
    episode_no: int | None = None  #: skill codes: the participant's own career episode
    recorded_by: int | None = Field(default=None, foreign_key="user.id")  #: who saved it (consensus: the lead)
    created_at: datetime = ts_field(default_now=True)


class Memo(SQLModel, table=True):
    """A note on a transcript, a code or a coding (a passage)."""

    __table_args__ = (sa.Index("ix_memo_target", "target", "target_id"), sa.UniqueConstraint("study_id", "guid"))

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    target: str = Field(max_length=16)  #: one of MEMO_TARGETS
    target_id: int
    guid: str = Field(max_length=36)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    text: str = Field(max_length=10000)
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)
