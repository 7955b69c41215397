"""SPSS (.sav) and Stata (.dta) files with variable and value labels, through pyreadstat.

Code columns become integers (the 1-based position of the code in its vocabulary) carrying the codes'
labels as value labels; booleans become 0/1. Repeated strings share one object, which keeps the frame
of a large study small. ReadStat stamps the time of writing into both headers; it is replaced by a
fixed time so the same rows give the same bytes.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyreadstat

from workers.exports.cells import iso_utc
from workers.exports.labels import BOOLEAN_LABELS, value_labels
from workers.exports.schema import ExportColumn, ExportTable

STATA_NAME_MAX = 32
LABEL_MAX = 80
_NUMERIC = ("integer", "number", "code", "boolean")


def _code_number(numbers: dict[str, float], value: Any) -> float:
    return math.nan if value is None else numbers.get(str(value), math.nan)


def _number_converter(col: ExportColumn) -> Callable[[Any], float]:
    if col.kind == "code":
        return partial(_code_number, {code: float(i) for i, code in enumerate(col.codes, start=1)})
    if col.kind == "boolean":
        return lambda v: math.nan if v is None else float(bool(v))
    return lambda v: math.nan if v is None else float(v)


def _text(value: Any) -> str | None:
    return None if value is None else (iso_utc(value) if isinstance(value, datetime) else str(value))


def _frame(table: ExportTable, rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
    # Numbers go into compact double arrays (8 bytes a cell), text into Arrow string chunks; pandas then
    # wraps both without copying (float64 numpy views, Arrow-backed ``str`` columns). No Python object
    # per cell survives a batch, so the frame of a large study stays small.
    from workers.exports.tabular import batches

    numeric = [col.kind in _NUMERIC for col in table.columns]
    to_number = [_number_converter(col) if is_number else None for col, is_number in zip(table.columns, numeric,
                                                                                           strict=True)]
    doubles: list[array[float]] = [array("d") for _ in table.columns]
    texts: list[list[pa.Array]] = [[] for _ in table.columns]
    for batch in batches(rows):
        for i, values in enumerate(zip(*batch, strict=True)):
            convert = to_number[i]
            if convert is not None:
                doubles[i].extend(map(convert, values))
            else:
                texts[i].append(pa.array(map(_text, values), type=pa.string(), size=len(values)))
    data: dict[str, Any] = {}
    for i, col in enumerate(table.columns):
        if numeric[i]:
            data[col.name] = pd.Series(np.frombuffer(doubles[i], dtype="float64") if len(doubles[i]) else [],
                                       dtype="float64")
        else:
            data[col.name] = pa.chunked_array(texts[i], type=pa.string()).to_pandas()
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
