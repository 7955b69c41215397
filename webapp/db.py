"""Engine and sessions, and Keireki's one transaction rule. One engine per app; one session per app
context (``db_session()``).

The transaction rule (docs/development.md, "Transactions"):

1. **A session that may write takes the write lock up front.** On SQLite every transaction of a
   *write session* starts with ``BEGIN IMMEDIATE``: writers queue behind each other (``busy_timeout``)
   instead of failing when a read-then-write transaction tries to upgrade after another connection
   committed (``SQLITE_BUSY_SNAPSHOT``, which ``busy_timeout`` does not cover). Write sessions are the
   sessions of requests other than GET/HEAD/OPTIONS (requests are short). Sessions outside a request
   (worker tasks, CLI commands) start deferred, because a task may read and then work for seconds (build
   an export, send mail) and must not hold every participant's save meanwhile: their read-check-write
   units start with :func:`begin_write` and stay short (a batch), and their tasks are retried as a whole
   (rule 2). A GET that writes (rare: opening a draft) calls :func:`begin_write`, or relies on rule 2,
   whose replay of a request runs with a write session. On PostgreSQL
   nothing changes (callers lock rows with ``FOR UPDATE`` where they check-then-write).
2. **A unit of work that meets a passing error is replayed as a whole.** A busy/locked SQLite database
   or a PostgreSQL serialization failure or deadlock (SQLSTATE 40001/40P01) rolls the unit back and runs
   it again, a bounded number of times with backoff: :func:`run_unit` for code that is a pure function of
   its inputs, and every view function (``init_db`` wraps them) as long as the request has committed
   nothing yet — mail and messages are only sent after a commit, so a replay never repeats them. A
   request that still fails answers 503 with "what you sent was not saved", never 500. Background tasks
   are retried by Celery (``workers/celery_app.py``): bounded, with backoff, their job released first.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

log = logging.getLogger(__name__)
#: Slow requests and long write-lock holds, with their timings (see :func:`timed`).
timing_log = logging.getLogger("keireki.timing")
T = TypeVar("T")

#: Request methods whose sessions only read (their transactions start deferred).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: PostgreSQL SQLSTATEs of a transaction that may succeed when run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: Attempts of a unit of work (the first run included) and the first backoff in seconds.
ATTEMPTS = 4
BACKOFF = 0.05
#: Seconds a writer waits for SQLite's write lock before its unit of work counts as busy (``busy_timeout``).
LOCK_TIMEOUT = 30.0
#: A request slower than this (seconds) is logged on ``keireki.timing`` with its timings.
SLOW_REQUEST = 1.0
#: A transaction holding SQLite's write lock longer than this (seconds) is logged on ``keireki.timing``.
LONG_WRITE = 0.5


# -- timings: where a request's time goes --------------------------------------------------------------

def note_time(name: str, seconds: float) -> None:
    """Add ``seconds`` to the current request's timing ``name`` (``lock``: waiting for the write lock,
    ``write``: holding it, ``hash``: argon2). Outside a request it does nothing. A dict add: cheap."""
    if has_request_context():
        timings = g.setdefault("keireki_timings", {})
        timings[name] = timings.get(name, 0.0) + seconds


@contextlib.contextmanager
def timed(name: str) -> Iterator[None]:
    """Count the time spent in the block as the request's timing ``name`` (see :func:`note_time`)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        note_time(name, time.perf_counter() - started)


def _doing() -> str:
    return f"{request.method} {request.path}" if has_request_context() else "a task or command"


def _start_timing() -> None:
    g.keireki_started = time.perf_counter()


