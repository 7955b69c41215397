"""One bundle, one snapshot: records changed while a bundle is written do not reach it (both backends);
and the PostgreSQL path (COPY parsed by Arrow) writes the same bytes as the SQLite path (row tuples)."""

from __future__ import annotations

import copy
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
import sqlalchemy as sa

from tests.conftest import make_test_app
from tests.support import databases
from tests.webapp.exports.conftest import insert_records
from tests.workers.exports.test_writers import DATA
from webapp.db import db_session, get_db
from webapp.exports import services
from webapp.models import Job, Study
from workers import jobs

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _study(session: Any, slug: str) -> Study:
    study = Study(slug=slug, title={"en": "Snapshot study"}, default_language="en", languages=["en", "ja"],
                  quotas={}, steps={}, pseudonym_key="k" * 32)
    session.add(study)
    session.flush()
    return study


def _csv(zf: zipfile.ZipFile, name: str) -> list[str]:
    return zf.read(name).decode().splitlines()


def test_bundle_reads_one_snapshot_while_records_change(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        session = db_session()
        study = _study(session, "snap")
        insert_records(session, study)
        job = Job(kind="export", study_id=study.id, params={"task": services.EXPORT_TASK})
        session.add(job)
        session.commit()
        engine = get_db(app).engine
        seen: dict[str, Any] = {}

        def progress(done: int, total: int) -> None:
            # The job's progress commits on the session while the bundle's snapshot is open...
            jobs.heartbeat(session=session, job=job, done=done, total=total)
            if done == 1:  # participants written; every other table still to be read
                # ...and another connection changes the records meanwhile (committed at once, not blocked).
                with engine.begin() as other:
                    other.execute(sa.text("DELETE FROM rec_episodes WHERE participant_code = 'TI-0002'"))
                    other.execute(sa.text("UPDATE rec_sequences_spell SET status = 'unemployed'"))
                    other.execute(sa.text("UPDATE rec_sequences_sts SET states = 'unemployed'"))
                    other.execute(sa.text("DELETE FROM rec_transitions"))
            if done == 2:
                with engine.connect() as other:
                    seen["episodes_now"] = other.execute(sa.text("SELECT count(*) FROM rec_episodes")).scalar_one()
                    seen["job_done"] = other.execute(sa.text("SELECT done FROM job WHERE id = :id"),
                                                     {"id": job.id}).scalar_one()

        result = services.build_study_bundle(session=session, study=study, out_dir=tmp_path / "out",
                                            request=services.ExportRequest(), now=NOW, progress=progress)
    assert seen == {"episodes_now": 1, "job_done": 2}  # the change was committed; heartbeats were too
    zf = zipfile.ZipFile(result.path)
    episodes = _csv(zf, "episodes.csv")[1:]
    assert [line.split(",")[0] for line in episodes] == ['"SIE-0001"', '"TI-0002"', '"TI-0002"', '"TI-0002"']
    assert len(_csv(zf, "transitions.csv")) == 3
    assert "ti" in {line.split(",")[3].strip('"') for line in _csv(zf, "sequences_spell.csv")[1:]}
    assert _csv(zf, "sequences_sts.csv")[2].startswith("TI-0002,home_work,home_work,ti,ti,ssw")
    assert result.counts["episodes"] == 4
    assert result.counts["transitions"] == 2
    (tmp_path / "episodes.dta").write_bytes(zf.read("episodes.dta"))  # SPSS/Stata files: the same snapshot
    frame, _meta = pyreadstat.read_dta(str(tmp_path / "episodes.dta"))
    assert list(frame["participant_code"]) == ["SIE-0001", "TI-0002", "TI-0002", "TI-0002"]


#: Values where the two paths could part: NULL vs empty text, text needing quotes or neutralising, floats
#: without a short decimal form, times with and without microseconds, big and negative numbers.
def _edge_data() -> dict[str, list[dict[str, Any]]]:
    data = copy.deepcopy(DATA)
    edge = {**data["participants"][0], "participant_code": "ZZ-0003", "recruitment_channel": "",
            "consented_at": datetime(2026, 4, 2, 9, 30, 0, 123456, tzinfo=UTC), "years_in_japan": 0.1,
            "birth_year": -2_000_000_000, "n_episodes": None, "interview_date": None, "gender": None,
            "instrument_versions": 'say "hi", then\nleave\r\n=1+1', "nationality": "ベトナム"}
    data["participants"].append(edge)
    data["participants"].append({**edge, "participant_code": "ZZ-0004", "recruitment_channel": None,
                                 "consented_at": None, "years_in_japan": 1 / 3, "birth_year": 2_000_000_000})
    data["episodes"].append({**data["episodes"][0], "participant_code": "ZZ-0003", "job_title": "",
                             "reason_left": "line one\nline two, \"quoted\"", "ongoing": None, "end_month": None})
    data["sequences_sts"].append({"participant_code": "ZZ-0003", "first_month": 1400, "states": ",ti,,ssw,"})
    data["sequences_sts"].append({"participant_code": "ZZ-0004", "first_month": None, "states": None})
    data["participants"].append({**edge, "participant_code": 'ZZ,"5'})  # a code the csv module must quote
    data["sequences_sts"].append({"participant_code": 'ZZ,"5', "first_month": 1400, "states": "ti"})
    return data


@pytest.mark.skipif(not os.environ.get("KEIREKI_TEST_DATABASE_URL"), reason="needs PostgreSQL")
@pytest.mark.parametrize("with_pii", [False, True])
def test_postgresql_and_sqlite_bundles_are_byte_identical(tmp_path: Path, with_pii: bool) -> None:
    data = _edge_data()
    request = services.ExportRequest(with_pii=with_pii, reason="re-contact for wave 2" if with_pii else "")
    zips: dict[str, zipfile.ZipFile] = {}
    for backend in ("sqlite", "postgresql"):
        with databases.fresh(backend, tmp_path) as url:
            app = make_test_app(database_url=url, instance_dir=tmp_path / backend)
            with app.app_context():
                session = db_session()
                study = _study(session, "same")
                insert_records(session, study, data)
                session.commit()
                result = services.build_study_bundle(session=session, study=study, out_dir=tmp_path / backend,
                                                    request=request, now=NOW)
                session.close()
            get_db(app).engine.dispose()
        zips[backend] = zipfile.ZipFile(result.path)
    lite, pg = zips["sqlite"], zips["postgresql"]
    assert lite.namelist() == pg.namelist()
    assert {"participants.csv", "participants.parquet", "participants.sav", "episodes.dta", "tables.xlsx",
            "sequences_sts.csv"} <= set(pg.namelist())
    for name in lite.namelist():
        assert lite.read(name) == pg.read(name), name
    people = lite.read("participants.csv").decode()
    assert '"ZZ-0003","same","ti","vi","",' in people  # empty text stays an empty quoted string
    assert '"ZZ-0004","same","ti","vi",,' in people  # missing stays empty
    assert "2026-04-02T09:30:00.123456Z" in people
    assert "0.3333333333333333" in people
    sts = lite.read("sequences_sts.csv").decode().splitlines()
    assert sts[-3:] == ['"ZZ,""5",ti,%,%,%,%', "ZZ-0003,ti,ssw,%,%,%", "ZZ-0004,%,%,%,%,%"]  # byte order
