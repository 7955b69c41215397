"""``missing_required`` flags: which required answers a submitted response lacks.

The same rule as the form (``instruments.engine.required_missing``): a required question that is
relevant and unanswered, or a relevant repeat below its minimum. Answered questions need no
expression at all, so only the (rare) unanswered required ones are checked for relevance with the
engine's expressions: a complete response costs one walk over its answers, not an evaluation of
every expression.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import compress
from operator import not_
from typing import Any

from instruments.convert import NOT_ANSWERED
from instruments.engine import with_calculations
from instruments.errors import ExpressionError
from instruments.expressions import (
    Binary,
    Context,
    Number,
    Ref,
    String,
    Value,
    evaluate_bool,
    evaluate_string,
    parse,
    resolve_in,
)
from instruments.expressions.values import is_numeric, normalise
from instruments.model import Group, Instrument, Question

from .extract import Problem, RawRow

EntryPath = tuple[tuple[str, int], ...]


_CALCULATING: dict[int, tuple[Instrument, bool]] = {}


def _has_calculations(instrument: Instrument) -> bool:
    """Whether relevance can depend on calculations (else the answers are the evaluation state)."""
    hit = _CALCULATING.get(id(instrument))
    if hit is None or hit[0] is not instrument:
        if len(_CALCULATING) > 256:
            _CALCULATING.clear()
        calculates = any(q.type == "calculate" for q in instrument.questions())
        hit = _CALCULATING[id(instrument)] = (instrument, calculates)
    return hit[1]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@functools.lru_cache(maxsize=1024)
def _equals_text(expression: str) -> tuple[str, str] | None:
    """``(name, text)`` when ``expression`` is ``${name} = 'text'`` with a text that is not a number (most
    relevance rules: ``${recognised} = 'yes'``), else None. Such a rule is true exactly when the answer's value
    is that same text, when the value is a text (``instruments.expressions.values.equals``)."""
    try:
        node = parse(expression)
    except ExpressionError:
        return None
    if (isinstance(node, Binary) and node.op == "=" and isinstance(node.left, Ref) and isinstance(node.right, String)
            and not is_numeric(node.right.value)):
        return node.left.name, node.right.value
    return None


@functools.lru_cache(maxsize=1024)
def _constant_count(expression: str) -> int | None:
    """The repeat count a literal ``repeat_count`` (``"1"``) gives in any context, else None (evaluated per entry)."""
    try:
        if not isinstance(parse(expression), Number | String):
            return None
        return int(float(evaluate_string(expression, Context({}, date.min))))
    except (ExpressionError, ValueError, OverflowError):
        return None


#: A group or question whose ``relevant`` rule is to be checked, with the rule's :func:`_equals_text` form.
Condition = tuple[Question | Group, tuple[str, str] | None]
#: The ``low`` of a repeat whose minimum is an expression to evaluate per entry.
_PER_ENTRY = -1


class _Check:
    def __init__(self, instrument: Instrument, answers: Mapping[str, Any], today: date) -> None:
        self.instrument, self.answers, self.today = instrument, answers, today
        self.missing: list[str] = []
        self._state: dict[str, Any] | None = None
        #: Whether relevance is decided on the answers themselves (no calculations).
        self._plain = not _has_calculations(instrument)
        #: (id of a node, entry path) -> its own ``relevant`` result: siblings share their groups'.
        self._seen: dict[tuple[int, EntryPath], bool] = {}

    def state(self) -> Mapping[str, Any]:
        if self._plain:
            return self.answers
        if self._state is None:
            self._state = with_calculations(self.instrument, self.answers, today=self.today)
        return self._state

    def relevant(self, conditions: tuple[Condition, ...], path: EntryPath,
                 scopes: tuple[Mapping[str, Any], ...]) -> bool:
        """Every condition (the node's ``relevant`` and its enclosing groups', outermost first) holds, as the
        engine decides; ``scopes`` are the answers at ``path``, the innermost entry first."""
        for item, simple in conditions:
            key = (id(item), path)
            shown = self._seen.get(key)
            if shown is None:
                shown = self._seen[key] = self._shown(item, simple, path, scopes)
            if not shown:
                return False
        return True

    def _shown(self, item: Question | Group, simple: tuple[str, str] | None, path: EntryPath,
               scopes: tuple[Mapping[str, Any], ...]) -> bool:
        if simple is not None:  # ${name} = 'text': what the evaluator gives, without walking the tree
            name, text = simple
            if self._plain:  # resolve_in(name, answers, path): from the innermost entry that has the name
                value: Value = ""
                for scope in scopes:
                    if name in scope:
                        value = normalise(scope[name])
                        break
            else:
                value = resolve_in(name, self.state(), path)
            if isinstance(value, str):
                return value == text
        try:
            return evaluate_bool(item.relevant or "", Context(self.state(), self.today, entry=path))
        except ExpressionError:
            return True  # a broken expression is the checker's finding: the question was shown

    def required(self, question: Question, path: EntryPath) -> bool:
        if isinstance(question.required, bool):
            return question.required
        try:
            return evaluate_bool(question.required, Context(self.state(), self.today, entry=path, current=""))
        except ExpressionError:
            return False

    def minimum(self, group: Group, path: EntryPath) -> int | None:
        if not group.repeat_count:
            return group.min_count
        constant = _constant_count(group.repeat_count)
        if constant is not None:
            return constant
        try:
            context = Context(self.state(), self.today, entry=path)
            return int(float(evaluate_string(group.repeat_count, context)))
        except (ExpressionError, ValueError, OverflowError):
            return group.min_count

    def walk(self, plan: _Scope, scope: Mapping[str, Any], path: EntryPath,
             scopes: tuple[Mapping[str, Any], ...]) -> None:
        """Check one level's answers (``scope``, at ``path``; ``scopes`` from it out to the top level)."""
        get = scope.get
        # Only the questions whose answer is falsy can be empty: picked out in C (``compress``), then checked.
        for name, question, conditions, always in compress(plan.questions, map(not_, map(get, plan.names))):
            value = get(name)
            if ((value is None or _empty(value)) and (not conditions or self.relevant(conditions, path, scopes))
                    and (always or self.required(question, path))):
                self.missing.append(_prefix(path) + name)
        for group, conditions, inner, low in plan.repeats:
            name = group.name
            entries = get(name)
            entries = entries if isinstance(entries, list) else []
            if low == _PER_ENTRY:
                low = self.minimum(group, path)
            if low is not None and len(entries) < low and self.relevant(conditions, path, scopes):
                self.missing.append(_prefix(path) + name)
            for index, entry in enumerate(entries):
                if type(entry) is dict or isinstance(entry, Mapping):
                    self.walk(inner, entry, (*path, (name, index)), (entry, *scopes))


