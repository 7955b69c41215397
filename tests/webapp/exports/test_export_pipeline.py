"""End to end on the bundled study: synthetic participants -> records pipeline -> bundle that
``frictionless validate`` accepts and pandas, pyreadstat and openpyxl open."""

from __future__ import annotations

import zipfile
from pathlib import Path

import frictionless
import pandas as pd
import pyreadstat
from openpyxl import load_workbook

from tests.conftest import make_test_app
from webapp.commands.demo import seed
from webapp.db import db_session
from webapp.exports import services
from webapp.models import utcnow
from webapp.services.studies import load_bundled_study
from workers.tasks.records import convert_batch


def test_bundle_of_the_bundled_study(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        session = db_session()
        study = load_bundled_study(session=session)
        session.commit()
        outcome = seed(session=session, study=study, participants=8, seed=3, now=utcnow())
        session.commit()
        done = convert_batch(session=session, participant_ids=outcome.participant_ids)
        assert len(done.converted) == 8
        result = services.build_study_bundle(session=session, study=study, out_dir=tmp_path / "out",
                                            request=services.ExportRequest())
    target = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as zf:
        zf.extractall(target)
    report = frictionless.validate(str(target / "datapackage.json"))
    errors = [(t.name, e) for t in report.tasks for e in t.flatten(["type", "note", "rowNumber", "cells"])]
    assert report.valid, errors[:5]
    episodes = pd.read_csv(target / "episodes.csv", keep_default_na=False, na_values=[""])
    assert len(episodes) == result.counts["episodes"] > 8
    assert pd.read_parquet(target / "episodes.parquet")["episode_no"].tolist() == episodes["episode_no"].tolist()
    frame, meta = pyreadstat.read_dta(str(target / "episodes.dta"))
    assert len(frame) == len(episodes)
    assert meta.variable_value_labels["kind"][1]
    frame, meta = pyreadstat.read_sav(str(target / "participants.sav"))
    assert sorted(frame["participant_code"]) == sorted(pd.read_csv(target / "participants.csv")["participant_code"])
    sts = pd.read_csv(target / "sequences_sts.csv", keep_default_na=False)
    assert set(sts.columns[1:].str.match(r"m\d{3}")) == {True}
    book = load_workbook(target / "tables.xlsx", read_only=True)
    assert book["episodes"].max_row == len(episodes) + 1
    book.close()
