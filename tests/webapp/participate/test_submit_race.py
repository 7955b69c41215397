"""Two submits at the same moment (a double tap on two connections) store one response."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlmodel import select

from tests.conftest import make_test_app
from tests.webapp.participate.journey import STUDY, Journey
from tests.webapp.participate.test_flow import complete_intake
from webapp.db import db_session, get_db
from webapp.models import Draft, Job, Participant, Response, utcnow
from webapp.services import responses
from webapp.services.studies import load_bundled_study


def test_simultaneous_submits_store_one_response(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        study = load_bundled_study(session=db_session())
    journey = Journey(app.test_client())
    journey.screen("ti")
    journey.consent()
    reader = get_db(app).session()
    try:
        with app.app_context():
            person = complete_intake(journey, reader, study, jobs=1)
    finally:
        reader.close()

    barrier = threading.Barrier(2)
    results: list[Any] = []

    def submit() -> None:
        with app.app_context():
            session = db_session()
            participant = session.get(Participant, person.id)
            draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).one()
            barrier.wait()
            try:
                results.append(
                    responses.submit_response(
                        session=session, participant=participant, draft=draft, now=utcnow()
                    ).id
                )
            except Exception as exc:  # reported by the assertion below
                results.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    with app.app_context():
        session = db_session()
        assert len(session.exec(select(Response).where(Response.participant_id == person.id)).all()) == 1
        assert len(session.exec(select(Job).where(Job.kind == "convert")).all()) == 1
        assert session.get(Participant, person.id).status == "submitted"
    assert journey.get(f"/s/{STUDY}/thanks").status_code == 200


def test_a_broker_outage_does_not_fail_the_submission(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(
        database_url=fresh_database, instance_dir=tmp_path / "instance", broker_url="redis://127.0.0.1:1/0"
    )
    with app.app_context():
        study = load_bundled_study(session=db_session())
    journey = Journey(app.test_client())
    journey.screen("sie")
    journey.consent()
    reader = get_db(app).session()
    try:
        with app.app_context():
            person = complete_intake(journey, reader, study, jobs=1)
    finally:
        reader.close()
    response = journey.post(f"/s/{STUDY}/submit", {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/thanks")
    with app.app_context():
        session = db_session()
        assert session.exec(select(Response).where(Response.participant_id == person.id)).one()
        job = session.exec(select(Job).where(Job.kind == "convert")).one()
        assert job.status == "queued"  # beat's sweeper sends it when the broker is back
        assert job.params["participant_id"] == person.id
