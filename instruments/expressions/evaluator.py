"""Evaluate an expression tree against answers. Never ``eval``; the only error is ExpressionError."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from instruments.errors import ExpressionError
from instruments.expressions.functions import VALUE_FUNCTIONS
from instruments.expressions.nodes import (
    Call,
    Column,
    Current,
    Filter,
    Negate,
    Node,
    Number,
    Parent,
    Ref,
    Step,
    String,
)
from instruments.expressions.parser import parse
from instruments.expressions.values import (
    Value,
    arithmetic,
    compare,
    equals,
    normalise,
    split_selected,
    to_bool,
    to_number,
    to_string,
)

#: Where an expression is evaluated inside repeats: ``(repeat name, 0-based entry index)`` pairs,
#: outermost first.
EntryPath = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Context:
    """What an expression can see. ``today`` comes from here, never from the clock."""

    answers: Mapping[str, Any]
    today: date
    #: ``.``: the value being checked
    current: Any = ""
    #: the repeat entry being evaluated; a single ``(name, index)`` pair is accepted too
    entry: EntryPath | tuple[str, int] | None = None
    #: the choice being filtered by a ``choice_filter``: its name and extra columns; inside a predicate
    #: ``[ ]``, the repeat entry being tested (its answers)
    choice: Mapping[str, Any] | None = None
    #: values that are not stored answers (calculations), looked up after the answers
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: ``now()``: the time of the request (ISO text); today when empty
    now: str = ""
    #: ``jr:choice-name(value, '${q}')``: question name -> choice name -> label (one language)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: ``position()`` inside a predicate: the 1-based index of the entry being tested
    position: int | None = None

    @property
    def entry_path(self) -> EntryPath:
        entry = self.entry
        if not entry:
            return ()
        if len(entry) == 2 and isinstance(entry[0], str):
            return ((entry[0], entry[1]),)
        return entry


def _scopes(ctx: Context) -> list[Mapping[str, Any]]:
    """Innermost repeat entry first, then outer entries, then the top level."""
    return _scopes_of(ctx.answers, ctx.entry_path)


def _scopes_of(answers: Mapping[str, Any], entry_path: EntryPath) -> list[Mapping[str, Any]]:
    scopes: list[Mapping[str, Any]] = [answers] if isinstance(answers, Mapping) else [{}]
    for pair in entry_path:
        if not isinstance(pair, tuple) or len(pair) != 2:
            break
        name, index = pair
        entries = scopes[-1].get(name) if isinstance(name, str) else None
        if not isinstance(entries, list) or not isinstance(index, int) or not 0 <= index < len(entries):
            break
        entry = entries[index]
        if not isinstance(entry, Mapping):
            break
        scopes.append(entry)
    scopes.reverse()
    return scopes


def resolve_reference(name: str, ctx: Context) -> Value:
    """The value ``${name}`` has in ``ctx``: the sibling in the current repeat entry first, then
    enclosing entries, then the top level, then ``ctx.extra`` (calculations); unanswered is ``""``."""
    return _lookup(name, ctx)


def resolve_in(name: str, answers: Mapping[str, Any], entry: EntryPath = ()) -> Value:
    """``resolve_reference(name, Context(answers, today, entry=entry))`` (no calculations), without making a
    context: the value ``${name}`` has at ``entry``."""
    for scope in _scopes_of(answers, entry):
        if name in scope:
            return normalise(scope[name])
    return ""


def _lookup(name: str, ctx: Context) -> Value:
    for scope in _scopes(ctx):
        if name in scope:
            return normalise(scope[name])
    if isinstance(ctx.extra, Mapping) and name in ctx.extra:
        return normalise(ctx.extra[name])
    return ""


@lru_cache(maxsize=256)
def _regex(pattern: str, pos: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, ValueError, RecursionError) as exc:
        raise ExpressionError(f"invalid regular expression: {exc}", pos) from None


def _indexed_repeat(node: Call, ctx: Context) -> Value:
    """``indexed-repeat(${x}, ${repeat}, n)``: ``x`` of the n-th (1-based) entry of ``repeat``."""
    field_node, repeat_node, index_node = node.args
    if not isinstance(field_node, Ref) or not isinstance(repeat_node, Ref):
        raise ExpressionError("indexed-repeat() takes ${question}, ${repeat}, index", node.pos)
    entries = _lookup(repeat_node.name, ctx)
    n = to_number(_eval(index_node, ctx))
    if not isinstance(entries, list) or not math.isfinite(n) or not 1 <= int(n) <= len(entries):
        return ""
    entry = entries[int(n) - 1]
    return normalise(entry.get(field_node.name)) if isinstance(entry, Mapping) else ""


def _position(node: Call, ctx: Context) -> Value:
    if isinstance(ctx.position, int):
        return float(ctx.position)
    path = ctx.entry_path
    last = path[-1] if path else None
    if not isinstance(last, tuple) or len(last) != 2 or not isinstance(last[1], int):
        raise ExpressionError("position(..) is only meaningful inside a repeat", node.pos)
    return float(last[1] + 1)


def _today(ctx: Context) -> str:
    return ctx.today.isoformat() if isinstance(ctx.today, date) else ""


#: Functions that need the call's unevaluated arguments or the context (``if`` evaluates one branch only).
_CONTEXT_FUNCTIONS: dict[str, Any] = {
    "if": lambda node, ctx: _eval(node.args[1] if to_bool(_eval(node.args[0], ctx)) else node.args[2], ctx),
    "today": lambda node, ctx: _today(ctx),
    "now": lambda node, ctx: ctx.now or _today(ctx),
    "indexed-repeat": _indexed_repeat,
    "true": lambda node, ctx: True,
    "false": lambda node, ctx: False,
    "position": _position,
}


def _choice_name(values: list[Value], ctx: Context) -> Value:
    question = re.sub(r"^\$\{|\}$", "", to_string(values[1])).split("/")[-1]
    labels = ctx.labels.get(question) if isinstance(ctx.labels, Mapping) else None
    return str(labels.get(to_string(values[0]), "")) if isinstance(labels, Mapping) else ""


def _count(values: list[Value]) -> Value:
    first = values[0]
    if isinstance(first, list):
        return float(len(first))
    return 0.0 if to_string(first) == "" else 1.0


def _int(values: list[Value]) -> Value:
    number = to_number(values[0])
    # copysign keeps JavaScript's -0 for int(-0.5), so 1 div int(-0.5) agrees with rules.js
    return math.copysign(float(math.trunc(number)), number) if math.isfinite(number) else number


#: Functions of their evaluated arguments (besides :data:`VALUE_FUNCTIONS`); ``pos`` for error positions.
_EAGER_FUNCTIONS: dict[str, Any] = {
    "coalesce": lambda v, pos: next((x for x in v if to_string(x) != ""), ""),
    "concat": lambda v, pos: "".join(to_string(x) for x in v),
    "not": lambda v, pos: not to_bool(v[0]),
    "selected": lambda v, pos: to_string(v[1]) in split_selected(v[0]),
    "count-selected": lambda v, pos: float(len(split_selected(v[0]))),
    "string-length": lambda v, pos: float(len(to_string(v[0]))),
    "regex": lambda v, pos: _regex(to_string(v[1]), pos).search(to_string(v[0])) is not None,
    "count": lambda v, pos: _count(v),
    "int": lambda v, pos: _int(v),
    "number": lambda v, pos: to_number(v[0]),
    "string": lambda v, pos: to_string(v[0]),
    "contains": lambda v, pos: to_string(v[1]) in to_string(v[0]),
    "starts-with": lambda v, pos: to_string(v[0]).startswith(to_string(v[1])),
}


def _call(node: Call, ctx: Context) -> Value:
    name = node.name
    special = _CONTEXT_FUNCTIONS.get(name)
    if special is not None:
        return special(node, ctx)
    values = [_eval(arg, ctx) for arg in node.args]
    if name == "jr:choice-name":
        return _choice_name(values, ctx)
    if name in VALUE_FUNCTIONS:
        return VALUE_FUNCTIONS[name](values)
    eager = _EAGER_FUNCTIONS.get(name)
    if eager is None:
        raise ExpressionError(f"unknown function {name}()", node.pos)
    return eager(values, node.pos)


def _leaf(node: Node, ctx: Context) -> tuple[bool, Value]:
    """``(True, value)`` for the nodes without operators, ``(False, "")`` for the others."""
    if isinstance(node, Number | String):
        return True, node.value
    if isinstance(node, Ref):
        return True, _lookup(node.name, ctx)
    if isinstance(node, Current):
        return True, normalise(ctx.current)
    if isinstance(node, Column):
        choice = ctx.choice if isinstance(ctx.choice, Mapping) else {}
        return True, normalise(choice.get(node.name, ""))
    if isinstance(node, Parent):
        return True, ""
    return False, ""


def nodes_of(value: Value) -> list[Any]:
    """A value as an XPath node-set: a list's items (repeat entries, choice names); ``""`` is empty."""
    if isinstance(value, list):
        return list(value)
    return [] if value == "" else [value]


