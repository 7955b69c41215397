"""The streaming XLSX writer: what a reader gets back is what was written, cell by cell."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook

from workers.exports import xlsx

TEXTS = ["plain", "a & b <c> d", " leading", "trailing ", "line\nbreak", "tab\there", "bell\x07x", "cr\r\nlf",
         "_x0041_ literal", "ベトナム", "", None, "😀 emoji", "non-char \ufffe"]


def _write(tmp_path: Path, batches: list[pa.RecordBatch], kinds: list[str]) -> Path:
    path = tmp_path / "t.xlsx"
    book = xlsx.Workbook(path, tmp_path)
    sheet = book.add_sheet("people & <things>", [f.name for f in batches[0].schema], kinds)
    for batch in batches:
        sheet.write(batch)
    book.add_sheet("empty", ["x"], ["string"])
    book.close()
    return path


def _xlsxwriter_texts(tmp_path: Path) -> list[str | None]:
    """The texts as openpyxl reads them from XlsxWriter's workbook (what the export wrote before): openpyxl
    leaves Excel's ``_xHHHH_`` escapes of control characters as they are, Excel and LibreOffice decode them."""
    import xlsxwriter

    path = tmp_path / "reference.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet()
    for row, text in enumerate(TEXTS):
        if text is not None:
            sheet.write_string(row, 0, text)
    book.close()
    reader = load_workbook(path, read_only=True)
    values = [row[0] if row else None for row in reader.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    reader.close()
    return values + [None] * (len(TEXTS) - len(values))


def test_cells_read_back_as_written(tmp_path: Path) -> None:
    reference = _xlsxwriter_texts(tmp_path)
    n = len(TEXTS)
    batch = pa.RecordBatch.from_pydict({
        "text": pa.array(TEXTS, pa.string()),
        "count": pa.array([i if i % 3 else None for i in range(n)], pa.int64()),
        "share": pa.array([1 / 3, 0.1 + 0.2, 1e20, -0.0, 6.5, None, *[2.25] * (n - 6)], pa.float64()),
        "flag": pa.array([i % 2 == 0 if i % 4 else None for i in range(n)], pa.bool_()),
    })
    assert reference[:4] == TEXTS[:4]
    assert reference[9] == "ベトナム"
    path = _write(tmp_path, [batch.slice(0, 5), batch.slice(5)], ["string", "number", "number", "boolean"])
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["people & <things>", "empty"]
    rows = list(book["people & <things>"].iter_rows(values_only=True))
    assert rows[0] == ("text", "count", "share", "flag")
    assert len(rows) == n + 1
    for i, row in enumerate(rows[1:]):
        assert len(row) == 4  # the dimension pads rows whose last cells are missing
        assert row[0] == reference[i], i
        assert row[1] == batch.column(1)[i].as_py()
        expected = batch.column(2)[i].as_py()
        assert row[2] == expected or (expected is not None and math.isclose(row[2], expected))
        assert row[3] == batch.column(3)[i].as_py()
    assert list(book["empty"].iter_rows(values_only=True)) == [("x",)]
    book.close()


def test_same_rows_same_bytes_and_nothing_left_behind(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_pydict({"text": pa.array(TEXTS, pa.string())})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _write(tmp_path / "a", [batch], ["string"]).read_bytes()
    second = _write(tmp_path / "b", [batch], ["string"]).read_bytes()
    assert first == second
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["t.xlsx"]  # no spool file left
    with zipfile.ZipFile(tmp_path / "a" / "t.xlsx") as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        assert '<dimension ref="A1:A15"/>' in sheet
        assert "bell_x0007_x" in sheet
        assert "_x005F_x0041_ literal" in sheet
        assert "cr_x000D_\nlf" in sheet
        assert "a &amp; b &lt;c&gt; d" in sheet
        assert "2000-01-01T00:00:00Z" in zf.read("docProps/core.xml").decode()


def test_a_sheet_cannot_hold_more_rows_than_excel(tmp_path: Path) -> None:
    import pytest

    book = xlsx.Workbook(tmp_path / "t.xlsx", tmp_path)
    sheet = book.add_sheet("big", ["n"], ["number"])
    sheet.rows = xlsx.MAX_ROWS - 1
    with pytest.raises(ValueError, match="1,048,576"):
        sheet.write(pa.RecordBatch.from_pydict({"n": pa.array([1, 2], pa.int64())}))
    book.close()
