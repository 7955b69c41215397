"""The export bundle opened by the programs researchers use: R (read.csv, haven), GNU PSPP, a Stata reader
and LibreOffice Calc. Issue 7: the bundle "opens in R (TraMineR seqdef on the STS file), SPSS/PSPP, Stata,
Excel and pandas".

The bundles are built from the bundled study with synthetic participants run through the records pipeline
(several episodes, gaps, Vietnamese/Chinese/Indonesian answers), once de-identified with plain UTF-8 CSV and
once with personal data (non-ASCII names in contacts.csv, free text) and the byte-order mark. Every external
program reports what it read; the expectations come from the bundle's own README.txt, datapackage.json,
codebook.md and Parquet files.

- R: ``readers/read_bundle.R`` (base ``read.csv``, ``haven::read_sav``/``read_dta``). TraMineR is not
  packaged in Debian and CRAN is out of reach here, so ``make readers`` cannot install it: the script checks
  what ``seqdef`` requires of the STS file, mirroring TraMineR's source (cited there), and where R finds
  TraMineR (``R_LIBS_USER``) ``readers/traminer.R`` runs the docs' calls for real (seqdef, seqformat
  SPELL -> STS, seqdist with ``with.missing = TRUE``).
- SPSS: GNU PSPP in batch (``readers/describe.sps``). PSPP has no Stata reader (``GET STATA`` does not
  exist, ``pspp-convert`` refuses .dta), so the .dta files are not opened in PSPP.
- Stata: no Stata here. ``pandas.read_stata`` (pandas' own parser, independent of ReadStat which wrote the
  file) reads the .dta files, and the file is checked against Stata's documented limits.
- Excel: no Excel here. LibreOffice Calc converts ``tables.xlsx`` to CSV headless, sheet by sheet.

The programs come from Debian (``make readers``, run by ``make test``). Without them these tests skip, except
with ``KEIREKI_REQUIRE_READERS=1`` (``.ci/run``) where a missing program fails the test.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import make_test_app
from tests.support import databases
from webapp.commands.demo import seed
from webapp.crypto import encrypt_json
from webapp.db import db_session
from webapp.exports import services
from webapp.models import Contact, Participant
from webapp.services.studies import load_bundled_study
from workers.exports.labels import fit_label
from workers.tasks.records import convert_batch

READERS = Path(__file__).parent / "readers"
NOW = datetime(2026, 11, 1, 9, tzinfo=UTC)
#: Synthetic participants per bundle (seed 3 gives TIs, SIEs and managers, gaps, non-ASCII answers).
PEOPLE = 10
#: Contact names typed in the participants' scripts (the PII bundle's contacts.csv).
NAMES = ("Nguyễn Thị Hoa", "Trần Văn Đức", "Siti Nurhaliza", "王小明", "မောင်မောင်", "Juan dela Cruz", "山田 花子",
         "राम बहादुर")
#: A UTF-8 locale for R and PSPP (in a C locale R turns non-ASCII text into <U+XXXX> escapes).
UTF8_ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
                  "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}


def program(name: str) -> str:
    """The path of an external reader; skips (fails under KEIREKI_REQUIRE_READERS=1) when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (`make readers` installs R, r-cran-haven, PSPP and LibreOffice Calc)"
        if os.environ.get("KEIREKI_REQUIRE_READERS") == "1":
            pytest.fail(message + "; KEIREKI_REQUIRE_READERS=1 requires it")
        pytest.skip(message)
    return path