def collapse(items: list[Any]) -> Value:
    """A node-set back as a value: repeat entries (or nothing) stay a list; one value is that value (a number
    stays a number); several values are a list of their texts (entries among values are dropped)."""
    if all(isinstance(item, Mapping) for item in items):
        return items
    values = [item for item in items if not isinstance(item, Mapping)]
    return normalise(values[0]) if len(values) == 1 else [to_string(normalise(v)) for v in values]


def _filter(node: Filter, ctx: Context) -> Value:
    kept = []
    for index, item in enumerate(nodes_of(_eval(node.base, ctx)), start=1):
        entry = isinstance(item, Mapping)
        inner = replace(ctx, choice=item if entry else {}, current="" if entry else item, position=index)
        test = _eval(node.predicate, inner)
        if (test == index) if isinstance(test, float) else to_bool(test):
            kept.append(item)
    return collapse(kept)


def _step(node: Step, ctx: Context) -> Value:
    found: list[Any] = []
    for item in nodes_of(_eval(node.base, ctx)):
        if isinstance(item, Mapping) and node.name in item:
            value = normalise(item[node.name])
            nested = isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value)
            found.extend(value) if nested else found.append(value)  # type: ignore[arg-type]
    return collapse(found)


def _eval(node: Node, ctx: Context) -> Value:
    done, value = _leaf(node, ctx)
    if done:
        return value
    if isinstance(node, Negate):
        return -to_number(_eval(node.operand, ctx))
    if isinstance(node, Call):
        return _call(node, ctx)
    if isinstance(node, Filter):
        return _filter(node, ctx)
    if isinstance(node, Step):
        return _step(node, ctx)
    return _binary(node, ctx)


