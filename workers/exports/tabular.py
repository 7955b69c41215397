"""Streaming writers: every table as CSV, one XLSX workbook and Parquet, in one pass over its rows.

A table arrives either as Arrow record batches (PostgreSQL: ``COPY ... TO STDOUT`` parsed by Arrow's
streaming CSV reader) or as row tuples (SQLite, tests), which are turned into record batches here.
Either way the writers see record batches of exactly ``BATCH_ROWS`` rows (the last one shorter), so
the same records give the same bytes whatever their source; each batch is written to the three
files and dropped, so memory does not grow with the study.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from itertools import chain, islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workers.exports import xlsx
from workers.exports.schema import STS_PAD, STS_SOURCE, ExportTable

Rows = Iterable[Sequence[Any]] | Iterable[pa.RecordBatch]
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


def batches(rows: Iterable[Sequence[Any]], size: int = BATCH_ROWS) -> Iterator[list[Sequence[Any]]]:
    """Split an iterable of rows into lists of at most ``size`` rows."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def arrow_schema(table: ExportTable) -> pa.Schema:
    """The Parquet schema of a table (codes and partial dates as strings, times in UTC)."""
    return pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in table.columns])


def record_batches(table: ExportTable, rows: Rows, size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of ``table`` as record batches of its :func:`arrow_schema`, ``size`` rows each (the last shorter).

    ``rows`` gives either row tuples in the table's column order or record batches of any length (with
    the table's columns, in order): both come out cut at the same row counts, which keeps Parquet's row
    groups, and so its bytes, independent of where the rows came from.
    """
    schema = arrow_schema(table)
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return
    if isinstance(first, pa.RecordBatch):
        yield from _rebatch(chain([first], it), schema, size)
        return
    for batch in batches(chain([first], it), size):
        columns = list(zip(*batch, strict=True))
        arrays = [pa.array(values, type=f.type) for values, f in zip(columns, schema, strict=True)]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _rebatch(parts: Iterable[pa.RecordBatch], schema: pa.Schema, size: int) -> Iterator[pa.RecordBatch]:
    pending: list[pa.RecordBatch] = []
    count = 0
    for part in parts:
        if part.num_rows == 0:
            continue
        if part.schema != schema:
            part = pa.RecordBatch.from_arrays(part.columns, schema=schema)
        pending.append(part)
        count += part.num_rows
        while count >= size:
            joined = pa.Table.from_batches(pending, schema=schema)
            yield _one_batch(joined.slice(0, size), schema)
            pending = joined.slice(size).to_batches()
            count -= size
    if count:
        yield _one_batch(pa.Table.from_batches(pending, schema=schema), schema)


def _one_batch(table: pa.Table, schema: pa.Schema) -> pa.RecordBatch:
    combined = table.combine_chunks()
    return pa.RecordBatch.from_arrays([column.chunk(0) if column.num_chunks else pa.array([], type=column.type)
                                       for column in combined.columns], schema=schema)


def open_workbook(path: Path, tmpdir: Path) -> xlsx.Workbook:
    """The bundle's XLSX workbook, written sheet by sheet as the tables stream (see :mod:`workers.exports.xlsx`)."""
    return xlsx.Workbook(path, tmpdir)


def _add_sheet(workbook: xlsx.Workbook, table: ExportTable) -> xlsx.Sheet:
    kinds = ["boolean" if c.kind == "boolean" else "number" if c.kind in ("integer", "number") else "string"
             for c in table.columns]
    return workbook.add_sheet(table.name, table.column_names, kinds)


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
    workbook: xlsx.Workbook | None,
    bom: bool = False,
    parquet: bool = True,
    batch_size: int = BATCH_ROWS,
) -> int:
    """Write ``<name>.csv``, ``<name>.parquet`` and a worksheet of ``workbook``; return the row count.

    Each record batch (see :func:`record_batches`) is written to Parquet as it is and to CSV after
    neutralising formulas (Arrow's CSV writer: strings quoted, ``\\r\\n`` line ends, empty = missing).
    ``parquet=False`` and ``workbook=None`` write the CSV file only (the benchmark's CSV part).
    """
    schema = arrow_schema(table)
    text_schema = csv_schema(table)
    sheet = _add_sheet(workbook, table) if workbook is not None else None
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
        for record in record_batches(table, rows, batch_size):
            text = _csv_batch(record, table, text_schema)  # the sheet shows what the CSV file holds
            csv_out.write_batch(text)
            if writer_pq is not None:
                writer_pq.write_batch(record)
            if sheet is not None:
                sheet.write(text)
            count += record.num_rows
        if count == 0:  # Arrow writes the header with the first batch
            csv_out.write_batch(pa.RecordBatch.from_pylist([], schema=text_schema))
    return count


