"""A withdrawal that erases research data also erases coding sources, codings and memos (and the files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from tests.webapp.coding.factories import interviewed, skill
from tests.webapp.research import factories as rf
from webapp.coding.services import codings
from webapp.coding.services import transcripts as sources
from webapp.models import Coding, Consent, Memo, Transcript
from webapp.services.withdrawal import withdraw


def test_erasing_withdrawal_removes_transcripts_and_codings(app: Flask, session: Session, make_study: Any) -> None:
    setup = interviewed(session, make_study())
    version = rf.instrument_version(session, setup.study, "consent")
    session.add(Consent(participant_id=setup.person.id, instrument_version_id=version.id, consent_version="1",
                        language="en", text_sha256="0" * 64, withdrawal_data="erase"))
    translation = sources.add(session=session, booking=setup.booking, text="I: Where?", name="en", language="en",
                              user=None, translation_of=setup.transcript)
    _, span = codings.span_of(transcript=setup.transcript, first_paragraph=2)
    codings.apply(session=session, transcript=setup.transcript, code=setup.codes["cultivate"],
                  coder=setup.interviewer, span=span, memo="a memo", **skill())
    files = [Path(app.config["KEIREKI"].data_dir) / t.path for t in (setup.transcript, translation)]
    assert all(f.exists() for f in files)
    withdraw(session=session, participant=setup.person, actor="user:x", now=rf.NOW)
    assert session.exec(select(Transcript).where(Transcript.participant_id == setup.person.id)).all() == []
    assert session.exec(select(Coding).where(Coding.study_id == setup.study.id)).all() == []
    assert session.exec(select(Memo).where(Memo.study_id == setup.study.id)).all() == []
    assert not any(f.exists() for f in files)
