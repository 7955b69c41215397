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
    evaluate_bool,
    evaluate_string,
    parse,
    resolve_in,
)
from instruments.expressions.values import is_numeric
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


class _Check:
    def __init__(self, instrument: Instrument, answers: Mapping[str, Any], today: date) -> None:
        self.instrument, self.answers, self.today = instrument, answers, today
        self.missing: list[str] = []
        self._state: dict[str, Any] | None = None
        #: (id of a node, entry path) -> its own ``relevant`` result: siblings share their groups'.
        self._seen: dict[tuple[int, EntryPath], bool] = {}

    def state(self) -> Mapping[str, Any]:
        if not _has_calculations(self.instrument):
            return self.answers
        if self._state is None:
            self._state = with_calculations(self.instrument, self.answers, today=self.today)
        return self._state

    def relevant(self, chain: tuple[Question | Group, ...], path: EntryPath) -> bool:
        """The node (last in ``chain``) and every enclosing group are relevant (as the engine decides)."""
        for item in chain:
            if not item.relevant:
                continue
            key = (id(item), path)
            shown = self._seen.get(key)
            if shown is None:
                simple = _equals_text(item.relevant)
                value = resolve_in(simple[0], self.state(), path) if simple else None
                if simple and isinstance(value, str):
                    shown = value == simple[1]  # what the evaluator gives, without walking the tree
                else:
                    try:
                        shown = evaluate_bool(item.relevant, Context(self.state(), self.today, entry=path))
                    except ExpressionError:
                        shown = True  # a broken expression is the checker's finding: the question was shown
                self._seen[key] = shown
            if not shown:
                return False
        return True

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

    def walk(self, plan: _Scope, scope: Mapping[str, Any], path: EntryPath, prefix: str) -> None:
        get = scope.get
        # Only the questions whose answer is falsy can be empty: picked out in C (``compress``), then checked.
        for name, question, chain in compress(plan.questions, map(not_, map(get, plan.names))):
            value = get(name)
            if (value is None or _empty(value)) and self.relevant(chain, path) and self.required(question, path):
                self.missing.append(prefix + name)
        for group, chain, inner, counted in plan.repeats:
            entries = get(group.name)
            entries = entries if isinstance(entries, list) else []
            low = self.minimum(group, path) if counted else None
            if low is not None and len(entries) < low and self.relevant(chain, path):
                self.missing.append(prefix + group.name)
            for index, entry in enumerate(entries):
                if isinstance(entry, Mapping):
                    self.walk(inner, entry, (*path, (group.name, index)), f"{prefix}{group.name}[{index}].")


@dataclass(frozen=True)
class _Scope:
    """The required questions and the repeats of one level of an instrument, each with its chain of
    enclosing groups (for relevance), computed once per instrument."""

    #: (name, question, chain)
    questions: tuple[tuple[str, Question, tuple[Question | Group, ...]], ...]
    #: (group, chain, its inner scope, whether it has a minimum: ``min_count`` or ``repeat_count``)
    repeats: tuple[tuple[Group, tuple[Question | Group, ...], _Scope, bool], ...]
    #: The names of ``questions``, in their order.
    names: tuple[str, ...] = ()


def _compile(children: tuple[Question | Group, ...], chain: tuple[Question | Group, ...]) -> _Scope:
    questions: list[tuple[str, Question, tuple[Question | Group, ...]]] = []
    repeats: list[tuple[Group, tuple[Question | Group, ...], _Scope, bool]] = []

    def visit(nodes: tuple[Question | Group, ...], outer: tuple[Question | Group, ...]) -> None:
        for node in nodes:
            if isinstance(node, Group) and node.repeat:
                repeats.append((node, (*outer, node), _compile(node.children, (*outer, node)),
                                bool(node.min_count or node.repeat_count)))
            elif isinstance(node, Group):
                visit(node.children, (*outer, node))
            elif node.required and node.type not in NOT_ANSWERED:
                questions.append((node.name, node, (*outer, node)))

    visit(children, chain)
    return _Scope(tuple(questions), tuple(repeats), tuple(name for name, _, _ in questions))


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
    check.walk(_scope_of(instrument), answers, (), "")
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
