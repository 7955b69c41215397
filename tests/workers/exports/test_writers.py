"""The pure export writers, with plain rows: every file of the bundle, its labels and its determinism."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from openpyxl import load_workbook

from instruments.contract import TABLES
from workers.exports import BundleMeta, BundleOptions, ExportTable, build_bundle, export_tables
from workers.exports.cells import as_text, neutralise

CONSENTED = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)

PARTICIPANTS: list[dict[str, Any]] = [
    {
        "participant_code": "TI-0002",
        "study": "demo",
        "participant_type": "ti",
        "form_language": "vi",
        "recruitment_channel": "=cmd|' /C calc'!A0",
        "consent_version": "1",
        "consented_at": CONSENTED,
        "status": "submitted",
        "nationality": "VNM",
        "gender": "female",
        "birth_year": 1998,
        "education_level": "3",
        "japanese_level": "n3",
        "first_arrival_ym": "2019-04",
        "current_residence_status": "ssw_1",
        "years_in_japan": 6.5,
        "n_employers_japan": 2,
        "n_episodes": 3,
        "interview_date": None,
        "instrument_versions": "ti_intake 1.0",
        "pipeline_version": "1.0.0",
    },
    {
        "participant_code": "SIE-0001",
        "study": "demo",
        "participant_type": "sie",
        "form_language": "en",
        "recruitment_channel": "fb",
        "consent_version": "1",
        "consented_at": CONSENTED,
        "status": "interviewed",
        "nationality": "IDN",
        "gender": "male",
        "birth_year": 1990,
        "education_level": "6",
        "japanese_level": "n2",
        "first_arrival_ym": "2016-10",
        "current_residence_status": "eng_hum",
        "years_in_japan": 9.0,
        "n_employers_japan": 1,
        "n_episodes": 1,
        "interview_date": "2026-05-03",
        "instrument_versions": "sie_intake 1.0",
        "pipeline_version": "1.0.0",
    },
]
EPISODES: list[dict[str, Any]] = [
    {
        "participant_code": "TI-0002",
        "episode_no": n,
        "kind": kind,
        "start": start,
        "start_precision": "month",
        "end": end,
        "end_precision": "month" if end else None,
        "ongoing": end is None,
        "start_month": sm,
        "end_month": em,
        "country": country,
        "prefecture": pref,
        "employer_ref": f"E{n}",
        "employer_size": "small",
        "industry": "E",
        "occupation": "8",
        "job_title": title,
        "residence_status": status,
        "ti_type": None,
        "entry_route": "direct_hire",
        "employment_type": "regular",
        "reason_left": "@boss left",
    }
    for n, kind, start, end, sm, em, country, pref, title, status in (
        (1, "job", "2016-01", "2019-03", 1393, 1431, "VNM", None, "welder", "not_in_japan"),
        (2, "job", "2019-04", "2024-03", 1432, 1491, "JPN", "23", "=SUM(A1:A9)", "ti_2"),
        (3, "job", "2024-04", None, 1492, 1517, "JPN", "23", "-3", "ssw_1"),
    )
] + [
    {
        "participant_code": "SIE-0001",
        "episode_no": 1,
        "kind": "job",
        "start": "2016",
        "start_precision": "year",
        "end": None,
        "end_precision": None,
        "ongoing": True,
        "start_month": 1402,
        "end_month": 1517,
        "country": "JPN",
        "prefecture": "13",
        "employer_ref": "E9",
        "employer_size": "medium",
        "industry": "G",
        "occupation": "2",
        "job_title": "engineer",
        "residence_status": "eng_hum",
        "ti_type": None,
        "entry_route": "direct_hire",
        "employment_type": "regular",
        "reason_left": None,
    },
]
OTHERS: dict[str, list[dict[str, Any]]] = {
    "transitions": [
        {
            "participant_code": "TI-0002",
            "from_episode": 1,
            "to_episode": 2,
            "month": 1432,
            "kind": "entry_to_japan",
            "from_status": "not_in_japan",
            "to_status": "ti_2",
        },
        {
            "participant_code": "TI-0002",
            "from_episode": 2,
            "to_episode": 3,
            "month": 1492,
            "kind": "ti_to_ssw_same_employer",
            "from_status": "ti_2",
            "to_status": "ssw_1",
        },
    ],
    "skill_events": [
        {
            "participant_code": "TI-0002",
            "event_no": 1,
            "episode_no": 2,
            "event": "cultivate",
            "actor": "coworkers",
            "skill_domain": "technical",
            "source": "intake",
            "note": "+taught me welding",
        },
    ],
    "firms": [
        {
            "firm_ref": "F1",
            "participant_code": "SIE-0001",
            "industry": "E",
            "prefecture": "23",
            "employees": 40,
            "capital_band": "10m_50m",
            "sme": True,
            "n_ti": 5,
            "n_ssw": 2,
            "n_sie": 0,
            "uses_supervising_org": True,
            "has_overseas_subsidiary": False,
            "retains_ti_as_ssw": True,
            "hires_for_subsidiary": None,
        },
    ],
    "quality_flags": [
        {
            "participant_code": "TI-0002",
            "flag_no": 1,
            "episode_no": 3,
            "flag": "era_date_parsed",
            "detail": "\tR6.4",
        },
    ],
    "sequences_spell": [
        {"participant_code": "TI-0002", "begin": 1393, "end": 1431, "status": "home_work"},
        {"participant_code": "TI-0002", "begin": 1432, "end": 1491, "status": "ti"},
        {"participant_code": "TI-0002", "begin": 1492, "end": 1517, "status": "ssw"},
        {"participant_code": "SIE-0001", "begin": 1402, "end": 1517, "status": "eng_hum"},
    ],
    "sequences_sts": [
        {"participant_code": "TI-0002", "first_month": 1393, "states": "home_work,home_work,ti,ti,ssw"},
        {"participant_code": "SIE-0001", "first_month": 1402, "states": "eng_hum,*,eng_hum"},
    ],
}
DATA = {"participants": PARTICIPANTS, "episodes": EPISODES, **OTHERS}


def source(data: dict[str, list[dict[str, Any]]]) -> Any:
    """A row source over dicts: the table's columns, sorted by its key (as the database does)."""

    def rows(table: ExportTable) -> list[tuple[Any, ...]]:
        ordered = sorted(data[table.name], key=lambda r: tuple(r[k] for k in table.primary_key))
        return [tuple(r.get(c) for c in table.column_names) for r in ordered]

    return rows


