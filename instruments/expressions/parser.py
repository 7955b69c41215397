"""Recursive-descent parser of XLSForm expressions (an XPath 1.0 subset) into :mod:`nodes`.

Precedence, lowest first: ``or``, ``and``, ``= !=``, ``< <= > >=``, ``+ -``, ``* div mod``, unary
``-``, ``|`` (union), then a primary with its predicates ``[ ]`` and steps ``/name`` (XPath's
``UnionExpr``, ``FilterExpr`` and ``PathExpr``). Function names and arities are checked here, so
evaluation never meets an unknown function.
"""

from __future__ import annotations

from functools import lru_cache

from instruments.errors import ExpressionError
from instruments.expressions.functions import ARITY
from instruments.expressions.lexer import Token, tokenize
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

#: Function name -> (minimum, maximum) number of arguments; ``None`` = any number.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "not": (1, 1), "selected": (2, 2), "count-selected": (1, 1), "string-length": (1, 1),
    "regex": (2, 2), "if": (3, 3), "coalesce": (2, None), "today": (0, 0), "count": (1, 1),
    "position": (0, 1), "int": (1, 1), "number": (1, 1), "string": (1, 1), "concat": (1, None),
    "true": (0, 0), "false": (0, 0), "contains": (2, 2), "starts-with": (2, 2), **ARITY,
}

#: Deepest tree accepted: keeps the evaluators (Python and rules.js) far from their stack limits.
MAX_DEPTH = 64

_LEVELS: tuple[tuple[str, ...], ...] = (
    ("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"),
)
_WORD_OPS = ("or", "and", "div", "mod")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depths: dict[int, int] = {}
        self.active = 0  #: unary() frames on the stack: bounds recursion through parentheses

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            found = "the end" if self.tok.kind == "end" else repr(self.tok.text)
            raise ExpressionError(f"expected {what}, found {found}", self.tok.pos)
        return self.advance()

    def made(self, node: Node, *children: Node) -> Node:
        depth = 1 + max((self.depths.get(id(c), 1) for c in children), default=0)
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep", node.pos)
        self.depths[id(node)] = depth
        return node

    def is_op(self, ops: tuple[str, ...]) -> bool:
        tok = self.tok
        if tok.kind == "op":
            return tok.text in ops
        return tok.kind == "name" and tok.text in _WORD_OPS and tok.text in ops

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.is_op(_LEVELS[level]):
            op = self.advance()
            right = self.binary(level + 1)
            left = self.made(Binary(op.text, left, right, op.pos), left, right)
        return left

    def unary(self) -> Node:
        self.active += 1
        try:
            if self.active > MAX_DEPTH:
                raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep", self.tok.pos)
            if self.tok.kind == "op" and self.tok.text == "-":
                minus = self.advance()
                operand = self.unary()
                return self.made(Negate(operand, minus.pos), operand)
            return self.union()
        finally:
            self.active -= 1

    def union(self) -> Node:
        left = self.path()
        while self.tok.kind == "bar":
            bar = self.advance()
            right = self.path()
            left = self.made(Binary("|", left, right, bar.pos), left, right)
        return left

    def path(self) -> Node:
        """A primary with its predicates and steps: ``${jobs}[2]/employer``, ``/data/jobs[position()=1]/x``."""
        node = self.primary()
        while self.tok.kind in ("lb", "step"):
            tok = self.advance()
            if tok.kind == "step":
                node = self.made(Step(node, tok.text, tok.pos), node)
                continue
            predicate = self.binary(0)
            self.expect("rb", "']'")
            node = self.made(Filter(node, predicate, tok.pos), node, predicate)
        return node

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return self.made(Number(float(tok.text), tok.pos))
        if tok.kind == "str":
            self.advance()
            return self.made(String(tok.text, tok.pos))
        if tok.kind == "ref":
            self.advance()
            return self.made(Ref(tok.text, tok.pos))
        if tok.kind == "dot":
            self.advance()
            return self.made(Current(tok.pos))
        if tok.kind == "dotdot":
            self.advance()
            return self.made(Parent(tok.pos))
        if tok.kind == "lp":
            self.advance()
            inner = self.binary(0)
            self.expect("rp", "')'")
            return inner
        if tok.kind == "name":
            if tok.text in _WORD_OPS:
                raise ExpressionError(f"{tok.text!r} needs a value before it", tok.pos)
            self.advance()
            if self.tok.kind == "lp":
                return self.call(tok)
            return self.made(Column(tok.text, tok.pos))
        if tok.kind == "end":
            raise ExpressionError("expression ends too early", tok.pos)
        raise ExpressionError(f"unexpected {tok.text!r}", tok.pos)

    def call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name.text}()", name.pos)
        self.expect("lp", "'('")
        args: list[Node] = []
        if self.tok.kind != "rp":
            args.append(self.binary(0))
            while self.tok.kind == "comma":
                self.advance()
                args.append(self.binary(0))
        self.expect("rp", "')' or ','")
        low, high = FUNCTIONS[name.text]
        if len(args) < low or (high is not None and len(args) > high):
            want = str(low) if low == high else f"{low} or more" if high is None else f"{low} to {high}"
            raise ExpressionError(f"{name.text}() takes {want} argument(s), not {len(args)}", name.pos)
        if name.text == "position" and args and not isinstance(args[0], Parent):
            raise ExpressionError("write position(..)", args[0].pos)
        return self.made(Call(name.text, tuple(args), name.pos), *args)


@lru_cache(maxsize=2048)
def parse(text: str) -> Node:
    """Parse an expression; raise :class:`ExpressionError` (with a position) on any malformed text."""
    parser = _Parser(text)
    if parser.tok.kind == "end":
        raise ExpressionError("empty expression", 0)
    node = parser.binary(0)
    if parser.tok.kind != "end":
        raise ExpressionError(f"unexpected {parser.tok.text!r}", parser.tok.pos)
    return node
