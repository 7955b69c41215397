"""Compile an instrument's record mappings into a plan the converter follows.

Nothing here knows a question name: every mapping comes from ``Question.record`` /
``Group.record`` (see instruments/model.py). A plan is computed once per loaded instrument.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from instruments.contract import TABLES, Column, resolve
from instruments.model import Group, Instrument, Question

from .types import Cell
from .values import Converter, coerce, converter

#: Debrief instruments (filled by interviewers) give skill events the source ``interview``.
_INTERVIEW_AUDIENCES = frozenset({"researcher", "interviewer"})


@dataclass(frozen=True)
class Constants:
    """``record_with`` constants converted to cells once, and any that could not be converted."""

    values: Mapping[str, Cell]
    problems: tuple[str, ...] = ()


NO_CONSTANTS = Constants({})


@dataclass(frozen=True)
class FieldMap:
    """One mapped question: where its answer goes."""

    question: str
    qtype: str
    table: str
    column: Column
    #: True when each answer (each selected choice) makes its own row of ``table``.
    fanout: bool
    record_with: Mapping[str, str]
    record_codes: Mapping[str, str]
    #: ``record_with`` converted once: the constant cells of each fanned-out row.
    constants: Constants = field(default_factory=lambda: NO_CONSTANTS)
    #: ``coerce`` of this question's answers (``column``, ``record_codes``), specialised once.
    convert: Converter = field(init=False, repr=False, compare=False)
    #: Where an answer goes, worked out once: the participant row, or the row of the scope's entry (when
    #: there is one); otherwise (fanned-out rows, the top-level firm row) ``extract`` decides per answer.
    into_participant: bool = field(init=False, repr=False, compare=False)
    into_row: bool = field(init=False, repr=False, compare=False)
    column_name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "convert", converter(self.column, self.record_codes))
        object.__setattr__(self, "into_participant", not self.fanout and self.table == "participants")
        object.__setattr__(self, "into_row", not self.fanout and self.table != "participants")
        object.__setattr__(self, "column_name", self.column.name)


@dataclass(frozen=True)
class ScopePlan:
    """The top level of an instrument, or one repeat group: its mapped questions and inner repeats."""

    name: str | None
    #: Table whose row each entry makes (``episodes``, ``skill_events``, ``firms``), or None.
    table: str | None
    record_with: Mapping[str, str]
    #: Mapped questions and inner repeat groups, in the instrument's order.
    items: tuple[FieldMap | ScopePlan, ...]
    #: ``record_with`` converted once: the constant cells of each entry's row.
    constants: Constants = field(default_factory=lambda: NO_CONSTANTS)
    #: ``items`` as ``extract`` walks them, unpacked once: (question, converter, column name, mode, item) with
    #: mode ``REPEAT`` (item an inner ScopePlan), ``INTO_PARTICIPANT``, ``INTO_ROW`` or ``OTHER``.
    steps: tuple[tuple[str, Converter | None, str, int, Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps: list[tuple[str, Converter | None, str, int, Any]] = []
        for item in self.items:
            if isinstance(item, ScopePlan):
                steps.append(("", None, "", REPEAT, item))
            else:
                mode = INTO_PARTICIPANT if item.into_participant else INTO_ROW if item.into_row else OTHER
                steps.append((item.question, item.convert, item.column_name, mode, item))
        object.__setattr__(self, "steps", tuple(steps))


#: Modes of a :attr:`ScopePlan.steps` item.
REPEAT, INTO_PARTICIPANT, INTO_ROW, OTHER = range(4)


@dataclass(frozen=True)
class Plan:
    instrument_id: str
    version: str
    top: ScopePlan
    #: Default ``skill_events.source`` of this instrument.
    skill_source: str

    @functools.cached_property
    def maps_records(self) -> bool:
        """False for instruments with no record mapping at all (screening, consent)."""
        def any_mapping(scope: ScopePlan) -> bool:
            return scope.table is not None or any(
                isinstance(i, FieldMap) or any_mapping(i) for i in scope.items)
        return any_mapping(self.top)


def _compile_scope(name: str | None, table: str | None, record_with: Mapping[str, str],
                   children: tuple[Question | Group, ...]) -> ScopePlan:
    items: list[FieldMap | ScopePlan] = []

    def visit(nodes: tuple[Question | Group, ...]) -> None:
        for node in nodes:
            if isinstance(node, Group):
                if node.repeat:
                    items.append(_compile_scope(node.name, node.record, node.record_with, node.children))
                else:
                    visit(node.children)
                continue
            if node.record is None:
                continue
            table_def, column = resolve(node.record)
            tbl = table_def.name
            # The scope's own table, the participant row and (at the top) the firm row take values;
            # a question mapped to any other table makes rows of it: one per selected choice.
            own = tbl == table or tbl == "participants" or (table is None and tbl == "firms")
            items.append(FieldMap(
                question=node.name, qtype=node.type, table=tbl, column=column, fanout=not own,
                record_with=dict(node.record_with), record_codes=dict(node.record_codes),
                constants=_constants(tbl, node.record_with) if tbl != table else NO_CONSTANTS,
            ))

    visit(children)
    return ScopePlan(name, table, dict(record_with), tuple(items),
                     _constants(table, record_with) if table else NO_CONSTANTS)


def _constants(table: str, record_with: Mapping[str, str]) -> Constants:
    values: dict[str, Cell] = {}
    problems: list[str] = []
    for name, text in record_with.items():
        try:
            column = TABLES[table].column(name)
        except KeyError:
            problems.append(f"record_with {name!r} is not a column of {table}")
            continue
        result = coerce(text, column, {})
        if result.problem is not None:
            problems.append(f"record_with {result.problem}")
        if result.value is not None:
            values[name] = result.value
    return Constants(values, tuple(problems))


def compile_plan(instrument: Instrument) -> Plan:
    """Compile the record mappings of ``instrument`` (pure; see :func:`plan_for` for the cached one)."""
    top_children: tuple[Question | Group, ...] = tuple(instrument.groups)
    audience = instrument.settings.get("audience", "")
    debrief = audience in _INTERVIEW_AUDIENCES or instrument.settings.get("kind") == "debrief"
    return Plan(
        instrument_id=instrument.id,
        version=instrument.version,
        top=_compile_scope(None, None, {}, top_children),
        skill_source="interview" if debrief else "intake",
    )


_CACHE: dict[int, tuple[Instrument, Plan]] = {}
_CACHE_LIMIT = 256
_LOCK = Lock()


def plan_for(instrument: Instrument) -> Plan:
    """The plan of a loaded instrument, computed once per instrument object."""
    key = id(instrument)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is instrument:
        return hit[1]
    plan = compile_plan(instrument)
    with _LOCK:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = (instrument, plan)  # holding the instrument keeps its id from being reused
    return plan
