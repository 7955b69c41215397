"""The compiled, JSON form of an expression tree that ``instruments/js/rules.js`` evaluates.

Forms: ``["n", "12.5"]`` number (JavaScript-style text, so infinity survives JSON), ``["s", text]``,
``["r", name]`` reference, ``["."]``, ``[".."]``, ``["c", name]`` choice column, ``["neg", x]``,
``[op, left, right]`` for ``or and = != < <= > >= + - * div mod |``, ``["f", name, arg...]`` a call,
``["[]", base, predicate]`` a predicate, ``["/", base, name]`` a step after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from instruments.errors import ExpressionError
from instruments.expressions.nodes import (
    Binary,
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
from instruments.expressions.parser import FUNCTIONS, parse
from instruments.expressions.values import number_text

_BINARY = ("or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "|")


def to_json(node: Node | str) -> list[Any]:
    """The JSON-able compiled form of an expression (a tree, or text to parse)."""
    if isinstance(node, str):
        node = parse(node)
    if isinstance(node, Number):
        return ["n", number_text(node.value)]
    if isinstance(node, String):
        return ["s", node.value]
    if isinstance(node, Ref):
        return ["r", node.name]
    if isinstance(node, Current):
        return ["."]
    if isinstance(node, Parent):
        return [".."]
    if isinstance(node, Column):
        return ["c", node.name]
    if isinstance(node, Negate):
        return ["neg", to_json(node.operand)]
    if isinstance(node, Binary):
        return [node.op, to_json(node.left), to_json(node.right)]
    if isinstance(node, Filter):
        return ["[]", to_json(node.base), to_json(node.predicate)]
    if isinstance(node, Step):
        return ["/", to_json(node.base), node.name]
    return ["f", node.name, *(to_json(arg) for arg in node.args)]


def from_json(data: Any) -> Node:
    """Rebuild a tree from its compiled form (positions are lost); raise ExpressionError if malformed."""
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise ExpressionError("malformed compiled expression", 0)
    tag, rest = data[0], data[1:]
    if tag in ("n", "s", "r", "c") and len(rest) == 1 and isinstance(rest[0], str):
        if tag == "n":
            try:
                return Number(float(rest[0]))
            except ValueError:
                raise ExpressionError("malformed number in compiled expression", 0) from None
        if tag == "s":
            return String(rest[0])
        return Ref(rest[0]) if tag == "r" else Column(rest[0])
    if tag == "." and not rest:
        return Current()
    if tag == ".." and not rest:
        return Parent()
    if tag == "neg" and len(rest) == 1:
        return Negate(from_json(rest[0]))
    if tag in _BINARY and len(rest) == 2:
        return Binary(tag, from_json(rest[0]), from_json(rest[1]))
    if tag in ("[]", "/") and len(rest) == 2:
        return _path_from_json(tag, rest)
    if tag == "f" and rest and isinstance(rest[0], str) and rest[0] in FUNCTIONS:
        return Call(rest[0], tuple(from_json(arg) for arg in rest[1:]))
    raise ExpressionError("malformed compiled expression", 0)


def _path_from_json(tag: str, rest: list[Any]) -> Node:
    if tag == "[]":
        return Filter(from_json(rest[0]), from_json(rest[1]))
    if not isinstance(rest[1], str):
        raise ExpressionError("malformed compiled expression", 0)
    return Step(from_json(rest[0]), rest[1])


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, depth first."""
    yield node
    if isinstance(node, Negate):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, Filter):
        yield from walk(node.base)
        yield from walk(node.predicate)
    elif isinstance(node, Step):
        yield from walk(node.base)


def references(node: Node | str) -> list[Ref]:
    """The ``${name}`` references of an expression, in order of appearance."""
    if isinstance(node, str):
        node = parse(node)
    return [n for n in walk(node) if isinstance(n, Ref)]
