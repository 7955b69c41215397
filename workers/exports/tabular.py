"""Streaming writers: every table as CSV, one XLSX workbook and Parquet, in one pass over its rows.

Rows arrive in batches from an iterable (the database layer reads them with server-side cursors);
each batch is written to the three files and dropped, so memory does not grow with the study.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
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


#: A cell a spreadsheet would run as a formula, and text that is a plain number (left alone), in RE2 syntax.
_TRIGGER_RE = r"^[=+\-@\t\r]"
_NUMBER_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_CSV_OPTIONS = dict(include_header=True, quoting_style="needed", quoting_header="none", eol="\r\n")


def _neutralised(values: pa.Array) -> pa.Array:
    """Arrow version of :func:`workers.exports.cells.neutralise`, for a whole column at once."""
    risky = pc.and_(pc.match_substring_regex(values, _TRIGGER_RE),
                    pc.invert(pc.match_substring_regex(values, _NUMBER_RE)))
    if not pc.any(risky).as_py():
        return values
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), values, ""), values)


def iso_times(values: pa.Array) -> pa.Array:
    """UTC timestamps as ISO 8601 with ``Z``; microseconds only where there are some."""
    whole = pc.strftime(pc.cast(values, pa.timestamp("s", tz="UTC"), safe=False), format="%Y-%m-%dT%H:%M:%SZ")
    exact = pc.strftime(values, format="%Y-%m-%dT%H:%M:%SZ")
    return pc.if_else(pc.equal(pc.microsecond(values), 0), whole, exact)


def csv_schema(table: ExportTable) -> pa.Schema:
    """The CSV view of a table's Arrow schema: timestamps become ISO text."""
    return pa.schema([pa.field(c.name, pa.string() if c.kind == "datetime" else _ARROW[c.kind])
                      for c in table.columns])


def _csv_batch(batch: pa.RecordBatch, table: ExportTable, schema: pa.Schema) -> pa.RecordBatch:
    arrays = []
    for col, values in zip(table.columns, batch.columns, strict=True):
        if col.kind == "datetime":
            values = iso_times(values)
        elif pa.types.is_string(values.type):
            values = _neutralised(values)
        arrays.append(values)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_table(
    *,
    table: ExportTable,
    rows: Rows,
    directory: Path,
    workbook: xlsxwriter.Workbook | None,
    bom: bool = False,
    parquet: bool = True,
    batch_size: int = BATCH_ROWS,
) -> int:
    """Write ``<name>.csv``, ``<name>.parquet`` and a worksheet of ``workbook``; return the row count.

    Each batch of rows becomes one Arrow record batch, written to Parquet as it is and to CSV after
    neutralising formulas (Arrow's CSV writer: strings quoted, ``\\r\\n`` line ends, empty = missing).
    ``parquet=False`` and ``workbook=None`` write the CSV file only (the benchmark's CSV part).
    """
    schema = arrow_schema(table)
    text_schema = csv_schema(table)
    sheet = _Sheet(workbook, table) if workbook is not None else None
    count = 0
    with ExitStack() as stack:
        fh = stack.enter_context(open(directory / f"{table.name}.csv", "wb"))
        if bom:
            fh.write(codecs.BOM_UTF8)
        csv_out = stack.enter_context(pacsv.CSVWriter(fh, text_schema, write_options=pacsv.WriteOptions(
            **_CSV_OPTIONS)))
        writer_pq = (
            stack.enter_context(pq.ParquetWriter(directory / f"{table.name}.parquet", schema, compression="zstd"))
            if parquet
            else None
        )
        for batch in batches(rows, batch_size):
            columns = list(zip(*batch, strict=True))
            arrays = [pa.array(list(values), type=f.type) for values, f in zip(columns, schema, strict=True)]
            record = pa.RecordBatch.from_arrays(arrays, schema=schema)
            csv_out.write_batch(_csv_batch(record, table, text_schema))
            if writer_pq is not None:
                writer_pq.write_batch(record)
            if sheet is not None:
                sheet.write(batch)
            count += len(batch)
        if count == 0:  # Arrow writes the header with the first batch
            csv_out.write_batch(pa.RecordBatch.from_pylist([], schema=text_schema))
    return count


def sts_cells(first_month: int | None, states: str | None) -> list[str]:
    """The monthly states of one STS row (``first_month`` only says where m001 starts)."""
    del first_month
    return [s for s in (states or "").split(",") if s]


def write_sts(*, rows: Callable[[], Rows], path: Path, bom: bool = False) -> tuple[int, int]:
    """Write ``sequences_sts.csv`` from (participant_code, first_month, states) rows.

    The rows are read once into a spool file beside ``path`` while the longest sequence (the number of
    ``mNNN`` columns) is found; the CSV is then written from the spool, padding with ``%`` after each
    sequence's end. Returns (rows, month columns).
    """
    spool = path.with_name(path.name + ".spool")
    width = count = 0
    with open(spool, "w", encoding="utf-8", newline="") as out:
        spooled = csv.writer(out, lineterminator="\n")
        for code, first, states in rows():
            cells = sts_cells(first, states)
            width = max(width, len(cells))
            spooled.writerow([as_text(code), ",".join(cells)])
    try:
        with (open(spool, encoding="utf-8", newline="") as src,
              open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh):
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(["participant_code", *month_columns(width)])
            for code, joined in csv.reader(src):
                cells = joined.split(",") if joined else []
                writer.writerow([code, *cells, *([STS_PAD] * (width - len(cells)))])
                count += 1
    finally:
        spool.unlink(missing_ok=True)
    return count, width


def month_columns(width: int) -> list[str]:
    """``m001`` … the STS month column names."""
    digits = max(3, len(str(width)))
    return [f"m{i:0{digits}d}" for i in range(1, width + 1)]
