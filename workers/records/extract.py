"""Follow a :class:`~workers.records.plan.Plan` through one response's answers into raw rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .plan import INTO_PARTICIPANT, INTO_ROW, REPEAT, Constants, FieldMap, Plan, ScopePlan
from .types import Cell
from .values import Coerced

_ABSENT = object()


@dataclass(eq=False, slots=True)
class RawRow:
    """A row before derivation: converted mapped values (output columns and table inputs)."""

    table: str
    values: dict[str, Cell]
    #: Answer path of the repeat entry the row came from (``"jobs[1]"``), ``""`` at the top level.
    path: str
    response_no: int
    #: Encounter order over all responses of the participant (ties are broken by it).
    order: int
    parent: RawRow | None
    reference: date


@dataclass(eq=False, slots=True)
class Problem:
    """A quality flag found while reading answers, tied to the row it concerns when there is one."""

    flag: str
    detail: str
    row: RawRow | None


@dataclass
class Extracted:
    """Everything read from the participant's responses, in submission order."""

    participant: dict[str, Cell] = field(default_factory=dict)
    rows: list[RawRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Reader:
    def __init__(self, out: Extracted, plan: Plan, response_no: int, reference: date) -> None:
        self.out = out
        self.plan = plan
        self.response_no = response_no
        self.reference = reference

    def new_row(self, table: str, path: str, parent: RawRow | None) -> RawRow:
        row = RawRow(table, {}, path, self.response_no, len(self.out.rows), parent, self.reference)
        self.out.rows.append(row)
        return row

    def put(self, row_values: dict[str, Cell], fmap: FieldMap, value: object, path: str, name: str,
            row: RawRow | None) -> None:
        result = fmap.convert(value)
        if isinstance(result, Coerced):  # a problem (its value is None)
            self.problem(result, path, name, row)
        elif result is not None:
            row_values[fmap.column_name] = result

    def constants(self, row: RawRow, constants: Constants, path: str) -> None:
        row.values.update(constants.values)
        for problem in constants.problems:  # a constant outside the contract: the checker's finding
            self.out.problems.append(Problem("conversion_note", f"{path}: {problem}", row))

    def scope(self, scope: ScopePlan, answers: Mapping[str, Any], path: str,
              row: RawRow | None, top_firm: list[RawRow]) -> None:
        participant = self.out.participant
        values = row.values if row is not None else None
        get = answers.get
        for question, convert, column, mode, item in scope.steps:
            if mode == REPEAT:
                self.repeat(item, answers, path, row)
                continue
            value = get(question, _ABSENT)
            if value is _ABSENT:
                continue
            # The common cases inline (a value for the participant row or the entry's own row): as put().
            into = participant if mode == INTO_PARTICIPANT else values if mode == INTO_ROW else None
            if into is None or convert is None:
                self.field(item, value, path, row, top_firm)
                continue
            result = convert(value)
            if isinstance(result, Coerced):
                self.problem(result, path, question, row)
            elif result is not None:
                into[column] = result

    def problem(self, result: Coerced, path: str, name: str, row: RawRow | None) -> None:
        where = f"{path}.{name}" if path and name else path or name
        self.out.problems.append(Problem(result.flag, f"{where}: {result.problem}", row))

    def field(self, fmap: FieldMap, value: object, path: str, row: RawRow | None,
              top_firm: list[RawRow]) -> None:
        name = fmap.question
        if fmap.fanout:
            qpath = f"{path}.{name}" if path else name
            for item in value if isinstance(value, list) else [value]:
                child = self.new_row(fmap.table, qpath, row)
                self.put(child.values, fmap, item, qpath, "", child)
                self.constants(child, fmap.constants, qpath)
        elif fmap.table == "participants":
            self.put(self.out.participant, fmap, value, path, name, row)
        elif row is not None:
            self.put(row.values, fmap, value, path, name, row)
        else:  # a firms.* question at the top: the manager's own firm row
            if not top_firm:
                top_firm.append(self.new_row("firms", "", None))
            firm = top_firm[0]
            self.put(firm.values, fmap, value, path, name, firm)

    def repeat(self, repeat: ScopePlan, answers: Mapping[str, Any], path: str, row: RawRow | None) -> None:
        entries = answers.get(repeat.name or "")
        if not isinstance(entries, list):
            return
        for index, entry in enumerate(entries):
            if type(entry) is not dict and not isinstance(entry, Mapping):
                continue
            entry_path = f"{path}.{repeat.name}[{index}]" if path else f"{repeat.name}[{index}]"
            entry_row = row
            if repeat.table is not None:
                entry_row = self.new_row(repeat.table, entry_path, row)
                self.constants(entry_row, repeat.constants, entry_path)
            self.scope(repeat, entry, entry_path, entry_row, [])


def extract(out: Extracted, plan: Plan, answers: Mapping[str, Any], meta: Mapping[str, Any],
            response_no: int, reference: date) -> None:
    """Read one response into ``out``: participant values, raw rows and problems, then meta flags."""
    first = len(out.rows)
    _Reader(out, plan, response_no, reference).scope(plan.top, answers, "", None, [])
    rows = out.rows[first:]
    for row in rows:
        if row.table == "skill_events" and "source" not in row.values:
            row.values["source"] = plan.skill_source
    for item in meta.get("flags", ()) if isinstance(meta, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        path = str(item.get("path", ""))
        owner = _owner(rows, path)
        flag = str(item.get("flag", ""))
        detail = f"{path}: {item.get('detail', '')}".rstrip(": ")
        out.problems.append(Problem(flag, detail, owner))


def _owner(rows: list[RawRow], path: str) -> RawRow | None:
    """The row whose entry holds the answer at ``path`` (the deepest one), None at the top."""
    best: RawRow | None = None
    for row in rows:
        if row.path and (path == row.path or path.startswith(row.path + ".")):
            if best is None or len(row.path) > len(best.path):
                best = row
    return best
