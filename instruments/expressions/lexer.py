"""Split an expression into tokens; the only error is ExpressionError with a position."""

from __future__ import annotations

import re
from dataclasses import dataclass

from instruments.errors import ExpressionError

#: Upper bound on expression text: instruments are written by people, not generated.
MAX_LENGTH = 4000

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<ref>\$\{(?P<refname>(?:last-saved\#)?[A-Za-z_][A-Za-z0-9_.-]*)\})
  | (?P<path>(?:\.\./)+(?:[A-Za-z_][A-Za-z0-9_.-]*/)*(?P<relname>[A-Za-z_][A-Za-z0-9_.-]*)
             | /[A-Za-z_][A-Za-z0-9_.-]*(?:/[A-Za-z_][A-Za-z0-9_.-]*)*/(?P<absname>[A-Za-z_][A-Za-z0-9_.-]*)
             | \./(?P<dotname>[A-Za-z_][A-Za-z0-9_.-]*))
  | (?P<step>/(?P<stepname>[A-Za-z_][A-Za-z0-9_-]*))
  | (?P<dotdot>\.\.)
  | (?P<dot>\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:[-:][A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*)
  | (?P<lp>\()
  | (?P<rp>\))
  | (?P<comma>,)
  | (?P<lb>\[)
  | (?P<rb>\])
  | (?P<bar>\|)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    #: num, str, ref (also an XPath path), step (``/name`` after a predicate), dotdot, dot, name, op, lp, rp,
    #: comma, lb, rb (``[ ]``), bar (``|``), end
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text``, ending with an ``end`` token."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] in "'\"":
                raise ExpressionError("text literal without its closing quote", pos)
            if text.startswith("${", pos):
                raise ExpressionError("malformed reference: write ${name}", pos)
            raise ExpressionError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""
        if kind in ("refname", "path", "relname", "absname", "dotname"):
            kind = "ref"
        elif kind == "stepname":
            kind = "step"
        if kind != "space":
            # an XPath path (``../x``, ``/data/group/x``, ``./x``) names a question by its last step:
            # names are unique in an instrument, so the path and ``${x}`` are the same question
            value = next((match.group(g) for g in ("refname", "relname", "absname", "dotname") if match.group(g)),
                         match.group(0)) if kind == "ref" else match.group(0)
            if kind == "str":
                value = value[1:-1]
            elif kind == "step":
                value = match.group("stepname")
            tokens.append(Token(kind, value, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens
