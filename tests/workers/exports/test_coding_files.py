"""The coding's CSV files are described like every table: typed in datapackage.json (frictionless validates
them) and documented column by column in codebook.md / codebook.html, the study's codes with a label in every
study language."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import frictionless
import pytest

from tests.workers.exports.test_writers import DATA, META, source
from workers.exports import BundleOptions, build_bundle
from workers.exports.coding import TABLES, coding_files

CODES = [("recognise", None, "Recognise", "An actor acknowledges a skill.", True, 3),
         ("mentoring", "recognise", "Mentoring", "Someone shows the way | step by step", False, 3)]
LABELS = [("mentoring", "en", "Mentoring"), ("mentoring", "ja", "指導"), ("recognise", "en", "Recognise")]
AGREEMENT = [("C001", "C002", 3, "recognise", 12, 2, 0.5, 0.48, 0.3333333333333333),
             ("C001", "C002", 3, "mentoring", 12, 2, None, None, None),
             ("C001", "C002", 3, "_overall", 24, 2, 0.61, 0.6, 0.5),
             ("C001", "X-ana", 1, "recognise", 4, 2, None, None, None),
             ("C001", "X-ana", 1, "_overall", 8, 2, 1.0, 1.0, 1.0)]
SEGMENTS = [("S-1", "TI-0002", "TR-0001", "ja", 2, 10, 24, "mentoring", "C002", 1, "先輩が溶接を教えてくれました 🔧",
             "=1+1 memo")]


def _bundle(tmp_path: Path, *, with_pii: bool) -> zipfile.ZipFile:
    files = coding_files(codes=CODES, labels=LABELS, agreement=AGREEMENT, segments=SEGMENTS if with_pii else None,
                         qdpx=b"PK" if with_pii else None, study=META.study)
    result = build_bundle(rows=source(DATA), meta=META, out_dir=tmp_path / "out",
                          options=BundleOptions(with_pii=with_pii), extra=lambda: files)
    return zipfile.ZipFile(result.path)


@pytest.mark.parametrize("with_pii", [False, True])
def test_coding_files_are_typed_resources_and_validate(tmp_path: Path, with_pii: bool) -> None:
    zf = _bundle(tmp_path, with_pii=with_pii)
    zf.extractall(tmp_path / "bundle")
    report = frictionless.validate(str(tmp_path / "bundle" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    resources = {r["name"]: r for r in json.loads(zf.read("datapackage.json"))["resources"]}
    codes = {f["name"]: f for f in resources["codes"]["schema"]["fields"]}
    assert codes["is_skill_event"]["type"] == "boolean"
    assert codes["codebook_version"]["type"] == "integer"
    assert resources["codes_labels"]["schema"]["primaryKey"] == ["code", "language"]
    assert {f["name"]: f["type"] for f in resources["agreement_by_code"]["schema"]["fields"]}["kappa"] == "number"
    assert ("coded_segments" in resources) == with_pii


def _sections(markdown: str) -> dict[str, str]:
    parts = re.split(r"^## ", markdown, flags=re.M)
    return {p.split(" ", 1)[0].strip(): p for p in parts[1:]}


def test_codebook_documents_every_column_of_the_coding_files(tmp_path: Path) -> None:
    zf = _bundle(tmp_path, with_pii=True)
    markdown = zf.read("codebook.md").decode()
    html = zf.read("codebook.html").decode()
    sections = _sections(markdown)
    for name in ("codes", "codes_labels", "agreement_by_code", "coded_segments"):
        header = next(csv.reader(io.StringIO(zf.read(f"{name}.csv").decode())))
        table = TABLES[name]
        assert list(table.column_names) == header
        section = sections[name]
        for column in table.columns:
            assert len(column.name) <= 32
            assert 0 < len(column.label) <= 80
            assert f"| {column.name} | " in section, (name, column.name)
            assert column.label in section
            assert f"<td>{column.name}</td>" in html
        assert f'<h2 id="{name}">' in html
    assert "personal data" in sections["coded_segments"]
    # The study's codes: every study language, own labels first, built-in codes from the skill_event list.
    study = sections["Study"]
    assert "| Code | Parent | en | ja | vi | Description |" in study
    assert "| mentoring | recognise | Mentoring | 指導 | Mentoring | Someone shows the way \\| step by step |" in study
    assert "認めた（スキルを評価した）" in study  # recognise in Japanese, from the skill_event code list
    assert "Công nhận" in study
    assert '<h3 id="study-codes">' in html
    assert "<td>指導</td>" in html


def test_a_file_another_area_adds_without_a_description_is_still_listed(tmp_path: Path) -> None:
    result = build_bundle(rows=source(DATA), meta=META, out_dir=tmp_path / "out",
                          extra=lambda: {"notes_by_week.csv": b"week,n\r\n1,3\r\n"})
    zf = zipfile.ZipFile(result.path)
    assert "| week | text | week |" in _sections(zf.read("codebook.md").decode())["notes_by_week"]
    assert "Study codes" not in zf.read("codebook.md").decode()
