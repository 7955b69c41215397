"""Property tests: no input makes the parser or the evaluator fail with anything but ExpressionError."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from instruments.errors import ExpressionError
from instruments.expressions import (
    FUNCTIONS,
    Binary,
    Call,
    Column,
    Context,
    Current,
    Negate,
    Node,
    Number,
    Parent,
    Ref,
    String,
    evaluate,
    from_json,
    parse,
    to_json,
)

NAMES = ["a", "b", "jobs", "start", "skills", "x"]
TOKENS = [
    "${a}", "${b}", "${jobs}", "${start}", "${skills}", ".", "..", "1", "2.5", ".5", "0", "'x'", "'2019-04'",
    "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "and", "or", "(", ")", ",", "region",
    *[f"{name}(" for name in FUNCTIONS],
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4),
    max_leaves=12,
)
answers = st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=4), json_values, max_size=6)
entries = st.none() | st.tuples(st.sampled_from(NAMES), st.integers(-2, 3)) | st.lists(
    st.tuples(st.sampled_from(NAMES), st.integers(-1, 3)), max_size=3).map(tuple)
contexts = st.builds(
    Context, answers=answers, today=st.dates(), current=json_values, entry=entries,
    choice=st.none() | st.dictionaries(st.sampled_from(["region", "name"]), st.text(max_size=4)),
    extra=st.dictionaries(st.sampled_from(NAMES), json_values, max_size=3),
)


def _call(name: str, args: list[Node]) -> Call:
    low, high = FUNCTIONS[name]
    count = min(max(len(args), low), high if high is not None else len(args) + low)
    args = (args * (count + 1))[:count] if args else [String("")] * count
    if name == "position":
        args = [Parent()] if count else []
    return Call(name, tuple(args))


leaves = (
    st.builds(Number, st.floats(min_value=0, allow_nan=False)) | st.builds(String, st.text(max_size=6))
    | st.builds(Ref, st.sampled_from(NAMES)) | st.just(Current()) | st.just(Parent())
    | st.builds(Column, st.sampled_from(["region", "name", "other"]))
)
trees = st.recursive(
    leaves,
    lambda kids: st.builds(Negate, kids)
    | st.builds(Binary, st.sampled_from(["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div",
                                         "mod"]), kids, kids)
    | st.builds(_call, st.sampled_from(sorted(FUNCTIONS)), st.lists(kids, max_size=3)),
    max_leaves=15,
)


def _parse_or_none(text: str) -> Node | None:
    try:
        return parse(text)
    except ExpressionError as exc:
        position = exc.position
    assert 0 <= position <= max(len(text), 4000)
    return None


@settings(max_examples=400)
@given(st.text())
def test_arbitrary_text_only_raises_expression_error(text: str) -> None:
    _parse_or_none(text)


@settings(max_examples=400)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12), contexts)
def test_token_soup_parses_and_evaluates_or_raises_expression_error(tokens: list[str], ctx: Context) -> None:
    node = _parse_or_none(" ".join(tokens))
    if node is not None:
        position = 0
        try:
            evaluate(node, ctx)
        except ExpressionError as exc:
            position = exc.position
        assert position >= 0


@settings(max_examples=300)
@given(trees, contexts)
def test_any_tree_evaluates_or_raises_expression_error(tree: Node, ctx: Context) -> None:
    try:
        value: Any = evaluate(tree, ctx)
    except ExpressionError:
        return
    assert isinstance(value, str | float | bool | list)


@given(trees)
def test_compiled_form_round_trips(tree: Node) -> None:
    assert to_json(from_json(to_json(tree))) == to_json(tree)


@given(st.text(max_size=3) | st.integers() | st.lists(st.text(max_size=2), max_size=3) | st.none())
def test_from_json_rejects_garbage_with_expression_error(data: object) -> None:
    try:
        from_json(data)
    except ExpressionError:
        pass


def test_today_is_never_read_from_the_clock() -> None:
    assert evaluate("today()", Context(answers={}, today=date(1999, 12, 31))) == "1999-12-31"
