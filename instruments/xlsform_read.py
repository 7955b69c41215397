"""Read an XLSForm workbook into pyxform's sheet data, with size limits and row numbers.

``.xlsx`` workbooks are read here (openpyxl, read-only) so that limits apply *while* reading: the file
size, the uncompressed size, the number of rows of a sheet and the length of a cell. Reading stops at
the last row with content (after a run of empty rows, as pyxform does), however many rows a sheet
claims. Empty rows inside a sheet are kept as ``{}`` so that the index of a row gives its number in
the sheet (``index + 2``). Other formats pyxform reads (``.xls``, ``.csv``, ``.md``) go through
pyxform's own readers. Anything malformed is an :class:`~instruments.errors.InstrumentError`.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from instruments.errors import InstrumentError
from instruments.model import Location

#: Sheets pyxform reads; every other sheet of a workbook is ignored (as by pyxform and ODK).
SHEETS = ("survey", "choices", "settings", "external_choices", "entities", "osm")
#: pyxform stops after this many empty rows in a row; so do we.
EMPTY_RUN = 60
_SPACES = re.compile(r"( )+")


@dataclass(frozen=True)
class Limits:
    """Size limits of a workbook; ``KEIREKI_XLSFORM_MAX_BYTES``, ``…_MAX_ROWS``, ``…_MAX_CELL``."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 20_000
    max_cell: int = 10_000
    #: Uncompressed size of an ``.xlsx`` (a zip) against a zip bomb: this many times ``max_bytes``.
    max_ratio: int = 20

    @classmethod
    def from_env(cls) -> Limits:
        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            return int(raw) if raw.isdigit() and int(raw) > 0 else default

        base = cls()
        return cls(number("KEIREKI_XLSFORM_MAX_BYTES", base.max_bytes),
                   number("KEIREKI_XLSFORM_MAX_ROWS", base.max_rows),
                   number("KEIREKI_XLSFORM_MAX_CELL", base.max_cell))


def _check_size(path: Path, limits: Limits) -> None:
    where = Location(str(path))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InstrumentError(f"cannot read the workbook: {exc.strerror}", where) from exc
    if size > limits.max_bytes:
        raise InstrumentError(f"the workbook is {size:,} bytes, more than the limit of {limits.max_bytes:,} "
                              "(KEIREKI_XLSFORM_MAX_BYTES)", where)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InstrumentError(f"not an .xlsx workbook (not a zip file: {exc})", where) from exc
    if unpacked > limits.max_bytes * limits.max_ratio:
        raise InstrumentError(f"the workbook unpacks to {unpacked:,} bytes, more than "
                              f"{limits.max_ratio} times the limit of {limits.max_bytes:,}", where)


def _value(value: Any) -> str | None:
    from pyxform.xls2json_backends import is_empty, xlsx_value_to_str

    if isinstance(value, str):
        value = value.strip()
    return None if is_empty(value) else xlsx_value_to_str(value)


def _header(raw: tuple[Any, ...], where: Location) -> list[str | None]:
    columns: list[str | None] = []
    for value in raw:
        text = _value(value)
        if text is None:
            columns.append(None)
            continue
        text = _SPACES.sub(" ", text)
        if text in columns:
            raise InstrumentError(f"the column {text!r} appears twice in the header row", where)
        columns.append(text)
    while columns and columns[-1] is None:
        columns.pop()
    return columns


def _sheet_rows(sheet: Any, file: str, limits: Limits) -> tuple[list[dict[str, str]], list[str]]:
    name = sheet.title
    rows = sheet.iter_rows(values_only=True)
    header = _header(next(rows, ()), Location(file, 1, name))
    out: list[dict[str, str]] = []
    empty = 0
    for number, values in enumerate(rows, start=2):
        row: dict[str, str] = {}
        for column, value in zip(header, values, strict=False):
            text = _value(value) if column is not None else None
            if text is None:
                continue
            if len(text) > limits.max_cell:
                raise InstrumentError(f"column {column!r}: the cell has {len(text):,} characters, more than the "
                                      f"limit of {limits.max_cell:,} (KEIREKI_XLSFORM_MAX_CELL)",
                                      Location(file, number, name))
            row[column] = text  # type: ignore[index]
        if not row:
            empty += 1
            if empty > EMPTY_RUN:
                break
        else:
            empty = 0
        if number - 1 > limits.max_rows:
            raise InstrumentError(f"the sheet has more than {limits.max_rows:,} rows "
                                  "(KEIREKI_XLSFORM_MAX_ROWS)", Location(file, number, name))
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out, [c for c in header if c is not None]


def _read_xlsx(path: Path, limits: Limits) -> Any:
    from openpyxl import load_workbook
    from pyxform.xls2json_backends import DefinitionData

    file = str(path)
    book = load_workbook(file, read_only=True, data_only=True)
    try:
        data: dict[str, Any] = {"sheet_names": list(book.sheetnames), "fallback_form_name": path.stem}
        for title in book.sheetnames:
            key = title.strip().lower()
            if key not in SHEETS:
                if len(book.sheetnames) != 1:
                    continue
                key = "survey"  # a single sheet is the survey, whatever its name (as in pyxform)
            rows, header = _sheet_rows(book[title], file, limits)
            data[key] = rows
            data[f"{key}_header"] = [dict.fromkeys(header)] if header else []
            data[f"{key}_title"] = title
    finally:
        book.close()
    titles = {k[: -len("_title")]: data.pop(k) for k in list(data) if k.endswith("_title")}
    if "survey" not in data:
        raise InstrumentError("the workbook has no 'survey' sheet", Location(file))
    return DefinitionData(**data), titles


def read_definition(path: str | Path, limits: Limits | None = None) -> tuple[Any, dict[str, str]]:
    """pyxform's ``DefinitionData`` of a form file and the real titles of its sheets (``survey`` ->
    ``Survey``); raises :class:`InstrumentError` for a file too large or malformed."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    path = Path(path)
    limits = limits or Limits.from_env()
    _check_size(path, limits)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):  # .xlsm: an .xlsx with macros (never run)
            return _read_xlsx(path, limits)
        return get_xlsform(str(path)), {}
    except InstrumentError:
        raise
    except PyXFormError as exc:
        raise InstrumentError(str(exc), Location(str(path))) from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl/lxml/expat raise many kinds for a damaged file
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InstrumentError(f"the workbook is malformed and cannot be read ({detail})",
                              Location(str(path))) from exc
