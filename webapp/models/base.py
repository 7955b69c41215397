"""Shared pieces of the data layer: the naming convention, UTC timestamps, JSON and time types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

#: Named constraints make migrations portable between SQLite and PostgreSQL (batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_field(*, nullable: bool = False, default_now: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column; ``default_now`` fills it with the time of creation."""
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "nullable": nullable, "index": index}
    if default_now:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


def json_field(*, default_factory: Any = dict, nullable: bool = False) -> Any:
    """A JSON column (JSON on SQLite and PostgreSQL)."""
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=nullable)
