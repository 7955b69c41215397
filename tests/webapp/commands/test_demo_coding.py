"""``keireki demo seed --interviewed`` also seeds transcripts in several languages and two coders' codings."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from tests.webapp.commands.test_demo import _interviewer
from webapp.coding.services import agreement
from webapp.models import RECORD_TABLES, Coding, Transcript


def test_demo_seed_codes_transcripts(app: Any, session: Session, bundled_study: Any) -> None:
    _interviewer(session, bundled_study, name="coder-a")
    _interviewer(session, bundled_study, name="coder-b")
    from webapp.commands.demo import demo_group

    result = app.test_cli_runner().invoke(
        demo_group, args=["seed", "--study", bundled_study.slug, "--participants", "10", "--seed", "5",
                          "--interviewed", "1", "--inline"])
    assert result.exit_code == 0, result.output
    found = re.search(r"transcripts: (\d+); codings: (\d+) by 2 coders; consensus: (\d+)", result.output)
    assert found, result.output
    transcripts = session.exec(select(Transcript).where(Transcript.study_id == bundled_study.id)).all()
    originals = [t for t in transcripts if t.role == "original"]
    assert len(originals) == int(found.group(1)) >= 1
    assert all(t.translation_of_id for t in transcripts if t.role == "translation")
    coders = {c.coder_id for c in session.exec(select(Coding).where(Coding.study_id == bundled_study.id,
                                                                    Coding.consensus.is_(False)))}  # type: ignore[attr-defined]
    assert len(coders) == 2
    report = agreement.report(session=session, study=bundled_study)
    assert report.overall is not None
    if int(found.group(3)):
        table = RECORD_TABLES["skill_events"]
        coded = session.execute(sa.select(table.c.coder).where(table.c.study_id == bundled_study.id,
                                                                table.c.source == "coding")).scalars().all()
        assert set(coded) == {"consensus"}
