"""Golden tests of the bundled study: every instrument loads, passes the checker, is fully translated,
round-trips through XLSForm and matches its golden canonical form.

Regenerate the golden files after a deliberate change with ``KEIREKI_UPDATE_GOLDEN=1 pytest ...``
(and bump the instrument's version: a loaded version is immutable).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from instruments import bundled_paths, load, load_bundled, load_study, to_dict
from instruments.checker import check_paths, check_study
from instruments.xlsform import read_xlsform, write_xlsform

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KEIREKI_UPDATE_GOLDEN") == "1"
PATHS = bundled_paths()


def _ids(path: Path) -> str:
    return path.stem


def test_the_study_has_its_instruments() -> None:
    study = load_study()
    assert len(study.languages) == 10
    instruments = load_bundled()
    assert check_study(study, instruments) == []
    for step in ("screening", "consent", "debrief"):
        assert study.instrument_for(step) in instruments
    for kind in ("ti", "sie", "manager"):
        assert study.instrument_for("intake", kind) in instruments


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_checker_finds_no_error(path: Path) -> None:
    report = check_paths([path])
    assert [str(f) for f in report.errors] == []


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_participant_facing_instruments_are_fully_translated(path: Path) -> None:
    instrument = load(path)
    report = check_paths([path])
    if instrument.settings.get("audience") == "researcher":
        assert report.coverage[instrument.id][instrument.default_language] == 100.0
        return
    study = load_study()
    assert {lang: report.coverage[instrument.id].get(lang) for lang in study.languages} == {
        lang: 100.0 for lang in study.languages}


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_xlsform_round_trip(path: Path, tmp_path: Path) -> None:
    instrument = load(path)
    write_xlsform(instrument, tmp_path / "form.xlsx")
    assert to_dict(read_xlsform(tmp_path / "form.xlsx")) == to_dict(instrument)


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_golden_canonical_form(path: Path) -> None:
    instrument = load(path)
    golden = GOLDEN / f"{instrument.id}.json"
    current = to_dict(instrument)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(json.dumps(current, ensure_ascii=False, sort_keys=True, indent=1) + "\n",
                          encoding="utf-8")
    assert golden.is_file(), f"no golden file for {instrument.id}: run with KEIREKI_UPDATE_GOLDEN=1"
    assert json.loads(golden.read_text(encoding="utf-8")) == current, (
        f"{instrument.id} {instrument.version} changed: bump its version and regenerate the golden file")
