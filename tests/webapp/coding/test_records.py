"""Codings end to end into the career records: consensus (or single-coder) skill codings -> skill_events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.support.records_db import add_participant, record_rows
from tests.webapp.auth.support import sign_in_client
from tests.webapp.research import factories as rf
from webapp.coding.services import codebook, codings, consensus
from webapp.coding.services import transcripts as sources
from webapp.models import RECORD_TABLES
from workers.tasks.records import convert_batch

SIE = {"birth_year": 1992, "gender": "female", "nationality": "VNM", "education": "6", "jobs": [
    {"employer_name": "Tokyo Soft KK", "employer_employees": 40, "industry": "G", "overseas_subsidiary": "no",
     "prefecture": "13", "occupation": "2", "employment_type": "regular", "job_route": "direct_hire",
     "start": "2019-04", "ongoing": "yes", "residence_status": "eng_hum", "recognised": "yes",
     "recognised_by": ["employer_manager"], "limited": "no"}]}
TEXT = "I: How did they see your Japanese?\r\nP: 部長は私の日本語を認めてくれた 😀\n\nP: Tôi được giao việc quản lý."


def _rows(session: Session, table: str, person_id: int) -> list[dict[str, Any]]:
    t = RECORD_TABLES[table]
    return [dict(r) for r in session.execute(sa.select(t).where(t.c.participant_id == person_id)
                                             .order_by(t.c.id)).mappings()]


def test_codings_become_skill_events_and_coded_segments(app: Flask, client: FlaskClient, session: Session,
                                                       bundled_study: Any) -> None:
    study = bundled_study
    person = add_participant(session, study, "SIE-0101", "sie", ("sie_intake", SIE))
    convert_batch(session=session, participant_ids=[person.id])  # the episodes a coder chooses from
    interviewer = rf.user(session, study, "interviewer")
    lead = rf.user(session, study, "researcher")
    booking = rf.booking(session, person, interviewer, starts_at=datetime(2026, 5, 2, 9, tzinfo=UTC),
                         status="completed")
    transcript = sources.add(session=session, booking=booking, text=TEXT, name="sie.txt", language="ja",
                             user=interviewer)
    text = sources.read_text(transcript)
    codes = {c.name: c for c in codebook.codes(session=session, study=study)}
    start = text.index("部長")
    span = codings.Span(start, start + len("部長は私の日本語を認めてくれた"))
    mine = codings.apply(session=session, transcript=transcript, code=codes["recognise"], coder=interviewer,
                         span=span, actor="employer_manager", skill_domain="language", episode_no=1,
                         memo="boss recognises Japanese")
    codings.apply(session=session, transcript=transcript, code=codes["recognise"], coder=lead, span=span,
                  actor="employer_manager", skill_domain="language", episode_no=1)

    outcome = convert_batch(session=session, participant_ids=[person.id])
    assert outcome.failed == {}
    assert [e["source"] for e in _rows(session, "skill_events", person.id)] == ["intake"]
    segments = _rows(session, "coded_segments", person.id)
    assert [s["coder"] for s in segments] == [f"C{interviewer.id:03d}", f"C{lead.id:03d}"]
    assert segments[0]["quote"] == "部長は私の日本語を認めてくれた"
    assert segments[0]["memo"] == "boss recognises Japanese"

    consensus.adopt(session=session, coding=mine, lead=lead)
    convert_batch(session=session, participant_ids=[person.id])
    coded = [e for e in _rows(session, "skill_events", person.id) if e["source"] == "coding"]
    assert len(coded) == 1
    event = coded[0]
    assert (event["event"], event["actor"], event["skill_domain"], event["episode_no"], event["coder"]) == \
        ("recognise", "employer_manager", "language", 1, "consensus")
    assert (event["transcript_ref"], event["paragraph"], event["start"], event["end"]) == \
        (transcript.ref, 2, span.start, span.end)
    assert text[event["start"]:event["end"]] == "部長は私の日本語を認めてくれた"
    assert [e["source"] for e in _rows(session, "skill_events", person.id)].count("intake") == 1

    sign_in_client(app, client, lead)
    page = client.get(f"/studies/{study.slug}/participants/{person.code}").get_data(as_text=True)
    assert f'href="/studies/{study.slug}/coding/transcripts/{transcript.id}#p-2"' in page  # the event opens the passage
    link = f'/studies/{study.slug}/coding/transcripts/{transcript.id}'
    sign_in_client(app, client, interviewer)  # conducted the interview: the link, and it opens
    page = client.get(f"/studies/{study.slug}/participants/{person.code}").get_data(as_text=True)
    assert f'href="{link}#p-2"' in page
    assert client.get(link).status_code == 200
    other = rf.user(session, study, "interviewer")  # interviews them next, did not conduct this one: no link
    rf.booking(session, person, other, starts_at=datetime(2026, 6, 2, 9, tzinfo=UTC), status="confirmed")
    sign_in_client(app, client, other)
    page = client.get(f"/studies/{study.slug}/participants/{person.code}").get_data(as_text=True)
    assert "Tokyo Soft KK" in page  # the career record is shown to the assigned interviewer
    assert link not in page
    assert client.get(link).status_code == 403

    before = record_rows(session, person.id)
    convert_batch(session=session, participant_ids=[person.id])
    assert record_rows(session, person.id) == before  # deterministic rebuild

    consensus.set_single_coder(session=session, study=study, single=True)
    convert_batch(session=session, participant_ids=[person.id])
    coders = sorted(e["coder"] for e in _rows(session, "skill_events", person.id) if e["source"] == "coding")
    assert coders == sorted(["consensus", f"C{interviewer.id:03d}", f"C{lead.id:03d}"])
