"""`keireki instruments load`: checked instruments become immutable versions of a study."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

import instruments
from instruments.xlsform import write_xlsform
from webapp.cli import main
from webapp.models import InstrumentVersion


@pytest.fixture
def runner(app: Flask, session: Session) -> object:
    return app.test_cli_runner()


def _versions(session: Session, study_id: int, instrument_id: str) -> list[InstrumentVersion]:
    return list(session.exec(select(InstrumentVersion).where(
        InstrumentVersion.study_id == study_id, InstrumentVersion.instrument_id == instrument_id)).all())


def test_load_xlsform_then_refuse_changed_content(runner: object, session: Session, bundled_study: object,
                                                  tmp_path: Path) -> None:
    screening = instruments.load_bundled()["screening"]
    renamed = replace(screening, id="screening_kobo", version="1")
    form = tmp_path / "form.xlsx"
    write_xlsform(renamed, form)
    result = runner.invoke(main, ["instruments", "load", str(form), "--study", bundled_study.slug])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    assert "loaded screening_kobo version 1" in result.output
    assert len(_versions(session, bundled_study.id, "screening_kobo")) == 1  # type: ignore[attr-defined]

    again = runner.invoke(main, ["instruments", "load", str(form), "--study", bundled_study.slug])  # type: ignore[attr-defined]
    assert again.exit_code == 0, again.output
    assert len(_versions(session, bundled_study.id, "screening_kobo")) == 1  # type: ignore[attr-defined]

    changed = replace(renamed, title={**renamed.title, "en": "Another title"})
    write_xlsform(changed, form)
    refused = runner.invoke(main, ["instruments", "load", str(form), "--study", bundled_study.slug])  # type: ignore[attr-defined]
    assert refused.exit_code == 1
    assert "immutable" in refused.output
    assert len(_versions(session, bundled_study.id, "screening_kobo")) == 1  # type: ignore[attr-defined]


def test_broken_instrument_is_not_loaded(runner: object, session: Session, bundled_study: object,
                                         tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\nversion: '1'\ndefault_language: en\nlanguages: [en]\ntitle: {en: Broken}\n"
        "survey:\n  - group: p1\n    label: {en: Page}\n    children:\n"
        "      - name: q1\n        type: integer\n        label: {en: Age}\n"
        "        relevant: \"${nme} = 'x'\"\n"
    )
    result = runner.invoke(main, ["instruments", "load", str(broken), "--study", bundled_study.slug])  # type: ignore[attr-defined]
    assert result.exit_code == 1
    assert "broken.yaml" in result.output
    assert "nme" in result.output
    assert _versions(session, bundled_study.id, "broken") == []  # type: ignore[attr-defined]
