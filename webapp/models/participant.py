"""Participants and what they give: contact (kept apart, encrypted), consent, drafts, responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from webapp.models.base import json_field, ts_field


class Participant(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("study_id", "code"), sa.UniqueConstraint("study_id", "demo_key"))

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    #: Pseudonymous code, e.g. ``TI-0007``; the only identifier that leaves the platform.
    code: str = Field(max_length=16)
    participant_type: str = Field(max_length=16)  #: ti | sie | manager
    #: screened | consented | submitted | interviewed | withdrawn
    status: str = Field(default="screened", max_length=16, index=True)
    form_language: str = Field(max_length=16)
    channel_id: int | None = Field(default=None, foreign_key="channel.id", index=True)
    #: sha256 of the unguessable resume token (the link); the token itself is never stored.
    resume_token_hash: str = Field(max_length=64, unique=True)
    #: argon2 hash of the short resume code the participant writes down.
    resume_code_hash: str = Field(max_length=255)
    #: Wrong resume codes typed since the last successful resume; at 10 the code no longer works
    #: (the resume link still does, and resets it).
    resume_failures: int = 0
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)
    withdrawn_at: datetime | None = ts_field(nullable=True)
    #: ``keireki demo seed``'s "<seed>:<n>" for synthetic participants (a rerun adds no duplicate people).
    demo_key: str | None = Field(default=None, max_length=32)


class Contact(SQLModel, table=True):
    """Contact details, stored apart from answers and encrypted at rest (``webapp.crypto``)."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", unique=True)
    #: Fernet token of a JSON object: name, phone (E.164), email, messaging_app, messaging_id.
    data_enc: bytes = Field(sa_type=sa.LargeBinary)
    #: Which kinds are present (e.g. "email,phone"), so views need not decrypt to choose a channel.
    kinds: str = Field(default="", max_length=64)
    updated_at: datetime = ts_field(default_now=True)


class Consent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    instrument_version_id: int = Field(foreign_key="instrumentversion.id")
    consent_version: str = Field(max_length=32)
    language: str = Field(max_length=16)
    #: SHA-256 of the exact consent text shown, in the language shown.
    text_sha256: str = Field(max_length=64)
    agreed_at: datetime = ts_field(default_now=True)
    #: keep | erase: what happens to research answers if the participant withdraws.
    withdrawal_data: str = Field(default="keep", max_length=8)
    withdrawn_at: datetime | None = ts_field(nullable=True)


class Draft(SQLModel, table=True):
    """Answers in progress, saved on every page; one per participant and instrument."""

    __table_args__ = (sa.UniqueConstraint("participant_id", "instrument_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    instrument_id: str = Field(max_length=64)
    instrument_version_id: int = Field(foreign_key="instrumentversion.id")
    answers: dict[str, Any] = json_field()
    meta: dict[str, Any] = json_field()
    page: str | None = Field(default=None, max_length=64)  #: the page to resume on
    updated_at: datetime = ts_field(default_now=True)
    expires_at: datetime = ts_field()


class Response(SQLModel, table=True):
    """A submitted, immutable set of answers; one per participant and instrument (submit once)."""

    __table_args__ = (sa.UniqueConstraint("participant_id", "instrument_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    instrument_id: str = Field(max_length=64)
    instrument_version_id: int = Field(foreign_key="instrumentversion.id")
    answers: dict[str, Any] = json_field()
    meta: dict[str, Any] = json_field()
    submitted_at: datetime = ts_field(default_now=True)
    #: Who submitted it: None for the participant, a user id for a debrief.
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    #: submitted | converted | failed — the state of its career-record conversion.
    status: str = Field(default="submitted", max_length=16, index=True)
    error: str | None = Field(default=None, max_length=2000)
    pipeline_version: str | None = Field(default=None, max_length=16)
    converted_at: datetime | None = ts_field(nullable=True)


class Upload(SQLModel, table=True):
    """A file a participant sent for an upload question (XLSForm ``image``, ``audio``, ``video``, ``file``).

    The answer holds ``key`` (a random name with the detected type's extension); the file is encrypted with
    the data key under the data directory (``path``, relative to it). Personal data: only in bundles with
    personal data, erased on withdrawal with erasure (webapp/services/uploads.py)."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    key: str = Field(max_length=48, unique=True)
    path: str = Field(max_length=500)
    name: str = Field(max_length=200)  #: the file's name on the participant's device (shown back to them)
    media_type: str = Field(max_length=100)  #: detected from the content (magic bytes), not the name
    size: int
    question: str = Field(max_length=200)  #: the answer's path, ``photo`` or ``jobs[0].photo``
    created_at: datetime = ts_field(default_now=True)
