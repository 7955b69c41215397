"""SPSS (.sav) and Stata (.dta) files with variable and value labels, through pyreadstat.

Code columns become integers (the 1-based position of the code in its vocabulary) carrying the codes'
labels as value labels; booleans become 0/1. Repeated strings share one object, which keeps the frame
of a large study small. ReadStat stamps the time of writing into both headers; it is replaced by a
fixed time so the same rows give the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyreadstat

from workers.exports.labels import BOOLEAN_LABELS, value_labels
from workers.exports.schema import ExportTable

STATA_NAME_MAX = 32
LABEL_MAX = 80
_NUMERIC = ("integer", "number", "code", "boolean")


def _code_number(numbers: dict[str, float], value: Any) -> float:
    return math.nan if value is None else numbers.get(str(value), math.nan)


def _frame(table: ExportTable, rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
    # Columns are built as Arrow arrays batch by batch and handed to pandas as Arrow-backed text and
    # float columns: no Python object per cell, so the frame of a large study stays small.
    from workers.exports.tabular import arrow_schema, batches, iso_times

    schema = arrow_schema(table)
    chunks: list[list[pa.Array]] = [[] for _ in table.columns]
    for batch in batches(rows):
        for i, (values, field) in enumerate(zip(zip(*batch, strict=True), schema, strict=True)):
            chunks[i].append(pa.array(values, type=field.type))
    data = {}
    for col, field, parts in zip(table.columns, schema, chunks, strict=True):
        values = pa.chunked_array(parts, type=field.type)
        if col.kind == "code":
            numbers = pc.add(pc.index_in(values, value_set=pa.array(col.codes, type=pa.string())), 1)
            data[col.name] = pd.Series(pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False))
        elif col.kind in _NUMERIC:
            data[col.name] = pd.Series(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False))
        else:
            if col.kind == "datetime":
                values = pa.chunked_array([iso_times(c) for c in values.chunks], type=pa.string())
            data[col.name] = values.to_pandas()
        chunks[table.columns.index(col)] = []
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


def write_sav(*, table: ExportTable, rows: Iterable[Sequence[Any]], path: Path) -> None:
    """Write an SPSS system file with variable labels and value labels on code columns."""
    frame = _frame(table, rows)
    variable, values = _labels(table)
    pyreadstat.write_sav(
        frame, str(path), file_label=table.label[:64], column_labels=variable, variable_value_labels=values
    )
    del frame
    _fix_sav_time(path)


def write_dta(*, table: ExportTable, rows: Iterable[Sequence[Any]], path: Path) -> None:
    """Write a Stata 15 file (names <= 32 characters) with variable and value labels."""
    frame = _frame(table, rows)
    variable, values = _labels(table)
    pyreadstat.write_dta(
        frame,
        str(path),
        file_label=table.label[:80],
        column_labels=variable,
        version=15,
        variable_value_labels=values,
    )
    del frame
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