def _report_timing(response: Any) -> Any:
    """``Server-Timing`` (not in production): ``lock`` (waiting for the write lock), ``write`` (holding
    it), ``hash`` (argon2) and ``app`` (the whole request in the app), in ms; a log line when slow."""
    started = g.get("keireki_started")
    if started is None:
        return response
    timings = {**g.get("keireki_timings", {}), "app": time.perf_counter() - started}
    if not current_app.config["KEIREKI"].production:
        response.headers["Server-Timing"] = ", ".join(f"{k};dur={v * 1000:.1f}" for k, v in timings.items())
    if timings["app"] >= SLOW_REQUEST:
        timing_log.warning("slow request %s: %s", _doing(),
                           ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    return response


# -- SQLite's write lock, queued in the process --------------------------------------------------------

class WriteQueue:
    """A first-come first-served lock in front of SQLite's write lock, one per database file per process.

    SQLite makes a waiting writer poll (``busy_timeout`` sleeps up to 100 ms between tries), so with many
    web threads waiting the lock sat idle between holders and a newcomer could overtake a writer that had
    waited for seconds. The process's writers queue here instead, and the lock is handed to the next one
    the moment it is released; only the head of the queue polls SQLite (against other processes: the
    worker, ``demo seed``). Timeout: :data:`LOCK_TIMEOUT`, then the unit counts as busy (replayed).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by release()
        with self._mutex:
            try:
                self._waiters.remove(turn)
            except ValueError:
                return True  # handed over just as the wait ran out
        return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # the next writer's turn; the lock stays held
            else:
                self._held = False


_QUEUES: dict[str, WriteQueue] = {}
_QUEUES_LOCK = threading.Lock()


def _queue_for(path: str) -> WriteQueue:
    with _QUEUES_LOCK:
        return _QUEUES.setdefault(path, WriteQueue())


def _reset_queues_after_fork() -> None:
    """A forked child (Celery's prefork pool) starts with every queue free: a turn the parent's thread
    held at the fork is not the child's, and no thread of the child waits."""
    global _QUEUES_LOCK
    _QUEUES_LOCK = threading.Lock()
    for queue in _QUEUES.values():
        queue.__init__()  # type: ignore[misc]


os.register_at_fork(after_in_child=_reset_queues_after_fork)


class _Connection(sqlite3.Connection):
    """pysqlite's connection, releasing the process's :class:`WriteQueue` when a write transaction ends
    (commit, rollback or close) and logging a long hold."""

    keireki_queue: WriteQueue | None = None
    keireki_locked_at: float | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._unlocked()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._unlocked()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._unlocked()

    def _unlocked(self) -> None:
        locked_at, self.keireki_locked_at = self.keireki_locked_at, None
        if locked_at is None or self.keireki_queue is None:
            return
        self.keireki_queue.release()
        held = time.perf_counter() - locked_at
        note_time("write", held)
        if held >= LONG_WRITE:
            timing_log.warning("held the SQLite write lock %.0f ms (%s)", held * 1000, _doing())


def _begin_immediate(conn: sa.Connection, queue: WriteQueue) -> None:
    """``BEGIN IMMEDIATE`` after this process's earlier writers (:class:`WriteQueue`), timed.

    Against other processes (the worker, ``demo seed``) the head of the queue tries SQLite's lock every
    1-10 ms itself (``busy_timeout`` off for the try: its sleeps grow to 100 ms, so a lock released
    meanwhile sat idle), within the same :data:`LOCK_TIMEOUT` as the wait in the queue.
    """
    dbapi = conn.connection.dbapi_connection
    started = time.perf_counter()
    deadline = started + LOCK_TIMEOUT
    if not queue.acquire(LOCK_TIMEOUT):
        note_time("lock", time.perf_counter() - started)
        raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
    try:
        _take_sqlite_lock(conn, deadline)
    except BaseException:
        queue.release()
        raise
    finally:
        note_time("lock", time.perf_counter() - started)
    if isinstance(dbapi, _Connection):
        dbapi.keireki_queue = queue
        dbapi.keireki_locked_at = time.perf_counter()
    else:  # pragma: no cover - a connection made without our factory: do not keep the queue
        queue.release()


def _take_sqlite_lock(conn: sa.Connection, deadline: float) -> None:
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute("PRAGMA busy_timeout=0")  # on the driver: statements of no interest to SQLAlchemy's events
    try:
        for attempt in range(1_000_000):
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                wrapped = OperationalError("BEGIN IMMEDIATE", None, exc)
                if not is_transient(wrapped) or time.perf_counter() >= deadline:
                    raise wrapped from exc
            time.sleep(min(0.001 * 2 ** min(attempt, 4), 0.01) * (0.5 + random.random()))  # noqa: S311
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={int(LOCK_TIMEOUT * 1000)}")


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine with the settings Keireki relies on (SQLite: WAL with synchronous=NORMAL, foreign keys, busy timeout).

    ``hide_parameters``: an error's message never carries the bound values (answers, contact details), so
    no log line written from it does either.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": LOCK_TIMEOUT, "check_same_thread": False,
                                                     "factory": _Connection}, **kwargs)
        queue = _queue_for(engine.url.database or ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let pysqlite not emit BEGIN itself; we emit it, so BEGIN IMMEDIATE works.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL's documented setting: a commit no longer waits for an fsync of the log (checkpoints still
            # do). The database cannot be corrupted by a crash or power loss; a power loss (not a process
            # crash) may undo the last transactions committed before it (README.md "Database").
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(LOCK_TIMEOUT * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            if conn.get_execution_options().get("sqlite_immediate"):
                _begin_immediate(conn, queue)
            else:
                conn.connection.dbapi_connection.execute("BEGIN")  # type: ignore[union-attr]

        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def is_transient(exc: BaseException) -> bool:
    """True for a database error that running the unit of work again may cure (busy, locked,
    serialization failure, deadlock, a dropped connection)."""
    if isinstance(exc, DisconnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate in RETRYABLE_SQLSTATES or sqlstate.startswith("08") or sqlstate in ("57P01", "57P03"):
        return True  # serialization failure, deadlock, connection lost, server shutting down/starting
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        return "database is locked" in text or "database is busy" in text or "database table is locked" in text
    return False


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt`` + 1 (exponential, with jitter)."""
    return float(BACKOFF * (2 ** attempt) * (0.5 + random.random()))  # noqa: S311 - jitter, not a secret


class Database:
    """The app's engine and session factory (``app.extensions["keireki.db"]``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)

    def session(self, *, write: bool = False) -> Session:
        """A new session; with ``write`` its every transaction starts with ``BEGIN IMMEDIATE`` on SQLite.

        A factory bound to one connection (the tests' savepoint sessions) is used as it is.
        """
        bind = self.sessionmaker.kw.get("bind")
        if write and isinstance(bind, sa.Engine):
            session: Session = self.sessionmaker(bind=bind.execution_options(sqlite_immediate=True))
        else:
            session = self.sessionmaker()
        return session


def init_db(app: Flask) -> None:
    engine = app.config.get("KEIREKI_ENGINE") or make_engine(app.config["KEIREKI"].database_url)
    app.extensions["keireki.db"] = Database(engine)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timing)
    app.after_request(_report_timing)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def replay_views(app: Flask) -> None:
    """Wrap every view function with :func:`replayed` (called once the blueprints are registered)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "_keireki_replayed", False):
            app.view_functions[endpoint] = replayed(view)


def get_db(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions["keireki.db"]
    return database


#: ``session.info`` key of the sessions :func:`db_session` hands out: only they tell the request what they wrote.
_WATCHED = "keireki_watched"


def _note_flush(session: Session, _context: Any) -> None:
    if _WATCHED in session.info:
        session.info["keireki_wrote"] = True


def _note_statement(state: Any) -> None:
    if _WATCHED in state.session.info and (state.is_insert or state.is_update or state.is_delete):
        state.session.info["keireki_wrote"] = True


def _note_commit(session: Session) -> None:
    if session.info.pop("keireki_wrote", False) and _WATCHED in session.info:
        g.keireki_committed = True


def note_written(session: Session) -> None:
    """Tell the request that ``session`` wrote past the ORM (a Core statement on its connection, which the
    ``do_orm_execute`` listener does not see): its next commit counts as the request's, as a flush's would."""
    if _WATCHED in session.info:
        session.info["keireki_wrote"] = True


def _note_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop("keireki_wrote", None)


# Listened to once on the class (listening on each new session costs more than a page's queries); the
# listeners look only at the sessions marked by db_session().
event.listen(Session, "after_flush", _note_flush)
event.listen(Session, "do_orm_execute", _note_statement)
event.listen(Session, "after_commit", _note_commit)
event.listen(Session, "after_soft_rollback", _note_rollback)


def db_session() -> Session:
    """The session of the current app context (request, CLI command or task).

    A write session (see the module's rule) in a request other than GET, HEAD or OPTIONS.
    """
    if "db_session" not in g:
        write = has_request_context() and request.method not in READ_METHODS
        session = get_db().session(write=write)
        session.info[_WATCHED] = True
        g.db_session = session
    session_: Session = g.db_session
    return session_


def committed() -> bool:
    """Whether this app context's session has committed a write (the error pages tell the truth with it)."""
    return bool(g.get("keireki_committed"))


def begin_write(session: Session) -> None:
    """Start the session's transaction with the write lock (``BEGIN IMMEDIATE`` on SQLite).

    For a read session that must write (a GET that records an audit event) and for read-check-write
    sequences (booking a slot, claiming a reminder, submitting). Call it when the session has no
    transaction open (commit first). On PostgreSQL it starts a normal transaction; callers lock rows
    there (``with_for_update``).
    """
    if session.in_transaction():
        raise RuntimeError("begin_write() needs a session with no open transaction")
    session.connection(execution_options={"sqlite_immediate": True})


def without_write_lock(session: Session, work: Callable[[], T]) -> T:
    """Run CPU-heavy ``work`` (an argon2 hash) outside the session's write transaction.

    A write session holds SQLite's write lock from its first statement (``BEGIN IMMEDIATE``), so a hash
    inside it would keep every other writer waiting. When the transaction has written nothing yet it is
    ended first (a commit of nothing; loaded rows stay usable, ``expire_on_commit`` is off) and the next
    statement begins a new one. A transaction that has written is left open (its lock is needed).
    """
    if session.in_transaction() and not (session.info.get("keireki_wrote") or session.new or session.dirty
                                         or session.deleted):
        session.commit()
    return work()


#: The older name of :func:`begin_write` (bookings, reminders, submissions).
begin_serialised = begin_write


def run_unit(fn: Callable[[Session], T], *, session: Session | None = None, attempts: int = ATTEMPTS) -> T:
    """Run ``fn(session)`` — a unit of work that commits — again from the start after a passing error.

    ``fn`` must be a pure function of its inputs and the database (no mail, no broker, no files before
    its commit). Raises the last error after ``attempts`` runs.
    """
    session = session or db_session()
    for attempt in range(attempts):
        try:
            return fn(session)
        except DBAPIError as exc:
            session.rollback()
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            log.info("transient database error, running the unit again (%s): %s", attempt + 1, exc.orig)
            time.sleep(backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def take_write_lock_from_now_on(session: Session) -> None:
    """Make every later transaction of ``session`` begin with the write lock (``BEGIN IMMEDIATE`` on
    SQLite): for a command or task whose remaining work is a run of read-then-write units (seeding)."""
    bind = session.bind
    if isinstance(bind, sa.Engine) and not bind.get_execution_options().get("sqlite_immediate"):
        session.bind = bind.execution_options(sqlite_immediate=True)


class Busy(Exception):
    """A request's unit of work met passing database errors on every attempt; nothing of it was saved."""


def replayed(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view that is run again from the start after a passing database error, while its request has
    committed nothing; then (or when it keeps failing) it raises :class:`Busy` (a 503 page)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                return view(*args, **kwargs)
            except DBAPIError as exc:
                session = g.get("db_session")
                if session is not None:
                    session.rollback()
                    take_write_lock_from_now_on(session)  # a GET that writes: run again as a writer
                if not is_transient(exc):
                    raise
                if committed() or attempt == ATTEMPTS - 1:
                    log.warning("request %s %s gave up after a passing database error: %s",
                                request.method, request.path, exc.orig)
                    raise Busy(str(exc.orig)) from exc
                log.info("replaying %s %s after a passing database error: %s", request.method, request.path,
                         exc.orig)
                time.sleep(backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    wrapper._keireki_replayed = True  # type: ignore[attr-defined]
    return wrapper


def ids_in(column: sa.ColumnElement[Any], ids: Collection[int], dialect: str) -> sa.ColumnElement[bool]:
    """``column IN ids``, written for ``dialect``: ``= ANY(array)`` on PostgreSQL.

    psycopg caches the translated text of a statement only up to 50 parameters, so an ``IN`` of a batch's ids
    (one parameter each, re-expanded by SQLAlchemy every execution) costs about 0.6 ms CPU more per statement
    than one array parameter (bench/README.md, "Records conversion"). Any other dialect: ``IN``.
    """
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(sa.Integer)))
    return column.in_(ids)
