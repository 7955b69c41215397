"""Khmer and Thai answers survive every export format byte for byte: no spaces between words, stacked
Khmer subscripts (coeng U+17D2), Thai tone marks, the zero-width space Thai writers put as a word-break
hint, and strings longer than 255 bytes in UTF-8 (SPSS/Stata long strings)."""

from __future__ import annotations

import copy
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
from openpyxl import load_workbook

from tests.conftest import make_test_app
from tests.webapp.exports.conftest import insert_records
from tests.workers.exports.test_writers import DATA
from webapp.db import db_session
from webapp.exports import services
from webapp.models import Study

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KHMER = "ខ្ញុំធ្វើការនៅរោងចក្រកែច្នៃម្ហូបអាហារ ហើយរៀនផ្សារដែកពីមិត្តរួមការងារ"
THAI = "ฉันทำงานโรงงานแปรรูปอาหาร\u200bและเรียนงานเชื่อมจากเพื่อนร่วมงาน"
LONG = KHMER * 4 + THAI * 3  # ~1,000 bytes in UTF-8


def _data() -> dict[str, list[dict[str, Any]]]:
    data = copy.deepcopy(DATA)
    first = data["episodes"][0]
    data["episodes"] = [
        {**first, "episode_no": 1, "job_title": KHMER, "reason_left": THAI},
        {**first, "episode_no": 2, "job_title": THAI, "reason_left": LONG},
    ]
    for row in data["participants"]:
        row["form_language"] = "km" if row["participant_code"] == first["participant_code"] else "th"
    return data


def _episodes_of(first_code: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    rows = frame[frame["participant_code"] == first_code].sort_values("episode_no")
    return list(zip(rows["job_title"], rows["reason_left"], strict=True))


def test_khmer_and_thai_answers_survive_csv_xlsx_parquet_sav_and_dta(fresh_database: str, tmp_path: Path) -> None:
    data = _data()
    code = data["episodes"][0]["participant_code"]
    expected = [(KHMER, THAI), (THAI, LONG)]
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        session = db_session()
        study = Study(slug="km-th", title={"en": "Khmer and Thai", "km": "ខ្មែរ", "th": "ไทย"},
                      default_language="en", languages=["en", "km", "th"], quotas={}, steps={},
                      pseudonym_key="k" * 32)
        session.add(study)
        session.flush()
        insert_records(session, study, data)
        session.commit()
        result = services.build_study_bundle(
            session=session, study=study, out_dir=tmp_path / "out", now=NOW,
            request=services.ExportRequest(with_pii=True, reason="check Khmer and Thai text in exports"))
    target = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as zf:
        zf.extractall(target)

    assert _episodes_of(code, pd.read_csv(target / "episodes.csv", keep_default_na=False)) == expected
    assert _episodes_of(code, pd.read_parquet(target / "episodes.parquet")) == expected
    for reader, suffix in ((pyreadstat.read_sav, "sav"), (pyreadstat.read_dta, "dta")):
        frame, _meta = reader(str(target / f"episodes.{suffix}"))
        assert _episodes_of(code, frame) == expected, suffix
    book = load_workbook(target / "tables.xlsx", read_only=True)
    rows = list(book["episodes"].iter_rows(values_only=True))
    book.close()
    assert _episodes_of(code, pd.DataFrame(rows[1:], columns=rows[0])) == expected