def run(args: list[str], *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=UTF8_ENV, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


# ---- What the bundle says about itself ---------------------------------------------------------------------

@dataclass
class Bundle:
    name: str
    path: Path
    counts: dict[str, int]  #: README.txt's row counts
    bom: bool
    package: dict[str, Any]
    column_vocab: dict[str, dict[str, str]]  #: codebook: table -> column -> code list
    code_lists: dict[str, dict[str, tuple[int, str]]]  #: codebook: code list -> code -> (integer, English label)
    facts: list[dict[str, str]] = field(default_factory=list)  #: what R read (filled on first use)

    def resource(self, name: str) -> dict[str, Any]:
        return next(r for r in self.package["resources"] if r["name"] == name)

    def fields(self, name: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.resource(name)["schema"]["fields"]}

    def parquet(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.path / f"{name}.parquet")

    def csv_rows(self, name: str) -> list[dict[str, str]]:
        text = (self.path / f"{name}.csv").read_text(encoding="utf-8-sig" if self.bom else "utf-8")
        return list(csv.DictReader(io.StringIO(text)))

    def value_label(self, table: str, column: str, code: str) -> tuple[int, str]:
        return self.code_lists[self.column_vocab[table][column]][code]


def _readme_counts(text: str) -> dict[str, int]:
    block = text.split("\nRows:\n", 1)[1].split("\n\n", 1)[0]
    return {name.strip(): int(n) for name, n in (line.split(":") for line in block.splitlines())}


def _codebook(text: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, tuple[int, str]]]]:
    tables_part, lists_part = text.split("\n# Code lists\n", 1)
    column_vocab: dict[str, dict[str, str]] = {}
    for section in re.split(r"\n## ", tables_part)[1:]:
        table = section.split(" ", 1)[0]
        cells = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
                 if line.startswith("| ") and not line.startswith("| Column")]
        column_vocab[table] = {row[0]: row[3] for row in cells if len(row) == 4 and row[3]}
    code_lists: dict[str, dict[str, tuple[int, str]]] = {}
    for section in re.split(r"\n## ", lists_part)[1:]:
        name = section.split("\n", 1)[0].strip()
        if "| Code | Integer |" not in section:  # the study's codes of the coding: no integers
            continue
        rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
                if line.startswith("| ") and not line.startswith("| Code")]
        code_lists[name] = {row[0]: (int(row[1]), row[2]) for row in rows}
    return column_vocab, code_lists


def _open(name: str, zip_path: Path, target: Path) -> Bundle:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(target)
    readme = (target / "README.txt").read_text(encoding="utf-8")
    column_vocab, code_lists = _codebook((target / "codebook.md").read_text(encoding="utf-8"))
    return Bundle(name=name, path=target, counts=_readme_counts(readme),
                  bom="CSV encoding: UTF-8 with byte-order mark" in readme,
                  package=json.loads((target / "datapackage.json").read_text(encoding="utf-8")),
                  column_vocab=column_vocab, code_lists=code_lists)


@pytest.fixture(scope="module")
def bundles(backend: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Bundle]:
    """Two bundles of the bundled study with PEOPLE synthetic participants: de-identified (UTF-8) and with
    personal data (UTF-8 with BOM, contacts.csv with names in Vietnamese, Chinese, Burmese, Japanese and
    Nepali, free text)."""
    base = tmp_path_factory.mktemp(f"readers-{backend}")
    with databases.fresh(backend, base) as url:
        app = make_test_app(database_url=url, instance_dir=base / "instance")
        with app.app_context():
            session = db_session()
            study = load_bundled_study(session=session)
            session.commit()
            outcome = seed(session=session, study=study, participants=PEOPLE, seed=3, now=NOW)
            session.commit()
            done = convert_batch(session=session, participant_ids=outcome.participant_ids)
            assert len(done.converted) == PEOPLE, done.failed
            for i, person_id in enumerate(outcome.participant_ids):
                person = session.get(Participant, person_id)
                assert person is not None
                session.add(Contact(participant_id=person_id, kinds="email,phone", data_enc=encrypt_json({
                    "name": NAMES[i % len(NAMES)], "phone": "+819012345678",
                    "email": f"{person.code.lower()}@example.org", "messaging_app": "line",
                    "messaging_id": "=HYPERLINK(\"x\")" if i == 0 else f"id-{i}"})))
            session.commit()
            plain = services.build_study_bundle(session=session, study=study, out_dir=base / "zip-plain",
                                               request=services.ExportRequest(), now=NOW)
            request = services.check_request(
                services.ExportRequest(with_pii=True, bom=True, reason="re-contact for wave 2"), may_export_pii=True)
            pii = services.build_study_bundle(session=session, study=study, out_dir=base / "zip-pii",
                                             request=request, now=NOW)
            session.close()
    out = {"deidentified": _open("deidentified", plain.path, base / "deidentified"),
           "pii_bom": _open("pii_bom", pii.path, base / "pii_bom")}
    # What the readers must meet, so a change of the demo data cannot quietly thin the test out.
    sts = (out["deidentified"].path / "sequences_sts.csv").read_text(encoding="utf-8")
    assert ",*," in sts, "the demo data should have a gap in the STS file"
    assert ",%" in sts, "the demo data should have padding in the STS file"
    assert out["deidentified"].counts["episodes"] > 2 * out["deidentified"].counts["sequences_sts"]
    titles = {r["job_title"] for r in out["pii_bom"].csv_rows("episodes")}
    assert any(not t.isascii() for t in titles), "the demo data should have non-ASCII job titles"
    return out


