"""No double booking: 50 concurrent HTTP requests for one slot, against a database of their own.

Real HTTP through werkzeug's threaded server, one connection per request, all released at once by a
barrier. Runs on SQLite (BEGIN IMMEDIATE) and, when configured, PostgreSQL (row locks FOR UPDATE).
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, select
from werkzeug.serving import make_server

from tests.conftest import make_test_app
from tests.webapp.schedule.conftest import add_interviewer, add_participant, add_type, plain_study
from webapp.db import get_db
from webapp.models import Booking
from webapp.schedule.routes.common import SLOT_FORMAT

pytestmark = pytest.mark.slow
N = 50


def _seed(app: Any) -> tuple[str, list[str], int]:
    with Session(get_db(app).engine) as session:
        study = plain_study(session, slug="race", title="Race")
        add_interviewer(session, study)
        add_type(session, study, buffer_after_min=30, duration_min=90)
        tokens = [add_participant(session, study, code=f"SIE-{i:04d}")[1] for i in range(N)]
        session.commit()
        return study.slug, tokens, study.id or 0


def _post(port: int, path: str, data: dict[str, str]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, body=urlencode(data), headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_fifty_concurrent_bookings_of_one_slot_exactly_one_wins(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, WTF_CSRF_ENABLED=False)
    slug, tokens, study_id = _seed(app)
    page = app.test_client().get(f"/s/{slug}/p/{tokens[0]}/interview")
    slots = re.findall(r'name="slot" value="([^"]+)"', page.text)
    slot = slots[0]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    barrier = threading.Barrier(N)

    def book(token: str) -> tuple[int, str]:
        data = {
            "slot": slot,
            "tz": "Asia/Tokyo",
            "mode": "video",
            "channel": "email",
            "email": "p@example.org",
        }
        barrier.wait()
        return _post(server.port, f"/s/{slug}/p/{token}/interview?tz=Asia/Tokyo", data)

    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            results = list(pool.map(book, tokens))
    finally:
        server.shutdown()
        thread.join()
    assert Counter(status for status, _ in results) == {302: 1, 409: N - 1}
    for status, body in results:
        if status == 409:
            assert "This time was just taken" in body
            assert 'role="alert"' in body
            offered = re.findall(r'name="slot" value="([^"]+)"', body)
            assert offered, "fresh slots are offered"
            assert slot not in offered
    with Session(get_db(app).engine) as session:
        bookings = session.exec(select(Booking).where(Booking.study_id == study_id)).all()
        assert len(bookings) == 1
        (booking,) = bookings
        assert booking.starts_at.strftime(SLOT_FORMAT) == slot
        assert booking.busy_until - booking.busy_from == timedelta(minutes=120)


def test_overlapping_slot_of_another_length_is_refused_under_the_lock(fresh_database: str, tmp_path: Path) -> None:
    """A 90-minute booking at 09:00 makes 10:00 (overlapping, not equal) unavailable, checked in the write."""
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, WTF_CSRF_ENABLED=False)
    slug, tokens, study_id = _seed(app)
    client = app.test_client()
    page = client.get(f"/s/{slug}/p/{tokens[0]}/interview")
    # The picker shows one day's times: take the last day offered (today may have lost slots to the notice).
    last_day = re.findall(r'day=([0-9-]+)#times', page.text)[-1]
    page = client.get(f"/s/{slug}/p/{tokens[0]}/interview?day={last_day}")
    first, second = re.findall(r'name="slot" value="([^"]+)"', page.text)[:3:2]  # 09:00 and 10:00
    data = {"tz": "Asia/Tokyo", "mode": "video", "channel": "email", "email": "p@example.org"}
    assert client.post(f"/s/{slug}/p/{tokens[0]}/interview", data={**data, "slot": first}).status_code == 302
    late = client.post(f"/s/{slug}/p/{tokens[1]}/interview", data={**data, "slot": second})
    assert late.status_code == 409
    with Session(get_db(app).engine) as session:
        assert len(session.exec(select(Booking).where(Booking.study_id == study_id)).all()) == 1
