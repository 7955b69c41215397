"""The transaction rule (webapp/db.py): write sessions take the write lock up front on SQLite, and a unit
of work that meets a passing error is replayed. Real databases, real threads; no mocks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tests.conftest import make_test_app
from webapp.db import db_session, get_db, is_transient, replay_views, run_unit

COUNTER = sa.table("counter", sa.column("id", sa.Integer), sa.column("n", sa.Integer))


@pytest.fixture
def counter_app(fresh_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    engine = get_db(app).engine
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS counter")
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute(COUNTER.insert().values(id=1, n=0))
    yield app
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE counter")


def _read(session: Session, *, lock: bool = False) -> int:
    query = sa.select(COUNTER.c.n).where(COUNTER.c.id == 1)
    return int(session.execute(query.with_for_update() if lock else query).scalar_one())


def _bump_elsewhere(app: Flask) -> None:
    """Another connection commits a write (as a second participant's save would)."""
    with get_db(app).engine.begin() as conn:
        conn.execute(COUNTER.update().values(n=COUNTER.c.n + 1))


def _read_then_write(app: Flask, session: Session, *, interleave: bool) -> None:
    n = _read(session)
    if interleave:
        threading.Thread(target=_bump_elsewhere, args=(app,)).start()  # waits if we hold the write lock
        if not session.get_bind().dialect.name == "sqlite" or not _holds_write_lock(session):
            _wait_for_bump(app, n)
    session.execute(COUNTER.update().values(n=_read(session) + 1))
    session.commit()


def _holds_write_lock(session: Session) -> bool:
    conn = session.connection()
    return bool(conn.get_execution_options().get("sqlite_immediate"))


def _wait_for_bump(app: Flask, before: int) -> None:
    import time

    deadline = time.monotonic() + 10
    with get_db(app).engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute(sa.select(COUNTER.c.n)).scalar_one() > before:
                conn.rollback()
                return
            conn.rollback()
            time.sleep(0.01)


def test_a_read_session_upgrading_to_a_write_after_another_commit_is_refused_on_sqlite(
        counter_app: Flask, backend: str) -> None:
    """The race itself (SQLITE_BUSY_SNAPSHOT): a deferred transaction reads, another connection commits,
    the upgrade is refused at once — busy_timeout does not help. This is what write sessions avoid."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no snapshot upgrade to refuse (READ COMMITTED)")
    session = get_db(counter_app).session(write=False)
    try:
        with pytest.raises(OperationalError, match="database is locked") as caught:
            _read_then_write(counter_app, session, interleave=True)
        assert is_transient(caught.value)
    finally:
        session.rollback()
        session.close()


def test_a_write_session_reading_then_writing_is_never_refused(counter_app: Flask) -> None:
    session = get_db(counter_app).session(write=True)
    try:
        _read_then_write(counter_app, session, interleave=True)
    finally:
        session.close()
    _wait_for_value(counter_app, 2)  # both writes are in: ours and the other connection's


def _wait_for_value(app: Flask, value: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with get_db(app).engine.connect() as conn:
            if conn.execute(sa.select(COUNTER.c.n)).scalar_one() == value:
                return
        time.sleep(0.02)
    pytest.fail(f"counter never reached {value}")


def test_run_unit_replays_a_refused_unit_from_the_start(counter_app: Flask) -> None:
    """A read session's refused upgrade is run again as a whole and then succeeds."""
    runs = []
    session = get_db(counter_app).session(write=False)

    def unit(s: Session) -> int:
        runs.append(1)
        _read_then_write(counter_app, s, interleave=len(runs) == 1)
        return _read(s)

    try:
        with counter_app.app_context():
            final = run_unit(unit, session=session)
    finally:
        session.close()
    assert final == 2
    assert len(runs) == (2 if get_db(counter_app).engine.dialect.name == "sqlite" else 1)


def _counting_app(app: Flask) -> Flask:
    def bump() -> str:
        session = db_session()
        n = _read(session, lock=True)  # the rule: PostgreSQL read-check-writes lock their rows
        session.execute(COUNTER.update().values(n=n + 1))
        session.commit()
        return "ok"

    def fail_after_commit() -> str:
        session = db_session()
        session.execute(COUNTER.update().values(n=COUNTER.c.n + 1))
        session.commit()
        raise RuntimeError("a bug after the save")

    def fail_before_commit() -> str:
        _read(db_session())
        raise RuntimeError("a bug before the save")

    runs: list[bool] = []

    def get_that_writes() -> str:
        session = db_session()
        runs.append(_holds_write_lock(session))
        _read_then_write(app, session, interleave=len(runs) == 1)
        return ",".join(str(r) for r in runs)

    for name, view in (("bump", bump), ("after", fail_after_commit), ("before", fail_before_commit),
                       ("getwrite", get_that_writes)):
        app.add_url_rule(f"/_test/{name}", name, view, methods=["GET", "POST"])
    replay_views(app)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_concurrent_read_then_write_requests_all_succeed(counter_app: Flask) -> None:
    """16 threads post read-then-write requests at once: every one answers 200 and none is lost."""
    app = _counting_app(counter_app)
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def participant() -> None:
        client = app.test_client()
        barrier.wait()
        for _ in range(5):
            statuses.append(client.post("/_test/bump").status_code)

    threads = [threading.Thread(target=participant) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert statuses == [200] * 80
    with get_db(app).engine.connect() as conn:
        assert conn.execute(sa.select(COUNTER.c.n)).scalar_one() == 80


def test_the_500_page_tells_whether_the_last_answers_were_saved(counter_app: Flask) -> None:
    app = _counting_app(counter_app)
    client = app.test_client()
    not_saved = client.post("/_test/before")
    assert not_saved.status_code == 500
    assert b"was not saved" in not_saved.data
    assert b"Nothing you entered was lost" not in not_saved.data
    partly = client.post("/_test/after")
    assert partly.status_code == 500
    assert b"may not have been saved" in partly.data
    assert b"Nothing you entered was lost" in client.get("/_test/before").data


def test_write_sessions_are_those_of_writing_requests(counter_app: Flask) -> None:
    app = counter_app
    with app.test_request_context("/", method="GET"):
        assert not db_session().connection().get_execution_options().get("sqlite_immediate")
    with app.test_request_context("/", method="POST"):
        assert db_session().connection().get_execution_options().get("sqlite_immediate")
    with app.app_context():  # a task or a CLI command: deferred, its write units call begin_write
        assert not db_session().connection().get_execution_options().get("sqlite_immediate")
        assert "db_session" in g


def test_a_get_that_writes_is_replayed_as_a_writer(counter_app: Flask, backend: str) -> None:
    app = _counting_app(counter_app)
    resp = app.test_client().get("/_test/getwrite")
    assert resp.status_code == 200
    if backend == "sqlite":  # refused once as a reader, then run again with the write lock up front
        assert resp.get_data(as_text=True) == "False,True"
    _wait_for_value(app, 2)
