"""The expression tree: immutable nodes, each with the 0-based position of its text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Number:
    value: float
    pos: int = 0


@dataclass(frozen=True)
class String:
    value: str
    pos: int = 0


@dataclass(frozen=True)
class Ref:
    """``${name}``: an answer, a calculation or a repeat."""

    name: str
    pos: int = 0


@dataclass(frozen=True)
class Current:
    """``.``: the answer being checked (constraints) or the question's own value."""

    pos: int = 0


@dataclass(frozen=True)
class Parent:
    """``..``: the current repeat entry; only meaningful as ``position(..)``."""

    pos: int = 0


@dataclass(frozen=True)
class Column:
    """A bare name: a column of the choice being filtered (``choice_filter``)."""

    name: str
    pos: int = 0


@dataclass(frozen=True)
class Negate:
    operand: Node
    pos: int = 0


@dataclass(frozen=True)
class Binary:
    """``op`` is one of ``or and = != < <= > >= + - * div mod |`` (``|``: XPath's union of node-sets)."""

    op: str
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True)
class Filter:
    """``base[predicate]`` (XPath predicate): the entries of a repeat (or the values) of ``base`` for which
    ``predicate`` holds, evaluated with each entry as the context node (bare names are its answers,
    ``position()`` its 1-based index); a number predicate keeps the entry at that position."""

    base: Node
    predicate: Node
    pos: int = 0


@dataclass(frozen=True)
class Step:
    """``base/name`` after a predicate: the answers to ``name`` in the entries ``base`` selects."""

    base: Node
    name: str
    pos: int = 0


Node = Number | String | Ref | Current | Parent | Column | Negate | Binary | Call | Filter | Step
