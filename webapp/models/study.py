"""Studies, their instruments (immutable versions) and recruitment channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from webapp.models.base import json_field, ts_field


class Study(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)  #: used in links: /s/<slug>
    title: dict[str, str] = json_field()  #: language tag -> title
    default_language: str = Field(max_length=16)
    languages: list[str] = json_field(default_factory=list)
    draft_expiry_days: int = 30
    quotas: dict[str, int] = json_field()  #: participant type -> target number
    #: Which instrument id serves which step: screening, consent, intake{type}, debrief.
    steps: dict[str, Any] = json_field()
    #: Secret for pseudonymous employer/firm references (HMAC key, hex); never exported.
    pseudonym_key: str = Field(max_length=128)
    created_at: datetime = ts_field(default_now=True)


class InstrumentVersion(SQLModel, table=True):
    """One loaded version of an instrument; immutable once loaded (the fingerprint guards it)."""

    __table_args__ = (sa.UniqueConstraint("study_id", "instrument_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    instrument_id: str = Field(max_length=64)  #: e.g. "ti_intake"
    version: str = Field(max_length=32)
    #: The canonical form of the instrument (``instruments.to_dict``).
    definition: dict[str, Any] = json_field()
    fingerprint: str = Field(max_length=64)  #: sha256 of the canonical form
    source: str | None = Field(default=None, max_length=255)
    loaded_at: datetime = ts_field(default_now=True)


class Channel(SQLModel, table=True):
    """A recruitment channel: an agency, a group, a post. ``/s/<study>?c=<code>``."""

    __table_args__ = (sa.UniqueConstraint("study_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    code: str = Field(max_length=64)
    label: str = Field(max_length=200)
    #: Screenings through this channel that ended ineligible (a count only: nothing else is kept).
    ineligible_count: int = 0
    created_at: datetime = ts_field(default_now=True)
