"""The schema is created only through Alembic, round-trips, and equals the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import webapp.models  # noqa: F401
from tests.support import databases
from webapp.db import make_engine


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, SQLModel.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_matches_models(backend: str, tmp_path: Path) -> None:
    with databases.empty(backend, tmp_path) as url:
        databases.upgrade(url)
        assert _tables(url) == set(SQLModel.metadata.tables)
        assert _diff(url) == []
        databases.downgrade(url)
        assert _tables(url) == set()
        databases.upgrade(url)
        assert _diff(url) == []


def test_audit_log_is_append_only_in_the_database(backend: str, tmp_path: Path) -> None:
    with databases.fresh(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO auditevent (at, actor, action, target, detail) "
                    "VALUES (CURRENT_TIMESTAMP, 'system', 'test.event', '', '{}')"))
            for statement in ("UPDATE auditevent SET action = 'forged'", "DELETE FROM auditevent"):
                with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
                    conn.execute(sa.text(statement))
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT action FROM auditevent")).scalars().all() == ["test.event"]
        finally:
            engine.dispose()
