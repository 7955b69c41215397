"""``keireki qda export`` then ``keireki qda import`` into a fresh study; a hostile file is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, col, select

from tests.webapp.coding.factories import interviewed, offsets, skill
from webapp.coding.core import qdpx
from webapp.coding.services import codings
from webapp.coding.services import transcripts as sources
from webapp.commands.qda import qda_group
from webapp.models import Coding, Transcript


def test_export_then_import_into_a_fresh_study(app: Flask, session: Session, make_study: Any,
                                               tmp_path: Path) -> None:
    setup = interviewed(session, make_study())
    text = sources.read_text(setup.transcript)
    codings.apply(session=session, transcript=setup.transcript, code=setup.codes["ascribe"], coder=setup.interviewer,
                  span=codings.Span(*offsets(text, "Vietnamese workers are only for simple tasks")),
                  **skill(actor="employer_manager", skill_domain="other"))
    fresh = make_study()
    session.commit()
    out = tmp_path / "study.qdpx"
    runner = app.test_cli_runner()
    result = runner.invoke(qda_group, ["export", "--study", setup.study.slug, "--out", str(out),
                                       "--reason", "to the NVivo team"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert qdpx.validate(archive.read("project.qde")) == []
    result = runner.invoke(qda_group, ["import", str(out), "--study", fresh.slug, "--create-missing"])
    assert result.exit_code == 0, result.output
    assert "codings: 1 imported" in result.output
    copied = session.exec(select(Coding).where(Coding.study_id == fresh.id)).one()
    assert (copied.start, copied.end, copied.actor) == (*offsets(text, "Vietnamese workers are only for simple tasks"),
                                                        "employer_manager")


def test_import_reports_unmatched_and_refuses_hostile_files(app: Flask, session: Session, make_study: Any,
                                                            tmp_path: Path) -> None:
    study = make_study()
    session.commit()
    runner = app.test_cli_runner()
    minimal = Path(__file__).parents[1] / "coding" / "data" / "minimal.qdpx"
    result = runner.invoke(qda_group, ["import", str(minimal), "--study", study.slug])
    assert result.exit_code == 0, result.output
    assert "source not matched: P001 interview 1" in result.output
    assert "code not matched: skill event" in result.output
    evil = tmp_path / "evil.qdpx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/cron.d/x", b"boom")
    evil.write_bytes(buffer.getvalue())
    result = runner.invoke(qda_group, ["import", str(evil), "--study", study.slug])
    assert result.exit_code != 0
    assert "refused, nothing changed" in result.output
    assert runner.invoke(qda_group, ["export", "--study", study.slug, "--out", str(tmp_path / "x.qdpx"),
                                     "--reason", "x"]).exit_code != 0


def test_import_of_utf16_offsets_refuses_to_guess_and_takes_the_switch(app: Flask, session: Session,
                                                                       make_study: Any, tmp_path: Path) -> None:
    from tests.webapp.coding.test_offsets import PASSAGES, nvivo_file

    study = make_study()
    session.commit()
    path = tmp_path / "nvivo.qdpx"
    path.write_bytes(nvivo_file(units=True, named=False))
    runner = app.test_cli_runner()
    result = runner.invoke(qda_group, ["import", str(path), "--study", study.slug, "--create-missing"])
    assert result.exit_code != 0
    assert "UTF-16" in result.output
    assert "--offsets utf16" in result.output
    result = runner.invoke(qda_group, ["import", str(path), "--study", study.slug, "--create-missing",
                                       "--offsets", "utf16"])
    assert result.exit_code == 0, result.output
    assert "offsets read as utf16 (asked)" in result.output
    assert f"codings: {len(PASSAGES)} imported" in result.output  # none "already imported": the refusal added none
    made = session.exec(select(Coding).where(Coding.study_id == study.id).order_by(col(Coding.start))).all()
    source = session.exec(select(Transcript).where(Transcript.study_id == study.id)).one()
    text = sources.read_text(source)
    assert [text[c.start:c.end] for c in made] == list(PASSAGES)