def sts_cells(first_month: int | None, states: str | None) -> list[str]:
    """The monthly states of one STS row (``first_month`` only says where m001 starts)."""
    del first_month
    return [s for s in (states or "").split(",") if s]


_SPOOL_SCHEMA = pa.schema([pa.field("code", pa.string()), pa.field("states", pa.string())])
#: Text that Python's csv writer would quote (in a code; a state list is split at its commas).
_CSV_QUOTE_CODE = r"[,\"\r\n]"
_CSV_QUOTE_STATES = r"[\"\r\n]"


def _clean_states(states: pa.Array) -> tuple[pa.Array, pa.Array]:
    """States without empty cells (``a,,b,`` -> ``a,b``) and the number of cells of each row."""
    text = pc.fill_null(states, "")
    clean = pc.utf8_trim(pc.replace_substring_regex(text, ",{2,}", ","), ",")
    cells = pc.if_else(pc.equal(clean, ""), 0, pc.add(pc.count_substring(clean, ","), 1))
    return clean, cells


def write_sts(*, rows: Callable[[], Rows], path: Path, bom: bool = False) -> tuple[int, int]:
    """Write ``sequences_sts.csv`` from (participant_code, first_month, states) rows.

    The rows are read once into an Arrow spool file beside ``path`` while the longest sequence (the
    number of ``mNNN`` columns) is found; the CSV is then written from the spool, padding with ``%``
    after each sequence's end. Returns (rows, month columns).
    """
    spool = path.with_name(path.name + ".spool")
    width = count = 0
    with pa.OSFile(str(spool), "wb") as sink, pa.ipc.new_stream(sink, _SPOOL_SCHEMA) as spooled:
        for batch in record_batches(STS_SOURCE, rows()):
            codes = pc.fill_null(_neutralised(batch.column(0)), "")
            clean, cells = _clean_states(batch.column(2))
            width = max(width, pc.max(cells).as_py() or 0)
            spooled.write_batch(pa.RecordBatch.from_arrays([codes, clean], schema=_SPOOL_SCHEMA))
    try:
        with pa.OSFile(str(spool), "rb") as source, open(path, "wb") as fh:
            if bom:
                fh.write(codecs.BOM_UTF8)
            fh.write(_csv_line(["participant_code", *month_columns(width)]))
            for batch in pa.ipc.open_stream(source):
                _write_sts_batch(fh, batch.column(0), batch.column(1), width)
                count += batch.num_rows
    finally:
        spool.unlink(missing_ok=True)
    return count, width


def _csv_line(cells: Sequence[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode("utf-8")


def _write_sts_batch(fh: Any, codes: pa.Array, states: pa.Array, width: int) -> None:
    """Lines of the STS file: ``code,state,...,%,%`` made by Arrow for a whole batch (no Python string per
    row), or through the csv module for a batch with text that needs quoting."""
    _, cells = _clean_states(states)
    quoted = pc.any(pc.or_(pc.match_substring_regex(codes, _CSV_QUOTE_CODE),
                           pc.match_substring_regex(states, _CSV_QUOTE_STATES))).as_py()
    if quoted or (width == 0 and pc.any(pc.equal(codes, "")).as_py()):
        for code, joined, n in zip(codes.to_pylist(), states.to_pylist(), cells.to_pylist(), strict=True):
            fh.write(_csv_line([code, *(joined.split(",") if n else []), *([STS_PAD] * (width - n))]))
        return
    middle = pc.if_else(pc.equal(cells, 0), "", pc.binary_join_element_wise(pa.scalar(","), states, ""))
    pad = pc.binary_repeat(pa.scalar("," + STS_PAD), pc.subtract(pa.scalar(width, pa.int64()), cells))
    lines = pc.binary_join_element_wise(codes, middle, pad, pa.scalar("\r\n"), "")
    text = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "")
    fh.write(text[0].as_buffer())


def month_columns(width: int) -> list[str]:
    """``m001`` … the STS month column names."""
    digits = max(3, len(str(width)))
    return [f"m{i:0{digits}d}" for i in range(1, width + 1)]