META = BundleMeta(
    study="demo",
    title="Demo study",
    languages=("en", "ja", "vi"),
    instrument_versions={"ti_intake": "1.0", "sie_intake": "1.0"},
    pipeline_version="1.0.0",
    created_at=datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC),
)


def build(
    tmp_path: Path, options: BundleOptions | None = None, meta: BundleMeta = META, **kw: Any
) -> zipfile.ZipFile:
    result = build_bundle(rows=source(DATA), meta=meta, out_dir=tmp_path, options=options, **kw)
    return zipfile.ZipFile(result.path)


def read_csv(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+81 90", "'+81 90"),
        ("-3", "-3"),
        ("-3.5e2", "-3.5e2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("- item", "'- item"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_cells_as_text() -> None:
    assert as_text(None) == ""
    assert as_text(True) == "true"
    assert as_text(-3) == "-3"
    assert as_text(2.5) == "2.5"
    assert as_text(CONSENTED) == "2026-04-02T09:30:00Z"


def test_default_bundle_is_de_identified(tmp_path: Path) -> None:
    zf = build(tmp_path)
    assert zf.filename is not None
    assert Path(zf.filename).name == "demo-20260506T070809Z.zip"
    names = set(zf.namelist())
    assert "contacts.csv" not in names
    assert {
        "README.txt",
        "datapackage.json",
        "codebook.html",
        "codebook.md",
        "tables.xlsx",
        "sequences_sts.csv",
        "participants.sav",
        "participants.dta",
        "episodes.sav",
        "episodes.dta",
    } <= names
    for table in TABLES:
        assert {f"{table}.csv", f"{table}.parquet"} <= names
    episodes = read_csv(zf, "episodes.csv")
    assert "job_title" not in episodes[0]
    assert "reason_left" not in episodes[0]
    assert "note" not in read_csv(zf, "skill_events.csv")[0]
    everything = b"".join(zf.read(n) for n in names if n.endswith((".csv", ".md", ".json")))
    assert b"welder" not in everything
    assert b"taught me" not in everything


def test_csv_rows_sorted_typed_and_neutralised(tmp_path: Path) -> None:
    zf = build(tmp_path, BundleOptions(cleared=frozenset({"episodes.job_title"})))
    people = read_csv(zf, "participants.csv")
    assert [p["participant_code"] for p in people] == ["SIE-0001", "TI-0002"]
    ti = people[1]
    assert ti["recruitment_channel"] == "'=cmd|' /C calc'!A0"
    assert ti["consented_at"] == "2026-04-02T09:30:00Z"
    assert ti["interview_date"] == ""
    assert ti["years_in_japan"] == "6.5"
    episodes = read_csv(zf, "episodes.csv")
    assert [e["job_title"] for e in episodes] == ["engineer", "welder", "'=SUM(A1:A9)", "-3"]
    assert "reason_left" not in episodes[0]
    assert [e["ongoing"] for e in episodes] == ["true", "false", "false", "true"]
    assert read_csv(zf, "quality_flags.csv")[0]["detail"] == "'\tR6.4"
    assert zf.read("participants.csv").startswith(b"participant_code,")


def test_bom_variant(tmp_path: Path) -> None:
    zf = build(tmp_path, BundleOptions(bom=True))
    assert zf.read("participants.csv").startswith(b"\xef\xbb\xbfparticipant_code,")
    assert json.loads(zf.read("datapackage.json"))["resources"][0]["encoding"] == "utf-8-sig"


def test_xlsx_workbook(tmp_path: Path) -> None:
    zf = build(tmp_path, BundleOptions(with_pii=True))
    book = load_workbook(io.BytesIO(zf.read("tables.xlsx")), read_only=True)
    assert book.sheetnames == [
        "participants",
        "episodes",
        "transitions",
        "skill_events",
        "firms",
        "quality_flags",
        "sequences_spell",
    ]
    rows = list(book["episodes"].iter_rows(values_only=True))
    header = rows[0]
    titles = [r[header.index("job_title")] for r in rows[1:]]
    assert titles == ["engineer", "welder", "'=SUM(A1:A9)", "-3"]
    assert [r[header.index("reason_left")] for r in rows[1:]][1] == "'@boss left"
    assert rows[1][header.index("start_month")] == 1402
    assert rows[1][header.index("ongoing")] is True
    firm = list(book["firms"].iter_rows(values_only=True))
    assert firm[1][firm[0].index("hires_for_subsidiary")] is None
    book.close()


def test_parquet_types_and_values(tmp_path: Path) -> None:
    zf = build(tmp_path)
    table = pq.read_table(io.BytesIO(zf.read("participants.parquet")))
    assert str(table.schema.field("birth_year").type) == "int64"
    assert str(table.schema.field("consented_at").type) == "timestamp[us, tz=UTC]"
    assert table.column("participant_code").to_pylist() == ["SIE-0001", "TI-0002"]
    assert table.column("years_in_japan").to_pylist() == [9.0, 6.5]
    # Parquet carries the value itself: neutralisation is for spreadsheets only.
    assert table.column("recruitment_channel").to_pylist()[1] == "=cmd|' /C calc'!A0"


def test_spss_and_stata_labels(tmp_path: Path) -> None:
    zf = build(tmp_path)
    for ext, reader in ((".sav", pyreadstat.read_sav), (".dta", pyreadstat.read_dta)):
        path = tmp_path / f"participants{ext}"
        path.write_bytes(zf.read(f"participants{ext}"))
        frame, meta = reader(str(path))
        assert list(frame["participant_code"]) == ["SIE-0001", "TI-0002"]
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert labels["japanese_level"] == "Japanese level (JLPT)"
        assert all(len(lbl) <= 80 for lbl in meta.column_labels)
        assert all(len(n) <= 32 for n in meta.column_names)
        # gender: female is the 1st code, male the 2nd; labels from the bundled lists.yaml.
        assert list(frame["gender"]) == [2, 1]
        gender = meta.variable_value_labels["gender"]
        assert gender[1] == "Woman"
        assert gender[2] == "Man"
        assert (
            meta.variable_value_labels["current_residence_status"][5] == "Specified Skilled Worker (i)"
            or meta.variable_value_labels["current_residence_status"][5]
        )
        assert frame["birth_year"].tolist() == [1990, 1998]
    path = tmp_path / "episodes.sav"
    path.write_bytes(zf.read("episodes.sav"))
    frame, meta = pyreadstat.read_sav(str(path))
    assert frame["ongoing"].tolist() == [1, 0, 0, 1]
    assert meta.variable_value_labels["ongoing"] == {0: "No", 1: "Yes"}
    assert pd.isna(frame["prefecture"].tolist()[1])
    # Measurement levels, so SPSS/PSPP offer the right statistics: amounts are scale, codes nominal.
    assert meta.variable_measure["episode_no"] == "scale"
    assert meta.variable_measure["residence_status"] == "nominal"
    assert meta.variable_measure["ongoing"] == "nominal"


def test_sequences_files(tmp_path: Path) -> None:
    zf = build(tmp_path)
    sts = list(csv.reader(io.StringIO(zf.read("sequences_sts.csv").decode())))
    assert sts[0] == ["participant_code", "m001", "m002", "m003", "m004", "m005"]
    assert sts[1] == ["SIE-0001", "eng_hum", "*", "eng_hum", "%", "%"]
    assert sts[2] == ["TI-0002", "home_work", "home_work", "ti", "ti", "ssw"]
    spell = read_csv(zf, "sequences_spell.csv")
    assert [(s["participant_code"], s["begin"], s["status"]) for s in spell][:2] == [
        ("SIE-0001", "1402", "eng_hum"),
        ("TI-0002", "1393", "home_work"),
    ]


def test_codebook_lists_every_column_and_code_in_study_languages(tmp_path: Path) -> None:
    zf = build(tmp_path)
    md = zf.read("codebook.md").decode()
    html = zf.read("codebook.html").decode()
    for table in export_tables().values():
        for column in table.columns:
            assert f"| {column.name} |" in md or table.name == "sequences_sts"
            assert f"<td>{column.name}</td>" in html or table.name == "sequences_sts"
    assert "| female | 1 | Woman | 女性 | Nữ |" in md
    assert ("| ti_to_ssw_same_employer | 6 | Technical intern to specified skilled worker, same employer "
            "| 技能実習から特定技能へ（同じ勤務先） "
            "| Từ thực tập sinh sang kỹ năng đặc định, cùng nơi làm việc |") in md
    assert "| en | ja | vi |" in md
    assert "<script" not in html


def test_readme_counts_and_checksums(tmp_path: Path) -> None:
    import hashlib

    zf = build(tmp_path)
    readme = zf.read("README.txt").decode()
    assert "Study: demo (Demo study)" in readme
    assert "Exported at (UTC): 2026-05-06T07:08:09Z" in readme
    assert "Records pipeline version: 1.0.0" in readme
    assert "ti_intake 1.0" in readme
    assert "  episodes: 4" in readme
    assert "  sequences_sts: 2" in readme
    for name in zf.namelist():
        if name != "README.txt":
            assert f"{hashlib.sha256(zf.read(name)).hexdigest()}  {name}" in readme


def test_same_rows_give_byte_identical_files(tmp_path: Path) -> None:
    first = build(tmp_path / "a")
    later = META.__class__(**{**META.__dict__, "created_at": datetime(2027, 1, 1, tzinfo=UTC)})
    second = build(tmp_path / "b", meta=later)
    assert first.namelist() == second.namelist()
    for name in first.namelist():
        if name != "README.txt":
            assert first.read(name) == second.read(name), name
            assert first.getinfo(name).date_time == (1980, 1, 1, 0, 0, 0)
    assert first.read("README.txt") != second.read("README.txt")


def test_pii_bundle_has_contacts_and_free_text(tmp_path: Path) -> None:
    contacts = [("TI-0002", "Nguyen Van A", "+819012345678", "a@example.org", "zalo", "nva")]
    zf = build(tmp_path, BundleOptions(with_pii=True), contacts=lambda: contacts)
    rows = read_csv(zf, "contacts.csv")
    assert rows == [
        {
            "participant_code": "TI-0002",
            "name": "Nguyen Van A",
            "phone": "+819012345678",
            "email": "a@example.org",
            "messaging_app": "zalo",
            "messaging_id": "nva",
        }
    ]
    assert read_csv(zf, "skill_events.csv")[0]["note"] == "'+taught me welding"
    assert "contacts.csv holds direct identifiers" in zf.read("README.txt").decode()


def test_contacts_refused_without_pii_option(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="personal data"):
        build(tmp_path, contacts=lambda: [])


def test_progress_reaches_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    build(tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == list(range(1, len(seen) + 1))


def test_empty_study(tmp_path: Path) -> None:
    result = build_bundle(rows=source({name: [] for name in DATA}), meta=META, out_dir=tmp_path)
    zf = zipfile.ZipFile(result.path)
    assert zf.read("sequences_sts.csv").decode().strip() == "participant_code"
    assert read_csv(zf, "participants.csv") == []


def test_long_value_labels_are_cut_at_a_word_within_spss_bytes() -> None:
    from workers.exports.labels import VALUE_LABEL_BYTES, fit_label

    short = "Specified Skilled Worker (i)"
    assert fit_label(short) == short
    long = "Manufacture of machines, clothes, cars and other products " * 4
    cut = fit_label(long)
    assert len(cut.encode("utf-8")) <= VALUE_LABEL_BYTES
    assert cut.endswith("…")
    assert long.startswith(cut[:-1])
    assert long[len(cut) - 1] in " ,;:-"  # cut between words: no half word
    burmese = "အလုပ်သမား " * 20  # three bytes a character: never a broken character
    assert len(fit_label(burmese).encode("utf-8")) <= VALUE_LABEL_BYTES
    assert "\ufffd" not in fit_label(burmese)
