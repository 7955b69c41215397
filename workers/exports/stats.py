"""SPSS (.sav) and Stata (.dta) files with variable and value labels, through pyreadstat.

Both files of a table are written from one data frame read column by column from the table's Parquet
file, written just before (no second read of the database). Code columns become numbers (the 1-based
position of the code in its vocabulary) carrying the codes' labels as value labels; booleans become
0/1; times become ISO text. pyreadstat needs the whole frame at once, so its columns are kept compact:
numbers in one float array each (float32 for codes and booleans), text as references to one Python
string per distinct value. ReadStat stamps the time of writing into both headers; it is replaced by a fixed time so
the same rows give the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyreadstat

from workers.exports.labels import BOOLEAN_LABELS, value_labels
from workers.exports.schema import ExportColumn, ExportTable
from workers.exports.tabular import iso_times

STATA_NAME_MAX = 32
LABEL_MAX = 80


def _series(col: ExportColumn, values: pa.ChunkedArray) -> pd.Series:
    """One column of the frame: numbers as float64 (NaN = missing), text as Arrow-backed strings."""
    if col.kind == "code":
        numbers = pc.add(pc.index_in(values, value_set=pa.array(col.codes, type=pa.string())), 1)
        return _numbers(numbers, pa.float32())
    if col.kind == "boolean":
        return _numbers(values, pa.float32())
    if col.kind in ("integer", "number"):
        return _numbers(values, pa.float64())
    if col.kind == "datetime":
        values = pa.chunked_array([iso_times(chunk) for chunk in values.chunks], type=pa.string())
    return _texts(values.combine_chunks() if values.num_chunks != 1 else values.chunk(0))


def _texts(values: pa.Array) -> pd.Series:
    """Text as Python strings, each distinct one made once (the column holds references to them): pyreadstat
    reads every cell through Python, and an object column reads twice as fast as an Arrow-backed one."""
    encoded = pc.dictionary_encode(values)
    words = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
    codes = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy(zero_copy_only=False)
    return pd.Series(words[codes], dtype=object, copy=False)


def _numbers(values: pa.ChunkedArray, kind: pa.DataType) -> pd.Series:
    """Numbers with NaN for missing. Codes and booleans (small whole numbers, exact in float32) take half
    the memory of float64; pyreadstat writes every float column as a double, so the files are the same."""
    numbers = pc.cast(values, kind).combine_chunks() if len(values) else pa.array([], kind)
    return pd.Series(numbers.to_numpy(zero_copy_only=False), dtype=kind.to_pandas_dtype(), copy=False)


def frame_from_parquet(table: ExportTable, path: Path) -> pd.DataFrame:
    """The SPSS/Stata frame of ``table`` from its Parquet file, one column at a time."""
    source = pq.ParquetFile(path)
    data: dict[str, Any] = {}
    for col in table.columns:
        data[col.name] = _series(col, source.read(columns=[col.name]).column(0))
    return pd.DataFrame(data, copy=False)


def _labels(table: ExportTable) -> tuple[dict[str, str | None], dict[str, dict[int | float, str]]]:
    names = [c.name for c in table.columns]
    if any(len(n) > STATA_NAME_MAX for n in names):
        raise ValueError(f"column names longer than {STATA_NAME_MAX} characters in {table.name}")
    variable: dict[str, str | None] = {c.name: c.label[:LABEL_MAX] for c in table.columns}
    values: dict[str, dict[int | float, str]] = {}
    for col in table.columns:
        if col.vocab:
            values[col.name] = {k: v for k, v in value_labels(col.vocab).items()}
        elif col.kind == "boolean":
            values[col.name] = {k: v for k, v in BOOLEAN_LABELS.items()}
    return variable, values


def measures(table: ExportTable) -> dict[str, str]:
    """SPSS measurement levels: counts and amounts are scale, codes, flags and text nominal."""
    return {c.name: "scale" if c.kind in ("integer", "number") else "nominal" for c in table.columns}


def write_stats(*, table: ExportTable, parquet: Path, sav: Path, dta: Path) -> None:
    """Write the SPSS and Stata files of ``table`` from its Parquet file."""
    frame = frame_from_parquet(table, parquet)
    write_sav(table=table, frame=frame, path=sav)
    write_dta(table=table, frame=frame, path=dta)


def write_sav(*, table: ExportTable, frame: pd.DataFrame, path: Path) -> None:
    """Write an SPSS system file with variable labels and value labels on code columns."""
    variable, values = _labels(table)
    pyreadstat.write_sav(
        frame, str(path), file_label=table.label[:64], column_labels=variable, variable_value_labels=values,
        variable_measure=measures(table),
    )
    _fix_sav_time(path)


def write_dta(*, table: ExportTable, frame: pd.DataFrame, path: Path) -> None:
    """Write a Stata 15 file (names <= 32 characters) with variable and value labels."""
    variable, values = _labels(table)
    pyreadstat.write_dta(
        frame,
        str(path),
        file_label=table.label[:80],
        column_labels=variable,
        version=15,
        variable_value_labels=values,
    )
    _fix_dta_time(path)


#: SPSS header: "$FL2", product (60), layout, cases, compression, weight, ncases (4 each), bias (8),
#: then the creation date "dd mmm yy" and time "hh:mm:ss".
_SAV_TIME_OFFSET = 4 + 60 + 4 * 5 + 8
_SAV_FIXED = b"01 Jan 00" + b"00:00:00"
_DTA_TIME = re.compile(rb"<timestamp>(.)")


def _fix_sav_time(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.seek(_SAV_TIME_OFFSET)
        fh.write(_SAV_FIXED)


def _fix_dta_time(path: Path) -> None:
    with open(path, "r+b") as fh:
        head = fh.read(512)
        match = _DTA_TIME.search(head)
        if match is None:
            return
        length = match.group(1)[0]
        fh.seek(match.end())
        fh.write(b"01 Jan 2000 00:00"[:length].ljust(length))
