"""Streaming writers: every table as CSV, one XLSX workbook and Parquet, in one pass over its rows.

Rows arrive in batches from an iterable (the database layer reads them with server-side cursors);
each batch is written to the three files and dropped, so memory does not grow with the study.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from workers.exports.cells import as_text, iso_utc, neutralise
from workers.exports.schema import STS_PAD, ExportTable

Rows = Iterable[Sequence[Any]]
#: Fixed document time of the workbook, so the same rows give the same bytes.
FIXED_TIME = datetime(2000, 1, 1)  # noqa: DTZ001 - xlsxwriter wants a naive time
BATCH_ROWS = 5000

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.string(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "code": pa.string(),
}


def batches(rows: Rows, size: int = BATCH_ROWS) -> Iterator[list[Sequence[Any]]]:
    """Split an iterable of rows into lists of at most ``size`` rows."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def arrow_schema(table: ExportTable) -> pa.Schema:
    """The Parquet schema of a table (codes and partial dates as strings, times in UTC)."""
    return pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in table.columns])


def open_workbook(path: Path, tmpdir: Path) -> xlsxwriter.Workbook:
    """An XLSX workbook flushed row by row (``constant_memory``) with a fixed document time."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "tmpdir": str(tmpdir),
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"created": FIXED_TIME})
    return workbook


class _Sheet:
    def __init__(self, workbook: xlsxwriter.Workbook, table: ExportTable) -> None:
        self.sheet = workbook.add_worksheet(table.name[:31])
        self.bold = workbook.add_format({"bold": True})
        self.sheet.write_row(0, 0, table.column_names, self.bold)
        self.row = 1

    def write(self, batch: Sequence[Sequence[Any]]) -> None:
        sheet = self.sheet
        for values in batch:
            if self.row >= 1_048_576:
                raise ValueError("table too large for one XLSX worksheet (1,048,576 rows)")
            for col, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(self.row, col, value)
                elif isinstance(value, int | float):
                    sheet.write_number(self.row, col, value)
                elif isinstance(value, datetime):
                    sheet.write_string(self.row, col, iso_utc(value))
                else:
                    sheet.write_string(self.row, col, neutralise(str(value)))
            self.row += 1


def write_table(
    *,
    table: ExportTable,
    rows: Rows,
    directory: Path,
    workbook: xlsxwriter.Workbook | None,
    bom: bool = False,
    batch_size: int = BATCH_ROWS,
) -> int:
    """Write ``<name>.csv``, ``<name>.parquet`` and a worksheet of ``workbook``; return the row count."""
    schema = arrow_schema(table)
    sheet = _Sheet(workbook, table) if workbook is not None else None
    count = 0
    encoding = "utf-8-sig" if bom else "utf-8"
    with (
        open(directory / f"{table.name}.csv", "w", encoding=encoding, newline="") as fh,
        pq.ParquetWriter(directory / f"{table.name}.parquet", schema, compression="zstd") as parquet,
    ):
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(table.column_names)
        for batch in batches(rows, batch_size):
            writer.writerows([as_text(v) for v in values] for values in batch)
            if sheet is not None:
                sheet.write(batch)
            columns = list(zip(*batch, strict=True))
            parquet.write_batch(
                pa.record_batch(
                    [
                        pa.array(list(values), type=field.type)
                        for values, field in zip(columns, schema, strict=True)
                    ],
                    schema=schema,
                )
            )
            count += len(batch)
    return count


def sts_cells(first_month: int | None, states: str | None) -> list[str]:
    """The monthly states of one STS row (``first_month`` only says where m001 starts)."""
    del first_month
    return [s for s in (states or "").split(",") if s]


def write_sts(*, rows: Callable[[], Rows], path: Path, bom: bool = False) -> tuple[int, int]:
    """Write ``sequences_sts.csv`` from (participant_code, first_month, states) rows.

    Two passes: the first finds the longest sequence (the number of ``mNNN`` columns), the second
    writes, padding with ``%`` after each sequence's end. Returns (rows, month columns).
    """
    width = max((len(sts_cells(r[1], r[2])) for r in rows()), default=0)
    count = 0
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["participant_code", *month_columns(width)])
        for code, first, states in rows():
            cells = sts_cells(first, states)
            writer.writerow([as_text(code), *cells, *([STS_PAD] * (width - len(cells)))])
            count += 1
    return count, width


def month_columns(width: int) -> list[str]:
    """``m001`` … the STS month column names."""
    digits = max(3, len(str(width)))
    return [f"m{i:0{digits}d}" for i in range(1, width + 1)]
