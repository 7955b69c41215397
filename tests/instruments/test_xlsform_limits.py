"""Workbooks that are too large or malformed are findings, never tracebacks (issue 18), and a sheet that
claims a million rows is read up to its last row with content."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from instruments import InstrumentError, load
from instruments.cli import instruments_cli
from instruments.errors import AnswerError
from instruments.geo import parse_geo
from instruments.xlsform_import import read_xlsform
from instruments.xlsform_read import Limits

SURVEY = [["type", "name", "label"], ["text", "name", "Your name"], ["integer", "age", "Age"]]


def _book(path: Path, rows: list[list[object]], *, last_row: int | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in rows:
        sheet.append(row)
    if last_row is not None:  # a spreadsheet program touched the last row: formatting, no value
        sheet.cell(row=last_row, column=1).number_format = "0.00"
    book.save(path)
    return path


def _rewrite(path: Path, member: str, old: bytes, new: bytes) -> None:
    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, data.replace(old, new) if info.filename == member else data)
    shutil.move(copy, path)


def _check(path: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(instruments_cli, ["check", str(path)], env=env or {})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_undefined_xml_entity_is_a_finding(tmp_path: Path) -> None:
    path = _book(tmp_path / "entity.xlsx", SURVEY)
    _rewrite(path, "xl/worksheets/sheet1.xml", b"<sheetData>", b"<sheetData>&undefined;")
    code, output = _check(path)
    assert code == 1
    assert "Traceback" not in output
    assert f"{path}: file: the workbook is malformed and cannot be read" in output


def test_not_a_zip_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "text.xlsx"
    path.write_text("type,name\n")
    code, output = _check(path)
    assert code == 1
    assert "not an .xlsx workbook" in output


def test_cell_row_and_file_limits_are_findings_and_configurable(tmp_path: Path) -> None:
    long = _book(tmp_path / "long.xlsx", [*SURVEY, ["note", "n", "x" * 10_001]])
    code, output = _check(long)
    assert code == 1
    assert f"{long}:survey:4: file: column 'label': the cell has 10,001 characters" in output
    assert _check(long, {"KEIREKI_XLSFORM_MAX_CELL": "20000"})[0] == 0

    many = _book(tmp_path / "many.xlsx", [*SURVEY, *[["note", f"n{i}", "x"] for i in range(30)]])
    code, output = _check(many, {"KEIREKI_XLSFORM_MAX_ROWS": "20"})
    assert code == 1
    assert "the sheet has more than 20 rows" in output
    code, output = _check(many, {"KEIREKI_XLSFORM_MAX_BYTES": "1000"})
    assert code == 1
    assert "more than the limit of 1,000" in output


def test_a_zip_bomb_is_refused_before_reading(tmp_path: Path) -> None:
    path = _book(tmp_path / "bomb.xlsx", SURVEY)
    _rewrite(path, "xl/worksheets/sheet1.xml", b"<sheetData>", b"<sheetData>" + b" " * 3_000_000)
    with pytest.raises(InstrumentError, match="unpacks to"):
        read_xlsform(path, Limits(max_bytes=100_000))


def test_a_sheet_claiming_a_million_rows_stops_at_the_last_row_with_content(tmp_path: Path) -> None:
    path = _book(tmp_path / "tall.xlsx", SURVEY, last_row=1_048_576)
    inst = load(path)
    assert [q.name for q in inst.questions()] == ["name", "age"]


def test_duplicated_header_is_an_error_not_a_silent_choice(tmp_path: Path) -> None:
    path = _book(tmp_path / "dup.xlsx", [["type", "name", "label", "label"], ["text", "a", "A", "B"]])
    with pytest.raises(InstrumentError, match="'label' appears twice"):
        load(path)


@pytest.mark.parametrize(("kind", "text", "stored"), [
    ("geopoint", "35.6812, 139.7671", "35.6812 139.7671"),
    ("geopoint", "35.6812 139.7671 40 5", "35.6812 139.7671 40 5"),
    ("geotrace", "35 139; 36 140", "35 139;36 140"),
    ("geoshape", "1 1; 1 2; 2 2; 1 1", "1 1;1 2;2 2;1 1"),
])
def test_geographic_answers(kind: str, text: str, stored: str) -> None:
    assert parse_geo(text, kind) == stored


@pytest.mark.parametrize(("kind", "text"), [
    ("geopoint", "91 0"), ("geopoint", "here"), ("geopoint", "1"), ("geotrace", "1 1"),
    ("geoshape", "1 1; 1 2; 2 2"), ("geopoint", "1 1 1 -5"),
])
def test_bad_geographic_answers(kind: str, text: str) -> None:
    with pytest.raises(AnswerError, match="geo"):
        parse_geo(text, kind)
