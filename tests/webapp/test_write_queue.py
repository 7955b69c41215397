"""SQLite's write lock, queued in the process (webapp/db.py ``WriteQueue``), and the timings a request
reports (``Server-Timing``, the ``keireki.timing`` log). Real SQLite files, real threads; no mocks."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from tests.conftest import make_test_app
from tests.webapp.participate.journey import Journey
from webapp import db
from webapp.db import WriteQueue, db_session, is_transient, make_engine
from webapp.services.studies import load_bundled_study


def test_the_queue_hands_the_lock_over_in_arrival_order() -> None:
    queue = WriteQueue()
    assert queue.acquire(1)
    order: list[int] = []
    arrived = []
    threads = []
    for n in range(5):
        came = threading.Event()

        def writer(n: int = n, came: threading.Event = came) -> None:
            came.set()
            assert queue.acquire(10)
            order.append(n)
            queue.release()

        thread = threading.Thread(target=writer)
        thread.start()
        came.wait()
        _wait_for_waiters(queue, n + 1)
        arrived.append(n)
        threads.append(thread)
    queue.release()
    for thread in threads:
        thread.join(10)
    assert order == arrived == [0, 1, 2, 3, 4]


def _wait_for_waiters(queue: WriteQueue, n: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while len(queue._waiters) < n:  # noqa: SLF001 - the test watches the queue fill up
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_a_writer_that_waits_too_long_leaves_the_queue_usable() -> None:
    queue = WriteQueue()
    assert queue.acquire(1)
    assert not queue.acquire(0.05)  # held: the wait runs out
    queue.release()
    assert queue.acquire(0.05)  # the timed-out waiter left no turn behind
    queue.release()


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield engine
    engine.dispose()


def _writer(engine: sa.Engine) -> sa.Connection:
    conn = engine.connect().execution_options(sqlite_immediate=True)
    conn.begin()
    return conn


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_queue_is_released_however_a_write_transaction_ends(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, end: str) -> None:
    monkeypatch.setattr(db, "LOCK_TIMEOUT", 0.2)
    first = _writer(engine)
    first.exec_driver_sql("INSERT INTO t VALUES (1)")
    getattr(first, end)()
    if end != "close":
        first.close()
    second = _writer(engine)  # would wait out LOCK_TIMEOUT and fail if the first had kept its turn
    second.exec_driver_sql("INSERT INTO t VALUES (2)")
    second.commit()
    second.close()


def test_a_second_writer_of_the_process_waits_its_turn_and_counts_as_busy_when_it_runs_out(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "LOCK_TIMEOUT", 0.1)
    first = _writer(engine)
    try:
        with pytest.raises(OperationalError, match="database is locked") as caught:
            _writer(engine)
        assert is_transient(caught.value)  # so the request or task is replayed, not a 500
    finally:
        first.rollback()
        first.close()


def test_writers_of_one_process_write_one_after_the_other(engine: sa.Engine) -> None:
    """Eight threads read-then-write a counter with the lock up front: no update is lost."""
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (0)")

    def bump() -> None:
        for _ in range(20):
            conn = _writer(engine)
            n = conn.exec_driver_sql("SELECT n FROM t").scalar_one()
            conn.exec_driver_sql(f"UPDATE t SET n = {n + 1}")
            conn.commit()
            conn.close()

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM t").scalar_one() == 160


def _timings(header: str) -> dict[str, float]:
    out = {}
    for part in header.split(","):
        name, _, value = part.strip().partition(";dur=")
        out[name] = float(value)
    return out


def test_a_request_reports_where_its_time_went(fresh_database: str, tmp_path: Path, backend: str) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        load_bundled_study(session=db_session())
    journey = Journey(app.test_client())
    page = journey.get("/s/sme-careers/screening")
    assert set(_timings(page.headers["Server-Timing"])) == {"app"}  # a GET: no write lock, no hash
    screened = journey.screen("ti")
    assert screened.status_code == 302
    timings = _timings(screened.headers["Server-Timing"])
    assert timings["hash"] > 0  # the resume code's argon2
    assert timings["app"] >= timings["hash"]
    if backend == "sqlite":
        assert {"lock", "write"} <= set(timings)


def test_slow_requests_are_logged_with_their_timings_and_production_sends_no_header(
        fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(db, "SLOW_REQUEST", 0.0)
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with caplog.at_level(logging.WARNING, logger="keireki.timing"):
        assert "app;dur=" in app.test_client().get("/auth/signin").headers["Server-Timing"]
    assert any(r.getMessage().startswith("slow request GET /auth/signin: app ") for r in caplog.records)
    app.config["KEIREKI"] = dataclasses.replace(app.config["KEIREKI"], env="production")
    assert "Server-Timing" not in app.test_client().get("/auth/signin").headers


def test_a_forked_child_starts_with_the_queue_free(engine: sa.Engine) -> None:
    """Celery's prefork pool forks the worker: a turn held by the parent at the fork is not the child's."""
    import multiprocessing

    first = _writer(engine)  # the parent holds the queue (and SQLite's lock)
    try:
        queue = db._queue_for(engine.url.database or "")  # noqa: SLF001
        child = multiprocessing.get_context("fork").Process(target=_take_and_exit, args=(queue,))
        child.start()
        child.join(30)
        assert child.exitcode == 0
    finally:
        first.rollback()
        first.close()


def _take_and_exit(queue: WriteQueue) -> None:
    import os

    os._exit(0 if queue.acquire(0.5) else 1)  # noqa: SLF001