def _binary(node: Any, ctx: Context) -> Value:
    op = node.op
    if op == "and":
        return to_bool(_eval(node.left, ctx)) and to_bool(_eval(node.right, ctx))
    if op == "or":
        return to_bool(_eval(node.left, ctx)) or to_bool(_eval(node.right, ctx))
    left, right = _eval(node.left, ctx), _eval(node.right, ctx)
    if op == "|":  # a repeat entry in both sides is one node
        first = nodes_of(left)
        return collapse(first + [n for n in nodes_of(right)
                                 if not any(n is m for m in first if isinstance(m, Mapping))])
    if op == "=":
        return equals(left, right)
    if op == "!=":
        return not equals(left, right)
    if op in ("<", "<=", ">", ">="):
        return compare(op, left, right)
    return arithmetic(op, to_number(left), to_number(right))


def evaluate(expression: Node | str, ctx: Context) -> Value:
    """The value of ``expression`` (a tree, or text to parse) in ``ctx``."""
    node = parse(expression) if isinstance(expression, str) else expression
    return _eval(node, ctx)


def evaluate_bool(expression: Node | str, ctx: Context) -> bool:
    """``evaluate`` then XPath's ``boolean()``: relevance, constraints, required expressions."""
    return to_bool(evaluate(expression, ctx))


def evaluate_string(expression: Node | str, ctx: Context) -> str:
    """``evaluate`` then XPath's ``string()``: calculations."""
    return to_string(evaluate(expression, ctx))