def r_facts(bundle: Bundle, tmp_path: Path) -> list[dict[str, str]]:
    """What readers/read_bundle.R read from the bundle (run once per bundle)."""
    if not bundle.facts:
        rscript = program("Rscript")
        states = [s for s in bundle.fields("sequences_spell")["status"]["constraints"]["enum"]]
        out = tmp_path / f"facts-{bundle.name}.csv"
        run([rscript, str(READERS / "read_bundle.R"), str(bundle.path), str(out), ",".join(states)])
        bundle.facts = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    return bundle.facts


def select(facts: list[dict[str, str]], what: str, file: str | None = None) -> list[dict[str, str]]:
    return [f for f in facts if f["what"] == what and (file is None or f["file"] == file)]


def as_text(value: Any) -> str | None:
    """A Parquet cell as the text a reader should show (None for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return str(value)


BUNDLES = ["deidentified", "pii_bom"]
STAT_FILES = [f"{t}.{ext}" for t in ("participants", "episodes") for ext in ("sav", "dta")]


# ---- R -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", BUNDLES)
def test_r_reads_every_csv_file(bundles: dict[str, Bundle], which: str, tmp_path: Path) -> None:
    bundle = bundles[which]
    facts = r_facts(bundle, tmp_path)
    assert select(facts, "csv_encoding")[0]["value"] == ("UTF-8-BOM" if bundle.bom else "UTF-8")
    csv_names = sorted(p.name for p in bundle.path.glob("*.csv"))
    assert csv_names == sorted(f"{r['name']}.csv" for r in bundle.package["resources"])
    rows = {f["file"]: int(f["value"]) for f in select(facts, "csv_rows")}
    assert rows == {f"{name}.csv": n for name, n in bundle.counts.items()}
    headers = {f["file"]: f["value"].split(",") for f in select(facts, "csv_header")}
    defaults = {f["file"]: f["value"].split(",") for f in select(facts, "csv_header_default")}
    for resource in bundle.package["resources"]:
        assert headers[resource["path"]] == [f["name"] for f in resource["schema"]["fields"]], resource["path"]
        assert defaults[resource["path"]] == headers[resource["path"]], resource["path"]
    # Types as R guesses them: numbers numeric, booleans logical once as.logical() has seen them.
    classes = {(f["file"], f["column"]): f["value"] for f in select(facts, "csv_class")}
    logical = {(f["file"], f["column"]): f["value"] for f in select(facts, "csv_as_logical")}
    for resource in bundle.package["resources"]:
        if resource["name"] == "sequences_sts":
            continue
        for name, spec in bundle.fields(resource["name"]).items():
            got = classes[(resource["path"], name)]
            if got == "logical" and bundle.counts[resource["name"]] == 0:
                continue  # an empty table: every column is NA, which R calls logical
            if spec["type"] == "integer":
                assert got in {"integer", "logical"}, (resource["path"], name, got)
            elif spec["type"] == "number":
                assert got in {"integer", "numeric", "logical"}, (resource["path"], name, got)
            elif spec["type"] == "boolean":
                assert logical[(resource["path"], name)] == "TRUE", (resource["path"], name)
    # Non-ASCII text arrives intact: every such cell equals the Parquet file's (contacts: what was entered).
    cells = select(facts, "csv_cell")
    for table in {f["file"] for f in cells} - {"contacts.csv"}:
        frame = bundle.parquet(table.removesuffix(".csv"))
        for f in (f for f in cells if f["file"] == table):
            assert frame[f["column"]].iloc[int(f["key"]) - 1] == f["value"], f
    if bundle.name == "pii_bom":
        names = [f["value"] for f in cells if f["file"] == "contacts.csv" and f["column"] == "name"]
        assert sorted(names) == sorted(n for n in (NAMES * 2)[:PEOPLE] if not n.isascii())
        assert {f["column"] for f in cells if f["file"] == "episodes.csv"} == {"job_title"}
    else:  # de-identified: no names, no free text; only dates quoted as typed (令和6年8月) in flag details
        assert {(f["file"], f["column"]) for f in cells} <= {("quality_flags.csv", "detail")}


def _expected_stat_cell(bundle: Bundle, table: str, column: str, spec: dict[str, Any], value: Any) -> str | None:
    text = as_text(value)
    if column in bundle.column_vocab[table]:
        return None if text is None else fit_label(bundle.value_label(table, column, text)[1])
    if spec["type"] == "boolean":
        return None if text is None else ("Yes" if value else "No")
    if spec["type"] in ("integer", "number"):
        return None if text is None else repr(float(value))
    if spec["type"] == "datetime":
        stamp = pd.Timestamp(value)
        return None if text is None else stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if stamp.microsecond
                                                        else "%Y-%m-%dT%H:%M:%SZ")
    return text or ""  # SPSS and Stata have no missing text: an empty string


@pytest.mark.parametrize("which", BUNDLES)
@pytest.mark.parametrize("stat_file", STAT_FILES)
def test_r_haven_reads_spss_and_stata_files(bundles: dict[str, Bundle], which: str, stat_file: str,
                                           tmp_path: Path) -> None:
    bundle = bundles[which]
    facts = r_facts(bundle, tmp_path)
    table = stat_file.split(".")[0]
    fields = bundle.fields(table)
    assert int(select(facts, "stat_rows", stat_file)[0]["value"]) == bundle.counts[table]
    assert select(facts, "stat_file_label", stat_file)[0]["value"] == bundle.resource(table)["title"]
    labels = {f["column"]: f["value"] for f in select(facts, "var_label", stat_file)}
    assert labels == {name: spec["title"] for name, spec in fields.items()}
    value_labels: dict[str, dict[int, str]] = {}
    for f in select(facts, "value_label", stat_file):
        value_labels.setdefault(f["column"], {})[int(float(f["key"]))] = f["value"]
    expected_labels: dict[str, dict[int, str]] = {
        column: {number: fit_label(label) for number, label in bundle.code_lists[vocab].values()}
        for column, vocab in bundle.column_vocab[table].items() if column in fields}
    expected_labels |= {name: {0: "No", 1: "Yes"} for name, spec in fields.items() if spec["type"] == "boolean"}
    assert value_labels == expected_labels
    # Every cell, as haven shows it (labels for coded columns), against the Parquet file.
    frame = bundle.parquet(table)
    got: dict[tuple[str, int], str | None] = {
        (f["column"], int(f["key"])): (None if f["is_na"] == "1" else f["value"])
        for f in select(facts, "stat_cell", stat_file)}
    assert len(got) == len(frame) * len(fields)
    for column, spec in fields.items():
        for i, value in enumerate(frame[column], start=1):
            expected = _expected_stat_cell(bundle, table, column, spec, value)
            cell = got[(column, i)]
            if spec["type"] in ("integer", "number") and expected is not None and cell is not None:
                assert float(cell) == pytest.approx(float(expected)), (column, i)
            else:
                assert cell == expected, (stat_file, column, i, cell, expected)


@pytest.mark.parametrize("which", BUNDLES)
def test_sts_file_meets_traminer_seqdef(bundles: dict[str, Bundle], which: str, tmp_path: Path) -> None:
    """What seqdef(sts, 2:ncol(sts), id=..., alphabet=states, missing="*", void="%", nr="*") needs (seqdef
    itself not run: TraMineR cannot be installed here)."""
    bundle = bundles[which]
    facts = r_facts(bundle, tmp_path)
    assert select(facts, "sts_problem") == []
    alphabet = set(bundle.fields("sequences_spell")["status"]["constraints"]["enum"])
    found = set(select(facts, "sts_states")[0]["value"].split(","))
    assert found <= alphabet
    assert len(found) > 3
    lengths = {f["key"]: int(f["value"]) for f in select(facts, "sts_length")}
    spells: dict[str, tuple[int, int]] = {}
    for row in bundle.csv_rows("sequences_spell"):
        first, last = spells.get(row["participant_code"], (int(row["begin"]), int(row["end"])))
        spells[row["participant_code"]] = (min(first, int(row["begin"])), max(last, int(row["end"])))
    assert lengths == {code: last - first + 1 for code, (first, last) in spells.items()}
    assert len(lengths) == bundle.counts["sequences_sts"]


def test_seqdef_check_finds_what_seqdef_would_reject(bundles: dict[str, Bundle], tmp_path: Path) -> None:
    """The R check is not vacuous: a void inside a sequence, an unknown state, an empty cell, a sequence
    starting with a gap and a repeated id in a copy of the STS file are each reported."""
    rscript = program("Rscript")
    bundle = bundles["deidentified"]
    broken = tmp_path / "broken"
    shutil.copytree(bundle.path, broken)
    lines = (broken / "sequences_sts.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line.split(",") for line in lines[1:]]
    rows[0][1] = "%"            # void at the start of a sequence
    rows[1][1] = "farming"      # not a state
    rows[2][1] = ""             # an empty cell
    rows[4][1] = "*"            # a gap before the first episode
    rows.append(list(rows[3]))  # the same participant twice
    (broken / "sequences_sts.csv").write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n",
                                              encoding="utf-8")
    states = bundle.fields("sequences_spell")["status"]["constraints"]["enum"]
    out = tmp_path / "facts.csv"
    run([rscript, str(READERS / "read_bundle.R"), str(broken), str(out), ",".join(states)])
    problems = " | ".join(f["value"] for f in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
                          if f["what"] == "sts_problem")
    assert f"{rows[0][0]}: void '%' before the end" in problems
    assert "states not in the alphabet: farming" in problems
    assert "empty cells in the month columns: 1" in problems
    assert f"{rows[4][0]}: starts or ends with a gap" in problems
    assert f"duplicated ids: {rows[3][0]}" in problems
    assert "STS months differ from its SPELL rows" in problems


# ---- PSPP ------------------------------------------------------------------------------------------------------

def _pspp_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    tables = []
    for block in re.split(r"\n\s*\n", text.strip()):
        head, _, body = block.partition("\n")
        if head.startswith("Table: "):
            tables.append((head.removeprefix("Table: "), list(csv.reader(io.StringIO(body)))))
    return tables


@pytest.mark.parametrize("which", BUNDLES)
def test_pspp_opens_the_spss_files(bundles: dict[str, Bundle], which: str, tmp_path: Path) -> None:
    pspp = program("pspp")
    bundle = bundles[which]
    out = tmp_path / "pspp.csv"
    run([pspp, "-O", "format=csv", "-o", str(out), str(READERS / "describe.sps")], cwd=bundle.path)
    tables = _pspp_tables(out.read_text(encoding="utf-8"))
    starts = [i for i, (title, _) in enumerate(tables) if title == "File Information"]
    assert len(starts) == 2
    coded = {"participants": ("participant_type", "gender"), "episodes": ("kind", "residence_status")}
    described = {"participants": ("birth_year", "years_in_japan"), "episodes": ("start_month", "end_month")}
    ends = [*starts[1:], len(tables)]
    for table, begin, end in zip(("participants", "episodes"), starts, ends, strict=True):
        part = tables[begin:end]
        fields = bundle.fields(table)
        parquet = bundle.parquet(table)
        info = dict((row[0], row[1]) for row in part[0][1] if len(row) >= 2)
        assert int(info["Cases"]) == bundle.counts[table]
        assert info["Label"] == bundle.resource(table)["title"]
        assert info["Encoding"] == "UTF-8"
        # DISPLAY DICTIONARY: names and variable labels, then value labels (listed by variable label).
        variables = [rows for title, rows in part if title == "Variables"][-1]
        assert [(r[0], r[2]) for r in variables[1:]] == [(n, f["title"]) for n, f in fields.items()]
        by_label = {f["title"]: n for n, f in fields.items()}
        value_labels: dict[str, dict[int, str]] = {}
        current = ""
        for row in [rows for title, rows in part if title == "Value Labels"][-1][1:]:
            current = row[0] or current
            value_labels.setdefault(by_label[current], {})[int(float(row[1]))] = row[2]
        for column, vocab in bundle.column_vocab[table].items():
            if column in fields:
                assert value_labels[column] == {i: fit_label(label) for i, label in bundle.code_lists[vocab].values()}
        # FREQUENCIES on coded variables: counts per label as in the Parquet file.
        for column in coded[table]:
            title = fields[column]["title"]
            frequencies = dict(part)[title] if title in dict(part) else None
            assert frequencies is not None, f"no FREQUENCIES table for {column}"
            got = {row[1]: int(row[2]) for row in frequencies[1:] if row[0] in ("Valid", "") and row[1]}
            expected: dict[str, int] = {}
            for code in parquet[column].dropna():
                label = fit_label(bundle.value_label(table, column, code)[1])
                expected[label] = expected.get(label, 0) + 1
            assert got == expected, column
        # DESCRIPTIVES: N and mean of numeric variables.
        descriptives = dict(part)["Descriptive Statistics"]
        rows = {row[0]: row for row in descriptives[1:]}
        for column in described[table]:
            values = parquet[column].dropna().astype(float)
            row = rows[fields[column]["title"]]
            assert int(row[1]) == len(values), column
            assert float(row[2]) == pytest.approx(values.mean(), abs=0.01), column
        # LIST: every text cell as typed (non-ASCII job titles in the bundle with personal data).
        listing = [rows for title, rows in part if title == "Data List"][-1]
        assert listing[0] == list(fields)
        assert len(listing) - 1 == bundle.counts[table]
        for column, spec in fields.items():
            if spec["type"] == "string" and column not in bundle.column_vocab[table]:
                position = listing[0].index(column)
                assert [r[position] for r in listing[1:]] == [as_text(v) or "" for v in parquet[column]], column


# ---- Stata (read by pandas) ------------------------------------------------------------------------------------

def _dta_header(path: Path) -> tuple[int, int, list[int]]:
    """(release, number of variables, storage types) from a format 118/119 .dta file."""
    data = path.read_bytes()
    release = int(re.search(rb"<release>(\d+)</release>", data[:200]).group(1))  # type: ignore[union-attr]
    assert data[data.index(b"<byteorder>") + 11:][:3] == b"LSF"
    start = data.index(b"<K>") + 3
    k = struct.unpack("<I", data[start:start + 4])[0] if release == 119 else \
        struct.unpack("<H", data[start:start + 2])[0]
    types_at = data.index(b"<variable_types>") + len(b"<variable_types>")
    types = list(struct.unpack(f"<{k}H", data[types_at:types_at + 2 * k]))
    return release, k, types


@pytest.mark.parametrize("which", BUNDLES)
@pytest.mark.parametrize("table", ["participants", "episodes"])
def test_stata_files_within_stata_limits_and_read_by_pandas(bundles: dict[str, Bundle], which: str,
                                                            table: str) -> None:
    bundle = bundles[which]
    path = bundle.path / f"{table}.dta"
    fields = bundle.fields(table)
    parquet = bundle.parquet(table)
    release, k, types = _dta_header(path)
    assert release in (118, 119)  # Stata 14+ (118) / 15+ (119)
    assert k == len(fields)
    with pd.io.stata.StataReader(path) as reader:
        raw = reader.read(convert_categoricals=False)
        variable_labels = reader.variable_labels()
        value_labels = reader.value_labels()
        data_label = reader.data_label
    assert list(raw.columns) == list(fields)
    assert len(raw) == bundle.counts[table]
    assert data_label == bundle.resource(table)["title"]
    assert len(data_label) <= 80
    # Stata's limits: names 1-32 characters, letters/digits/_ not starting with a digit, not reserved;
    # variable labels <= 80; str# <= 2045 bytes (longer text must be strL = 32768); value labels on integers.
    for name in raw.columns:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name), name
        assert name not in STATA_RESERVED, name
    assert variable_labels == {name: spec["title"] for name, spec in fields.items()}
    assert all(len(label) <= 80 for label in variable_labels.values())
    for name, storage in zip(raw.columns, types, strict=True):
        assert 1 <= storage <= 2045 or storage in (32768, 65526, 65527, 65528, 65529, 65530), (name, storage)
        if 1 <= storage <= 2045:  # a fixed width wide enough for every value (UTF-8 bytes)
            texts = [_expected_stat_cell(bundle, table, name, fields[name], v) or "" for v in parquet[name]]
            assert max((len(t.encode()) for t in texts), default=0) <= storage, name
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name) for name in value_labels)
    for labels in value_labels.values():
        assert all(float(v).is_integer() and len(text) <= 32000 for v, text in labels.items())
    # With value labels applied (pandas requires them unique per variable): the codebook's labels.
    frame = pd.read_stata(path, convert_categoricals=True)
    for column, spec in fields.items():
        expected = [_expected_stat_cell(bundle, table, column, spec, v) for v in parquet[column]]
        got = [None if (isinstance(v, float) and math.isnan(v)) else v for v in frame[column].astype(object)]
        if spec["type"] in ("integer", "number") and column not in bundle.column_vocab[table]:
            assert [None if v is None else pytest.approx(float(v)) for v in expected] == got, column
        else:
            assert [None if v is None else str(v) for v in got] == expected, column


# ---- LibreOffice Calc ------------------------------------------------------------------------------------------

#: CSV files of the bundle that are not sheets of tables.xlsx: the STS file, contacts, and the coding's files.
NOT_IN_WORKBOOK = ("sequences_sts", "contacts", "codes", "codes_labels", "agreement_by_code", "coded_segments")


@pytest.mark.parametrize("which", BUNDLES)
def test_libreoffice_opens_the_workbook(bundles: dict[str, Bundle], which: str, tmp_path: Path) -> None:
    soffice = program("soffice")
    bundle = bundles[which]
    out = tmp_path / "calc"
    # CSV filter options: comma, double quote, UTF-8 (76), from line 1, raw values (not as shown), every sheet
    # into a file of its own (-1: <name>-<sheet>.csv).
    options = "44,34,76,1,,0,false,true,false,false,false,-1"
    run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to",
         f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(out), str(bundle.path / "tables.xlsx")])
    sheets = sorted(p.name.removeprefix("tables-").removesuffix(".csv") for p in out.glob("tables-*.csv"))
    expected_sheets = sorted(r["name"] for r in bundle.package["resources"]
                             if r["name"] not in NOT_IN_WORKBOOK)
    assert sheets == expected_sheets
    for sheet in sheets:
        fields = bundle.fields(sheet)
        calc = list(csv.reader(io.StringIO((out / f"tables-{sheet}.csv").read_text(encoding="utf-8"))))
        text = (bundle.path / f"{sheet}.csv").read_text(encoding="utf-8-sig" if bundle.bom else "utf-8")
        source = list(csv.reader(io.StringIO(text)))
        assert calc[0] == source[0] == list(fields)
        assert len(calc) - 1 == bundle.counts[sheet]
        booleans = [i for i, spec in enumerate(fields.values()) if spec["type"] == "boolean"]
        for row in calc[1:]:
            for i in booleans:
                row[i] = row[i].lower()  # Calc writes its own TRUE/FALSE
        assert calc[1:] == source[1:], sheet


def traminer(rscript: str) -> None:
    """Skips unless R finds TraMineR (in R's library or ``R_LIBS_USER``).

    TraMineR is not packaged in Debian and CRAN is out of reach of the project's machines, so ``make readers``
    cannot install it and this test skips even under ``KEIREKI_REQUIRE_READERS=1``; where TraMineR is
    installed (a researcher's machine, ``R_LIBS_USER``) it runs the calls of docs/exports.md for real."""
    found = subprocess.run([rscript, "-e", 'quit(status = as.integer(!requireNamespace("TraMineR", quietly = TRUE)))'],
                           env=UTF8_ENV, capture_output=True, text=True, timeout=120, check=False)
    if found.returncode != 0:
        pytest.skip("TraMineR is not installed (not in Debian; install it from CRAN into R_LIBS_USER to run this)")


@pytest.mark.parametrize("which", BUNDLES)
def test_traminer_runs_the_calls_the_docs_show(bundles: dict[str, Bundle], which: str) -> None:
    """readers/traminer.R: seqdef on the STS file, seqformat SPELL -> STS, seqsubm + seqdist OM with
    with.missing = TRUE, and seqdist without it refused on sequences with gaps (docs/exports.md quotes it)."""
    rscript = program("Rscript")
    traminer(rscript)
    bundle = bundles[which]
    done = run([rscript, str(READERS / "traminer.R")], cwd=bundle.path)
    said = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line and not line.startswith(" "))
    said = {k: v.strip() for k, v in said.items()}
    rows = bundle.counts["sequences_sts"]
    assert said["sequences"] == str(rows)
    assert said["spell_sequences"] == str(rows)
    assert said["spell_rows_equal_to_sts"] == str(rows)  # SPELL -> STS gives the STS file, month by month
    assert said["dist"] == f"{rows}x{rows}"
    assert said["dist_finite"] == "TRUE"
    assert int(said["gaps"]) > 0
    assert said["without_with_missing"].startswith(
        "error: 'with.missing' must be TRUE when 'seqdata' or 'refseq' contain missing values")
    assert "Warning" not in done.stderr + done.stdout
