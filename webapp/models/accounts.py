"""Researcher accounts, per-study roles, API tokens and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from webapp.models.base import json_field, ts_field

#: Roles per study, from most to least privileged.
ROLES = ("owner", "researcher", "interviewer", "viewer")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)  #: argon2; None until the invite is used
    is_admin: bool = False  #: global admin: manages users and studies
    is_active: bool = True
    #: Bumped by "sign out everywhere"; sessions carry the value they were created with.
    session_version: int = 1
    timezone: str = Field(default="Asia/Tokyo", max_length=64)  #: IANA zone, for agendas
    languages: list[str] = json_field(default_factory=list)  #: languages the user interviews in
    ui_language: str = Field(default="en", max_length=16)
    #: sha256 of a pending invitation token, and when it expires.
    invite_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    invite_expires_at: datetime | None = ts_field(nullable=True)
    created_at: datetime = ts_field(default_now=True)
    last_login_at: datetime | None = ts_field(nullable=True)


class SignInSession(SQLModel, table=True):
    """One signed-in browser: its cookie names the session by a random id; signing out deletes the row, so a
    copy of the cookie no longer opens anything."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    sid_hash: str = Field(max_length=64, unique=True)  #: sha256 of the random session id in the cookie
    created_at: datetime = ts_field(default_now=True)


class Membership(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("user_id", "study_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    role: str = Field(max_length=16)  #: one of ROLES


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=12)  #: first characters, shown to tell tokens apart
    token_hash: str = Field(max_length=64, unique=True)  #: sha256 of the token
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = ts_field(default_now=True)
    revoked_at: datetime | None = ts_field(nullable=True)
    last_used_at: datetime | None = ts_field(nullable=True)


class AuditEvent(SQLModel, table=True):
    """Who saw, exported or deleted what. Append-only: the ORM and the database refuse changes."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = ts_field(default_now=True, index=True)
    study_id: int | None = Field(default=None, foreign_key="study.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(max_length=200)  #: "user:<email>", "participant:<code>", "system", "api:<token prefix>"
    action: str = Field(max_length=64)  #: e.g. contact.view, export.pii, participant.withdraw
    target: str = Field(default="", max_length=200)  #: e.g. "participant:TI-0007"
    detail: dict[str, Any] = json_field()  #: never personal data
