"""Engine and sessions. One engine per app; one session per request (``db_session()``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine with the settings Keireki relies on (SQLite: WAL, foreign keys, busy timeout).

    ``hide_parameters``: an error's message never carries the bound values (answers, contact details), so
    no log line written from it does either.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let pysqlite not emit BEGIN itself; we emit it, so SERIALIZABLE-like BEGIN IMMEDIATE works.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The app's engine and session factory (``app.extensions["keireki.db"]``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessionmaker()


def init_db(app: Flask) -> None:
    engine = app.config.get("KEIREKI_ENGINE") or make_engine(app.config["KEIREKI"].database_url)
    app.extensions["keireki.db"] = Database(engine)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_db(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions["keireki.db"]
    return database


def db_session() -> Session:
    """The session of the current app context (request, CLI command or task)."""
    if "db_session" not in g:
        g.db_session = get_db().session()
    session: Session = g.db_session
    return session


def begin_serialised(session: Session) -> None:
    """Start the session's transaction so that concurrent writers queue up behind it.

    Call it when the session has no transaction open (commit first). On SQLite the transaction
    starts with ``BEGIN IMMEDIATE``, taking the write lock at once: the serialised transaction that
    makes read-check-write sequences (booking a slot, claiming a reminder) safe. On PostgreSQL it
    starts a normal transaction; callers lock rows there (``with_for_update``).
    """
    if session.in_transaction():
        raise RuntimeError("begin_serialised() needs a session with no open transaction")
    session.connection(execution_options={"sqlite_immediate": True})
