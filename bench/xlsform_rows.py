"""Reading an XLSForm whose sheet claims 1,048,576 rows, against openpyxl reading the same sheet.

    .venv/bin/python bench/xlsform_rows.py [--rows 1048576]

A spreadsheet program that touched the last row leaves a survey sheet of a few questions followed by
``--rows`` formatted empty rows (``<row r="n" s="1" customFormat="1"/>``). The baseline is what the old
reader did: openpyxl (read-only) iterating every row of the sheet. Keireki's reader
(:func:`instruments.xlsform.read_xlsform`) stops after a run of empty rows. Also times a 200,000-row
survey, which ``instruments check`` refuses at its row limit (``KEIREKI_XLSFORM_MAX_ROWS``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook

from instruments.errors import InstrumentError
from instruments.xlsform import read_xlsform


def _tall(path: Path, rows: int) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in [["type", "name", "label"], ["text", "name", "Your name"], ["integer", "age", "Age"]]:
        sheet.append(row)
    book.save(path)
    empty = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(4, rows + 1))
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as src:
        files = {info.filename: src.read(info.filename) for info in src.infolist()}
    files[member] = files[member].replace(b"</sheetData>", empty.encode() + b"</sheetData>")
    files[member] = files[member].replace(b'<dimension ref="A1:C3"/>', f'<dimension ref="A1:C{rows}"/>'.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in files.items():
            dst.writestr(name, data)


def _baseline(path: Path) -> int:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in book["survey"].iter_rows(values_only=True))
    finally:
        book.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_048_576)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tall = Path(tmp) / "tall.xlsx"
        _tall(tall, args.rows)
        print(f"workbook: {tall.stat().st_size:,} bytes, sheet claims {args.rows:,} rows")
        t0 = time.perf_counter()
        seen = _baseline(tall)
        t1 = time.perf_counter()
        inst = read_xlsform(tall)
        t2 = time.perf_counter()
        print(f"baseline (openpyxl, every row): {t1 - t0:6.2f} s ({seen:,} rows)")
        print(f"read_xlsform:                   {t2 - t1:6.2f} s ({len(list(inst.questions()))} questions)")
        print(f"ratio: {(t1 - t0) / max(t2 - t1, 1e-9):.0f}x faster")
        big = Path(tmp) / "big.xlsx"
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "survey"
        sheet.append(["type", "name", "label"])
        for n in range(200_000):
            sheet.append(["note", f"n{n}", "x"])
        book.save(big)
        t3 = time.perf_counter()
        try:
            read_xlsform(big)
            outcome = "accepted"
        except InstrumentError as exc:
            outcome = exc.message
        print(f"200,000-row survey: {time.perf_counter() - t3:.2f} s -> {outcome}")


if __name__ == "__main__":
    main()
