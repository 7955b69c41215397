"""Follow a :class:`~workers.records.plan.Plan` through one response's answers into raw rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from threading import Lock
from typing import Any

from .plan import INTO_PARTICIPANT, INTO_ROW, NO_CONSTANTS, REPEAT, Constants, FieldMap, Plan, ScopePlan
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


#: A scope's compiled walk (:func:`compile_walk`): (reader, the scope's answers, their path, the entry's row or
#: None, the holder of the top-level firm row).
Walk = Callable[["_Reader", Mapping[str, Any], str, "RawRow | None", list[RawRow]], None]


class _Reader:
    def __init__(self, out: Extracted, plan: Plan, response_no: int, reference: date) -> None:
        self.out = out
        self.plan = plan
        self.response_no = response_no
        self.reference = reference

    def new_row(self, table: str, path: str, parent: RawRow | None, constants: Constants) -> RawRow:
        """A row of ``table`` holding ``constants``' cells (their problems noted)."""
        rows = self.out.rows
        row = RawRow(table, dict(constants.values), path, self.response_no, len(rows), parent, self.reference)
        rows.append(row)
        for problem in constants.problems:  # a constant outside the contract: the checker's finding
            self.out.problems.append(Problem("conversion_note", f"{path}: {problem}", row))
        return row

    def put(self, row_values: dict[str, Cell], fmap: FieldMap, value: object, path: str, name: str,
            row: RawRow | None) -> None:
        result = fmap.convert(value)
        if isinstance(result, Coerced):  # a problem (its value is None)
            self.problem(result, path, name, row)
        elif result is not None:
            row_values[fmap.column_name] = result

    def problem(self, result: Coerced, path: str, name: str, row: RawRow | None) -> None:
        where = f"{path}.{name}" if path and name else path or name
        self.out.problems.append(Problem(result.flag, f"{where}: {result.problem}", row))

    def fanout(self, fmap: FieldMap, value: object, path: str, row: RawRow | None) -> None:
        """A row of ``fmap.table`` per answer (per selected choice): its converted value, then the constants."""
        qpath = f"{path}.{fmap.question}" if path else fmap.question
        convert, column, table = fmap.convert, fmap.column_name, fmap.table
        constants, noted = fmap.constants.values, fmap.constants.problems
        rows, problems = self.out.rows, self.out.problems
        for item in value if isinstance(value, list) else [value]:
            values: dict[str, Cell] = {}
            child = RawRow(table, values, qpath, self.response_no, len(rows), row, self.reference)
            rows.append(child)
            result = convert(item)
            if isinstance(result, Coerced):
                self.problem(result, qpath, "", child)
            elif result is not None:
                values[column] = result
            values.update(constants)
            for problem in noted:
                problems.append(Problem("conversion_note", f"{qpath}: {problem}", child))

    def field(self, fmap: FieldMap, value: object, path: str, row: RawRow | None,
              top_firm: list[RawRow]) -> None:
        """An answer a compiled walk does not store itself (not fanned out): the participant row's, the
        entry's row's, or the top-level firm row's."""
        name = fmap.question
        if fmap.table == "participants":
            self.put(self.out.participant, fmap, value, path, name, row)
        elif row is not None:
            self.put(row.values, fmap, value, path, name, row)
        else:  # a firms.* question at the top: the manager's own firm row
            if not top_firm:
                top_firm.append(self.new_row("firms", "", None, NO_CONSTANTS))
            firm = top_firm[0]
            self.put(firm.values, fmap, value, path, name, firm)

    def repeat(self, repeat: ScopePlan, walk: Walk, answers: Mapping[str, Any], path: str,
               row: RawRow | None) -> None:
        """Each entry of a repeat group: its row (when the group makes rows), then its answers by ``walk``."""
        name = repeat.name
        entries = answers.get(name or "")
        if not isinstance(entries, list):
            return
        table = repeat.table
        for index, entry in enumerate(entries):
            if type(entry) is not dict and not isinstance(entry, Mapping):
                continue
            entry_path = f"{path}.{name}[{index}]" if path else f"{name}[{index}]"
            entry_row = row if table is None else self.new_row(table, entry_path, row, repeat.constants)
            walk(self, entry, entry_path, entry_row, [])


def compile_walk(scope: ScopePlan, has_row: bool) -> Walk:
    """The walk of ``scope``'s answers as one function, generated once per plan.

    Each step is written out in the instrument's order: an answer for the participant row or the entry's own
    row (``has_row``: the scope's entries, or an enclosing entry, make a row) is converted and stored in place;
    any other answer (fanned out, the top-level firm row) goes to :meth:`_Reader.field`; an inner repeat is
    walked by its own compiled walk. It does what stepping through ``scope.steps`` would, without deciding
    per answer what each step is.
    """
    namespace: dict[str, Any] = {"ABSENT": _ABSENT, "Coerced": Coerced}
    lines = ["def walk(reader, answers, path, row, top_firm):",
             "    get = answers.get",
             "    participant = reader.out.participant",
             "    values = row.values" if has_row else "    values = None"]
    for n, (question, convert, column, mode, item) in enumerate(scope.steps):
        namespace[f"item_{n}"] = item
        if mode == REPEAT:
            namespace[f"walk_{n}"] = compile_walk(item, has_row or item.table is not None)
            lines.append(f"    reader.repeat(item_{n}, walk_{n}, answers, path, row)")
            continue
        lines += [f"    value = get({question!r}, ABSENT)", "    if value is not ABSENT:"]
        into = "participant" if mode == INTO_PARTICIPANT else "values" if mode == INTO_ROW and has_row else None
        if into is None:  # fanned out, or the top-level firm row: the reader's
            if item.fanout:
                lines.append(f"        reader.fanout(item_{n}, value, path, row)")
            else:
                lines.append(f"        reader.field(item_{n}, value, path, row, top_firm)")
            continue
        namespace[f"convert_{n}"] = convert
        lines += [f"        result = convert_{n}(value)",
                  "        if isinstance(result, Coerced):",
                  f"            reader.problem(result, path, {question!r}, row)",
                  "        elif result is not None:",
                  f"            {into}[{column!r}] = result"]
    source = "\n".join(lines)
    exec(compile(source, f"<walk {scope.name or 'top'}>", "exec"), namespace)  # noqa: S102 - our own source
    walk: Walk = namespace["walk"]
    walk.source = source  # type: ignore[attr-defined]
    return walk


_WALKS: dict[int, tuple[Plan, Walk]] = {}
_LOCK = Lock()


def _walk_of(plan: Plan) -> Walk:
    """The compiled walk of a plan's top level (computed once per plan object)."""
    hit = _WALKS.get(id(plan))
    if hit is not None and hit[0] is plan:
        return hit[1]
    walk = compile_walk(plan.top, False)
    with _LOCK:
        if len(_WALKS) >= 256:
            _WALKS.clear()
        _WALKS[id(plan)] = (plan, walk)  # holding the plan keeps its id from being reused
    return walk


def extract(out: Extracted, plan: Plan, answers: Mapping[str, Any], meta: Mapping[str, Any],
            response_no: int, reference: date) -> None:
    """Read one response into ``out``: participant values, raw rows and problems, then meta flags."""
    first = len(out.rows)
    _walk_of(plan)(_Reader(out, plan, response_no, reference), answers, "", None, [])
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
