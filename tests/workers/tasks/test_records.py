"""The conversion service in the database: one transaction, idempotent, failures marked on the response."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from tests.support.records_db import add_participant, record_rows
from workers.records import PIPELINE_VERSION
from workers.store.records import participant_ids
from workers.tasks.records import convert_batch

SIE_JOB = {"employer_name": "Tokyo Soft KK", "employer_employees": 40, "industry": "G",
           "overseas_subsidiary": "no", "prefecture": "13", "occupation": "2", "employment_type": "regular",
           "job_route": "direct_hire", "start": "2019-04", "ongoing": "yes", "residence_status": "eng_hum",
           "recognised": "yes", "recognised_by": ["employer_manager", "coworkers"], "limited": "no"}
SIE = {"birth_year": 1992, "gender": "female", "nationality": "VNM", "education": "6", "jobs": [SIE_JOB]}


def test_convert_writes_every_table_and_marks_responses(session: Session, bundled_study: Any) -> None:
    from webapp.models import Response

    person = add_participant(session, bundled_study, "SIE-0001", "sie", ("sie_intake", SIE))
    outcome = convert_batch(session=session, participant_ids=[person.id])
    assert outcome.converted == [person.id]
    assert outcome.failed == {}
    rows = record_rows(session, person.id)
    assert len(rows["participants"]) == 1
    assert len(rows["episodes"]) == 1
    assert len(rows["skill_events"]) == 2
    assert rows["sequences_sts"][0][0] == "SIE-0001"
    assert rows["sequences_sts"][0][2].split(",")[0] == "eng_hum"
    participant = rows["participants"][0]
    assert participant[0] == "SIE-0001"
    assert participant[-1] == PIPELINE_VERSION
    response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
    assert (response.status, response.pipeline_version) == ("converted", PIPELINE_VERSION)
    assert response.error is None


def test_converting_twice_gives_identical_rows(session: Session, bundled_study: Any) -> None:
    first = add_participant(session, bundled_study, "SIE-0002", "sie", ("sie_intake", SIE))
    second = add_participant(session, bundled_study, "SIE-0003", "sie",
                             ("sie_intake", {**SIE, "jobs": [SIE_JOB, {**SIE_JOB, "start": "2017"}]}))
    convert_batch(session=session, participant_ids=[first.id, second.id])
    before = record_rows(session)
    convert_batch(session=session, participant_ids=[second.id, first.id, first.id])
    assert record_rows(session) == before
    assert sum(len(v) for v in before.values()) > 10


def test_a_failing_conversion_marks_the_latest_response_and_spares_the_batch(
        session: Session, bundled_study: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.models import Response
    from workers.tasks import records as tasks

    good = add_participant(session, bundled_study, "SIE-0004", "sie", ("sie_intake", SIE))
    bad = add_participant(session, bundled_study, "SIE-0005", "sie", ("sie_intake", SIE))
    convert_batch(session=session, participant_ids=[bad.id])
    kept = record_rows(session, bad.id)
    real = tasks.build_records

    def explode(**kw: Any) -> Any:
        if kw["participant"].participant_code == "SIE-0005":
            raise ValueError("cannot read this")
        return real(**kw)

    monkeypatch.setattr(tasks, "build_records", explode)
    outcome = convert_batch(session=session, participant_ids=[good.id, bad.id])
    assert outcome.converted == [good.id]
    assert outcome.failed == {bad.id: "ValueError: cannot read this"}
    response = session.exec(select(Response).where(Response.participant_id == bad.id)).one()
    assert (response.status, response.error) == ("failed", "ValueError: cannot read this")
    assert record_rows(session, bad.id) == kept          # the earlier records stay until a fix and rebuild
    assert len(record_rows(session, good.id)["episodes"]) == 1


def test_unknown_participants_are_listed_as_missing(session: Session, bundled_study: Any) -> None:
    person = add_participant(session, bundled_study, "SIE-0006", "sie", ("sie_intake", SIE))
    assert person.id in participant_ids(session=session, study_id=bundled_study.id)
    outcome = convert_batch(session=session, participant_ids=[person.id, 10_000_000])
    assert outcome.missing == [10_000_000]


def test_tasks_are_safe_to_redeliver() -> None:
    from workers.tasks import records as tasks

    for task in (tasks.convert_participant, tasks.rebuild):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True



def test_a_database_error_releases_the_job_for_the_retry(session: Session, bundled_study: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from webapp.models import Job
    from workers import jobs
    from workers.tasks import records as tasks

    person = add_participant(session, bundled_study, "SIE-0007", "sie", ("sie_intake", SIE))
    job = Job(kind="convert", params={"participant_id": person.id, "task": jobs.CONVERT_TASK})
    session.add(job)
    session.commit()

    def database_busy(**_: Any) -> Any:
        raise OperationalError("UPDATE response", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(tasks, "convert_batch", database_busy)
    with pytest.raises(OperationalError):  # called directly, Celery's retry re-raises the error
        tasks.convert_participant(job.id)
    session.refresh(job)
    assert (job.status, job.attempts) == ("queued", 1)       # the retried message can claim it at once
    assert "database is locked" in (job.error or "")
    monkeypatch.undo()
    tasks.convert_participant(job.id)
    session.refresh(job)
    assert (job.status, job.attempts, job.result["converted"], job.error) == ("done", 2, 1, None)
    assert len(record_rows(session, person.id)["participants"]) == 1


def test_an_error_that_is_not_passing_fails_the_job_and_says_why(session: Session, bundled_study: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.models import Job
    from workers import jobs
    from workers.tasks import records as tasks

    person = add_participant(session, bundled_study, "SIE-0008", "sie", ("sie_intake", SIE))
    job = Job(kind="convert", params={"participant_id": person.id, "task": jobs.CONVERT_TASK})
    session.add(job)
    session.commit()

    def bug(**_: Any) -> Any:
        raise KeyError("no such column")

    monkeypatch.setattr(tasks, "convert_batch", bug)
    tasks.convert_participant(job.id)
    session.refresh(job)
    assert job.status == "failed"
    assert job.error == "KeyError: 'no such column'"


def test_a_withdrawn_participant_whose_data_was_erased_gets_no_records(session: Session,
                                                                       bundled_study: Any) -> None:
    import sqlalchemy as sa

    from webapp.models import Response

    person = add_participant(session, bundled_study, "SIE-0008", "sie", ("sie_intake", SIE))
    convert_batch(session=session, participant_ids=[person.id])
    assert len(record_rows(session, person.id)["participants"]) == 1
    person.status = "withdrawn"
    session.add(person)
    session.execute(sa.delete(Response).where(Response.participant_id == person.id))
    session.commit()
    convert_batch(session=session, participant_ids=[person.id])
    assert all(rows == [] for rows in record_rows(session, person.id).values())