def _prefix(path: EntryPath) -> str:
    """The answer path of the entry at ``path`` with a trailing dot (``jobs[1].``), ``""`` at the top."""
    return "".join(f"{name}[{index}]." for name, index in path)


@dataclass(frozen=True)
class _Scope:
    """The required questions and the repeats of one level of an instrument, each with the ``relevant`` rules
    of it and its enclosing groups (outermost first), computed once per instrument."""

    #: (name, question, conditions, whether it is always required: ``required`` is True)
    questions: tuple[tuple[str, Question, tuple[Condition, ...], bool], ...]
    #: (group, conditions, its inner scope, its minimum: None without one, ``_PER_ENTRY`` when evaluated per entry)
    repeats: tuple[tuple[Group, tuple[Condition, ...], _Scope, int | None], ...]
    #: The names of ``questions``, in their order.
    names: tuple[str, ...] = ()


def _conditions(chain: tuple[Question | Group, ...]) -> tuple[Condition, ...]:
    return tuple((item, _equals_text(item.relevant)) for item in chain if item.relevant)


def _minimum(group: Group) -> int | None:
    """A repeat's minimum when it is the same for every entry, ``_PER_ENTRY`` when it is evaluated per entry."""
    if not (group.min_count or group.repeat_count):
        return None
    if not group.repeat_count:
        return group.min_count
    constant = _constant_count(group.repeat_count)
    return constant if constant is not None else _PER_ENTRY


def _compile(children: tuple[Question | Group, ...], chain: tuple[Question | Group, ...]) -> _Scope:
    questions: list[tuple[str, Question, tuple[Condition, ...], bool]] = []
    repeats: list[tuple[Group, tuple[Condition, ...], _Scope, int | None]] = []

    def visit(nodes: tuple[Question | Group, ...], outer: tuple[Question | Group, ...]) -> None:
        for node in nodes:
            if isinstance(node, Group) and node.repeat:
                repeats.append((node, _conditions((*outer, node)), _compile(node.children, (*outer, node)),
                                _minimum(node)))
            elif isinstance(node, Group):
                visit(node.children, (*outer, node))
            elif node.required and node.type not in NOT_ANSWERED:
                questions.append((node.name, node, _conditions((*outer, node)), node.required is True))

    visit(children, chain)
    return _Scope(tuple(questions), tuple(repeats), tuple(name for name, _, _, _ in questions))


_SCOPES: dict[int, tuple[Instrument, _Scope]] = {}


def _scope_of(instrument: Instrument) -> _Scope:
    hit = _SCOPES.get(id(instrument))
    if hit is None or hit[0] is not instrument:
        if len(_SCOPES) > 256:
            _SCOPES.clear()
        hit = _SCOPES[id(instrument)] = (instrument, _compile(tuple(instrument.groups), ()))
    return hit[1]


def missing_paths(instrument: Instrument, answers: Mapping[str, Any], today: date) -> list[str]:
    """Paths (``jobs[1].start``) of relevant required answers left empty and of repeats below their
    minimum: what ``instruments.engine.required_missing`` finds, faster."""
    check = _Check(instrument, answers, today)
    check.walk(_scope_of(instrument), answers, (), (answers,))
    return check.missing


def _owner(rows: list[RawRow], path: str) -> RawRow | None:
    best: RawRow | None = None
    for row in rows:
        if row.path and path.startswith(row.path + ".") and (best is None or len(row.path) > len(best.path)):
            best = row
    return best


def required_problems(instrument: Instrument, answers: Mapping[str, Any], rows: list[RawRow],
                      today: date) -> list[Problem]:
    """One ``missing_required`` problem per missing answer, tied to the entry's row when in a repeat.

    ``today`` is the response's reference date (``today()`` in relevance expressions).
    """
    return [Problem("missing_required", f"{path}: no answer", _owner(rows, path))
            for path in missing_paths(instrument, answers, today)]
