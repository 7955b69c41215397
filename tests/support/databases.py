"""Creating and dropping migrated test databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def _alembic(url: str, action: str, revision: str) -> None:
    from webapp.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            getattr(command, action)(cfg, revision)
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    _alembic(url, "upgrade", revision)


def downgrade(url: str, revision: str = "base") -> None:
    _alembic(url, "downgrade", revision)


@contextmanager
def empty(backend: str, tmp_dir: Path) -> Iterator[str]:
    """An empty database (no schema); dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'keireki-{uuid.uuid4().hex[:6]}.db'}"
        return
    server_url = sa.make_url(os.environ["KEIREKI_TEST_DATABASE_URL"])
    name = f"keireki_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def fresh(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A migrated database; dropped afterwards."""
    with empty(backend, tmp_dir) as url:
        upgrade(url)
        yield url
