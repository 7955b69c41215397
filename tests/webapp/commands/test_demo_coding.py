"""``keireki demo seed --interviewed`` also seeds transcripts in several languages and two coders' codings."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
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
    assert len(report.pairs) == 1
    assert report.pairs[0].overall.n_units > 0
    if int(found.group(3)):
        table = RECORD_TABLES["skill_events"]
        coded = session.execute(sa.select(table.c.coder).where(table.c.study_id == bundled_study.id,
                                                                table.c.source == "coding")).scalars().all()
        assert set(coded) == {"consensus"}


def _anchored(session: Session, study_id: int) -> list[tuple[Any, ...]]:
    """The study's codings as (participant, paragraph, code, coder rank, episode), checked against the records:
    every episode a coding names is one of that participant's own."""
    from webapp.models import Code, Participant

    episodes = RECORD_TABLES["episodes"]
    own: dict[int, set[int]] = {}
    for pid, number in session.execute(sa.select(episodes.c.participant_id, episodes.c.episode_no)
                                       .where(episodes.c.study_id == study_id)):
        own.setdefault(pid, set()).add(number)
    rows = session.exec(select(Coding, Transcript, Code, Participant)
                        .join(Transcript, Transcript.id == Coding.transcript_id)  # type: ignore[arg-type]
                        .join(Code, Code.id == Coding.code_id)  # type: ignore[arg-type]
                        .join(Participant, Participant.id == Transcript.participant_id)  # type: ignore[arg-type]
                        .where(Coding.study_id == study_id)).all()
    coders = sorted({c.coder_id or 0 for c, *_ in rows})
    out = []
    for coding, transcript, code, person in rows:
        if code.skill_event:
            assert coding.episode_no is not None, (person.code, coding.paragraph)
            assert coding.episode_no in own.get(transcript.participant_id or 0, set())
        out.append((person.code, coding.paragraph, code.name, coding.consensus,
                    coders.index(coding.coder_id or 0), coding.episode_no))
    return sorted(out, key=repr)


def _seed_app(url: str, instance: Path, **config: Any) -> Any:
    from tests.conftest import make_test_app
    from webapp.db import db_session
    from webapp.services.studies import load_bundled_study

    app = make_test_app(database_url=url, instance_dir=instance, **config)
    with app.app_context():
        session = db_session()
        study = load_bundled_study(session=session)
        _interviewer(session, study, name="coder-a")
        _interviewer(session, study, name="coder-b")
        session.commit()
    return app


SEED = ["seed", "--participants", "8", "--seed", "3", "--interviewed", "1"]


def test_demo_codings_name_the_episodes_the_worker_converted(backend: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """As after `make run`: the worker converts in the background; the codings wait for the records and name
    the participants' own episodes. Without a worker the demo converts them itself: the same codings. (The
    embedded broker only: the broker is not what this is about.)"""
    broker_url = "filesystem://"
    from tests.support import databases
    from tests.support.processes import celery_worker, worker_env
    from webapp.commands import demo_coding
    from webapp.commands.demo import demo_group
    from webapp.db import db_session
    from webapp.services.studies import study_by_slug

    found = {}
    for who in ("worker", "here"):
        (tmp_path / who).mkdir()
        with databases.fresh(backend, tmp_path / who) as url:
            queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
            app = _seed_app(url, tmp_path / who / "instance", broker_url=broker_url, queue=queue)
            if who == "worker":
                env = worker_env(database_url=url, broker_url=broker_url, instance_dir=tmp_path / who / "instance",
                                 queue=queue)
                with celery_worker(env, log=tmp_path / "worker.log"):
                    result = app.test_cli_runner().invoke(demo_group, SEED)
                assert re.search(r"career records of the interviewed: [1-9]\d* converted by the worker\n",
                                 result.output), result.output + (tmp_path / "worker.log").read_text()[-2000:]
            else:
                monkeypatch.setattr(demo_coding, "PATIENCE", 0.0)
                result = app.test_cli_runner().invoke(demo_group, SEED)
                assert re.search(r"0 converted by the worker, [1-9]\d* here", result.output), result.output
            assert result.exit_code == 0, result.output
            with app.app_context():
                session = db_session()
                study = study_by_slug(session=session, slug="sme-careers")
                assert study is not None
                assert study.id is not None
                found[who] = _anchored(session, study.id)
                session.close()
    assert found["worker"] == found["here"]
    assert len(found["here"]) >= 4
    assert any(episode is not None for *_rest, episode in found["here"])
