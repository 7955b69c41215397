"""Record-mapping checks: every mapped field exists in the records contract (contract.py) and every
code list matches its vocabulary."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from instruments.contract import MAPPABLE_TABLES, TABLES, Column, Table, vocabulary
from instruments.findings import Collector
from instruments.model import Group, Location, Question

#: Tables a repeat group may map each entry to (one row per entry).
ROW_TABLES = ("episodes", "skill_events")
#: Choice names the pipeline reads as booleans.
BOOLEAN_WORDS = ("yes", "no", "true", "false")
#: Question types that fit each column kind.
_FITS = {
    "date": ("date", "partial_date"),
    "datetime": (),
    "integer": ("integer", "select_one"),
    "number": ("integer", "decimal", "select_one"),
    "code": ("select_one", "select_multiple"),
    "boolean": ("select_one", "acknowledge"),
}


def _resolve(c: Collector, where: Location | None, field: str, target: str) -> tuple[Table, Column] | None:
    table_name, dot, column_name = target.partition(".")
    if table_name not in TABLES or table_name not in MAPPABLE_TABLES or not dot:
        close = difflib.get_close_matches(table_name, MAPPABLE_TABLES, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        c.error(where, field, f"{target!r} is not a 'table.column' of the records contract "
                f"(tables: {', '.join(MAPPABLE_TABLES)}){hint}")
        return None
    table = TABLES[table_name]
    try:
        return table, table.column(column_name)
    except KeyError:
        names = [col.name for col in table.columns + table.inputs]
        close = difflib.get_close_matches(column_name, names, n=1)
        hint = f"; did you mean {table_name}.{close[0]}?" if close else ""
        c.error(where, field, f"{table_name} has no column {column_name!r}{hint}")
        return None


def _allowed(column: Column) -> tuple[str, ...] | None:
    if column.kind == "code" and column.vocab:
        return vocabulary(column.vocab)
    if column.kind == "boolean":
        return BOOLEAN_WORDS
    return None


def _fits(value: str, allowed: tuple[str, ...]) -> bool:
    return value in allowed or value.casefold() in allowed or value.zfill(2) in allowed


def _check_constants(c: Collector, where: Location | None, field: str, table: Table,
                     constants: Mapping[str, str]) -> None:
    for name, value in constants.items():
        try:
            column = table.column(name)
        except KeyError:
            c.error(where, field, f"{table.name} has no column {name!r}")
            continue
        allowed = _allowed(column)
        if allowed is not None and not _fits(value, allowed):
            c.error(where, field, f"{value!r} is not a value of {table.name}.{name} ({', '.join(allowed)})")


def _check_codes(c: Collector, q: Question, column: Column, target: str) -> None:
    allowed = _allowed(column)
    choices = c.instrument.choice_lists.get(q.choices or "")
    if choices is None:
        return
    names = {ch.name for ch in choices}
    for key, code in q.record_codes.items():
        if key not in names:
            c.warning(q.location, f"{q.name}.record_codes", f"{key!r} is not a choice of {q.choices!r}")
        if allowed is not None and code and not _fits(code, allowed):
            c.error(q.location, f"{q.name}.record_codes", f"{code!r} is not a value of {target}")
    if allowed is None:
        if column.kind in ("integer", "number"):
            for ch in choices:
                code = q.record_codes.get(ch.name, ch.name)
                if not code.lstrip("-").replace(".", "", 1).isdigit():
                    c.error(ch.location or q.location, f"{q.name}.choices",
                            f"choice {ch.name!r} of {q.choices!r} is not a number for {target}")
        return
    for ch in choices:
        code = q.record_codes.get(ch.name, ch.name)
        if code and not _fits(code, allowed):
            vocab = column.vocab or "boolean"
            c.error(ch.location or q.location, f"{q.name}.choices",
                    f"choice {ch.name!r} of {q.choices!r} is not a code of {vocab} (mapped by {target}); "
                    f"use a code ({', '.join(allowed)}) or map it in record_codes")


def _check_question(c: Collector, q: Question, row_table: str | None, in_repeat: bool) -> None:
    field = f"{q.name}.record"
    if q.record is None:
        if q.record_with or q.record_codes:
            c.warning(q.location, field, "record_with/record_codes without record")
        return
    if q.is_contact:
        c.error(q.location, field, "contact data (phone, e-mail, contact: true) is never mapped to records")
        return
    resolved = _resolve(c, q.location, field, q.record)
    if resolved is None:
        return
    table, column = resolved
    fanout = q.type == "select_multiple" and table.name != row_table and table.name in ROW_TABLES
    if table.name in ("participants", "firms") and in_repeat:
        c.error(q.location, field, f"{q.record} inside a repeat: every entry would overwrite the same row")
    elif table.name in ROW_TABLES and not fanout and table.name != row_table:
        where = f"a repeat with record: {table.name}" if table.name == "episodes" else \
            f"a repeat with record: {table.name}, or a select_multiple (one row per choice)"
        c.error(q.location, field, f"{q.record} belongs in {where}")
    if q.type == "select_multiple" and not fanout and column.kind not in ("string",):
        c.error(q.location, field, f"a select_multiple gives several values, but {q.record} holds one "
                f"{column.kind}; map it to skill_events.<column> (one row per choice)")
    fitting = _FITS.get(column.kind)
    if fitting is not None and q.type not in (*fitting, "calculate", "hidden"):
        c.warning(q.location, field, f"a {q.type} question feeds a {column.kind} column ({q.record})")
    if q.type in ("select_one", "select_multiple"):
        _check_codes(c, q, column, q.record)
    if q.record_with:
        if not fanout:
            c.warning(q.location, f"{q.name}.record_with",
                      "record_with is used only by a fan-out select_multiple")
        _check_constants(c, q.location, f"{q.name}.record_with", table, q.record_with)


def _walk(c: Collector, children: tuple[Question | Group, ...], row_table: str | None,
          in_repeat: bool) -> None:
    for node in children:
        if isinstance(node, Question):
            _check_question(c, node, row_table, in_repeat)
            continue
        table = row_table
        if node.record is not None:
            if not node.repeat:
                c.error(node.location, f"{node.name}.record", "record on a group that is not a repeat")
            elif node.record not in ROW_TABLES:
                tables = " or ".join(ROW_TABLES)
                c.error(node.location, f"{node.name}.record",
                        f"a repeat maps each entry to a row of {tables}, not {node.record!r}")
            else:
                table = node.record
                _check_constants(c, node.location, f"{node.name}.record_with", TABLES[table],
                                 node.record_with)
        elif node.record_with:
            c.warning(node.location, f"{node.name}.record_with", "record_with without record")
        elif node.repeat:
            table = None
        _walk(c, node.children, table, in_repeat or node.repeat)


def check_records(c: Collector) -> None:
    _walk(c, c.instrument.groups, None, False)
