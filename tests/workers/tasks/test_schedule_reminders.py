"""Reminders are sent exactly once with concurrent senders: two threads, and two real worker processes."""

from __future__ import annotations

import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, col, select

from tests.conftest import make_test_app
from tests.support.processes import celery_worker, kill_hard, wait_for, worker_env
from tests.webapp.schedule.conftest import add_interviewer, add_participant, add_type, direct_booking, plain_study
from webapp.db import db_session, get_db
from webapp.models import DeliveryAttempt, Reminder
from webapp.schedule.services.contact import ContactChoice, store_contact
from webapp.schedule.services.reminders import send_due_reminders

N = 20


def _seed(app: Flask, *, stale: int = 0) -> list[int]:
    """N bookings in 3 hours, each with a due 24 h reminder; ``stale`` of them claimed by a dead sender."""
    now = datetime.now(UTC)
    with app.app_context(), Session(get_db(app).engine) as session:
        study = plain_study(session, slug=f"rem-{uuid.uuid4().hex[:6]}", title="R")
        interviewer = add_interviewer(session, study)
        itype = add_type(session, study)
        ids = []
        for i in range(N):
            participant, _ = add_participant(session, study, code=f"SIE-{i:04d}")
            start = now + timedelta(hours=3, minutes=10 * i)
            booking = direct_booking(session, study=study, itype=itype, participant=participant,
                                     interviewer=interviewer, start=start, uid=f"b{i}-{uuid.uuid4()}",
                                     token=f"t{i}{start}")
            store_contact(
                session=session,
                participant_id=participant.id or 0,
                choice=ContactChoice(channel="email", email=f"p{i}@example.org"),
            )
            reminder = Reminder(booking_id=booking.id or 0, kind="24h", due_at=now - timedelta(minutes=1))
            if i < stale:
                reminder.status, reminder.claimed_by = "sending", "dead-worker:1"
                reminder.claimed_at, reminder.attempts = now - timedelta(minutes=6), 1
            session.add(reminder)
            session.flush()
            ids.append(reminder.id or 0)
        session.commit()
        return ids


def _sent_per_reminder(app: Flask) -> dict[int, int]:
    with Session(get_db(app).engine) as session:
        rows = session.execute(
            sa.select(col(DeliveryAttempt.reminder_id), sa.func.count())
            .where(col(DeliveryAttempt.status) == "sent")
            .group_by(col(DeliveryAttempt.reminder_id))
        ).all()
        return {int(r[0]): int(r[1]) for r in rows}


def _statuses(app: Flask, ids: list[int]) -> list[str]:
    with Session(get_db(app).engine) as session:
        return list(session.exec(select(Reminder.status).where(col(Reminder.id).in_(ids))))


def _statuses_by_id(app: Flask, ids: list[int]) -> list[str]:
    with Session(get_db(app).engine) as session:
        rows = {r.id: r.status for r in session.exec(select(Reminder).where(col(Reminder.id).in_(ids)))}
    return [rows[i] for i in ids]


def _outbox(app: Flask) -> list[Path]:
    return sorted((app.config["KEIREKI"].data_dir / "outbox").glob("*.eml"))


def test_two_concurrent_runs_send_each_reminder_once(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path)
    ids = _seed(app, stale=3)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                send_due_reminders(session=db_session(), worker=name)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"thread-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _sent_per_reminder(app) == dict.fromkeys(ids, 1)
    assert set(_statuses(app, ids)) == {"sent"}
    assert len(_outbox(app)) == N
    with Session(get_db(app).engine) as session:
        claimers = set(session.exec(select(Reminder.claimed_by).where(col(Reminder.id).in_(ids))))
    assert claimers <= {"thread-0", "thread-1"}


@pytest.mark.worker
@pytest.mark.slow
def test_two_real_workers_and_repeated_beats_send_each_reminder_once(
    fresh_database: str, broker_url: str, tmp_path: Path
) -> None:
    queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, broker_url=broker_url, queue=queue)
    ids = _seed(app, stale=4)  # four were claimed by a worker that crashed mid-send
    env = worker_env(database_url=fresh_database, broker_url=broker_url, instance_dir=tmp_path, queue=queue)
    with (
        celery_worker(env, concurrency=2, name="a", log=tmp_path / "a.log"),
        celery_worker(env, concurrency=2, name="b", log=tmp_path / "b.log"),
    ):
        with app.app_context():
            celery = app.extensions["celery"]
            for _ in range(6):  # as if two beats fired three times each
                celery.send_task("keireki.send_due_reminders")
        done = wait_for(lambda: set(_statuses(app, ids)) == {"sent"}, timeout=90)
        assert done, (tmp_path / "a.log").read_text()[-3000:] + (tmp_path / "b.log").read_text()[-3000:]
        with app.app_context():
            for _ in range(2):
                app.extensions["celery"].send_task("keireki.send_due_reminders")
        wait_for(lambda: False, timeout=2)  # let the late beats run: they must find nothing to send
    assert _sent_per_reminder(app) == dict.fromkeys(ids, 1)
    assert len(_outbox(app)) == N
    with Session(get_db(app).engine) as session:
        workers = set(session.exec(select(Reminder.claimed_by).where(col(Reminder.id).in_(ids))))
    assert "dead-worker:1" not in workers


class StallingSMTP:
    """A TCP server that accepts connections and never answers: a sender using it hangs mid-send."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.mark.worker
@pytest.mark.slow
def test_reminder_claimed_by_a_killed_worker_is_sent_once_by_another(fresh_database: str, tmp_path: Path) -> None:
    """Worker 1 claims a reminder and hangs on its mail server; it is SIGKILLed. Worker 2 sends the others
    at once and that one when its claim lease has run out, each exactly once."""
    lease = 3
    queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, queue=queue, lease_seconds=lease)
    ids = _seed(app)
    smtp = StallingSMTP()
    env = worker_env(
        database_url=fresh_database, broker_url="filesystem://", instance_dir=tmp_path, queue=queue, lease_seconds=lease
    )
    try:
        with celery_worker(
            {**env, "KEIREKI_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}"}, name="hung", log=tmp_path / "hung.log"
        ) as hung:
            with app.app_context():
                app.extensions["celery"].send_task("keireki.send_due_reminders")
            assert wait_for(lambda: "sending" in _statuses(app, ids), timeout=60), (tmp_path / "hung.log").read_text()[
                -3000:
            ]
            kill_hard(hung)
    finally:
        smtp.close()
    stuck = [i for i, s in zip(ids, _statuses_by_id(app, ids), strict=True) if s == "sending"]
    assert len(stuck) == 1
    with Session(get_db(app).engine) as session:
        hung_by = session.exec(select(Reminder.claimed_by).where(Reminder.id == stuck[0])).one()
    with celery_worker(env, name="healthy", log=tmp_path / "healthy.log"):
        done = False
        for _ in range(12):  # beats: the stuck reminder is taken over once its lease has run out
            with app.app_context():
                app.extensions["celery"].send_task("keireki.send_due_reminders")
            if wait_for(lambda: set(_statuses(app, ids)) == {"sent"}, timeout=5):
                done = True
                break
        assert done, (tmp_path / "healthy.log").read_text()[-3000:]
    assert _sent_per_reminder(app) == dict.fromkeys(ids, 1)
    assert len(_outbox(app)) == N
    with Session(get_db(app).engine) as session:
        again = session.get(Reminder, stuck[0])
        assert again is not None
        assert again.attempts == 2
        assert again.claimed_by not in (None, hung_by)
