"""Every SQLite connection Keireki opens runs in WAL mode with synchronous=NORMAL, foreign keys on."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from webapp.db import make_engine


def test_sqlite_connections_use_wal_with_synchronous_normal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (FULL is 2)
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            conn.commit()
        # A second connection (another pool slot) gets the same settings and sees the committed row.
        with engine.connect() as other, engine.connect() as conn:
            assert other.exec_driver_sql("PRAGMA synchronous").scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()
