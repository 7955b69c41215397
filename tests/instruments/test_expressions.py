"""The expression language: parsing, positions of errors, XLSForm semantics of evaluation."""

from __future__ import annotations

import math
from datetime import date

import pytest

from instruments.errors import ExpressionError, InstrumentError
from instruments.expressions import (
    Binary,
    Context,
    Ref,
    evaluate,
    evaluate_bool,
    evaluate_string,
    from_json,
    parse,
    references,
    to_json,
)
from instruments.expressions.parser import MAX_DEPTH

TODAY = date(2026, 3, 15)
ANSWERS = {
    "age": 34,
    "salary": "180000.50",
    "name": "Nguyễn",
    "skills": ["welding", "forklift"],
    "skills_text": "welding forklift",
    "arrival": "2019-04",
    "consent": "yes",
    "empty_list": [],
    "jobs": [
        {"employer": "A", "start": "2019-04", "end": "2021"},
        {"employer": "B", "start": "2021-06", "trainings": [{"topic": "safety"}, {"topic": "jp"}]},
    ],
}


def ev(text: str, **kw: object) -> object:
    return evaluate(text, Context(answers=ANSWERS, today=TODAY, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 div 4", 2.5),
        ("7 mod 3", 1.0),
        ("-7 mod 3", -1.0),
        ("- - 2", 2.0),
        ("${age} + 1", 35.0),
        ("${salary} * 2", 360001.0),
        ("${age} > 30 and ${age} < 40", True),
        ("${age} = '34'", True),  # numeric on both sides: compared as numbers
        ("'034' = 34", True),
        ("'abc' = 'ABC'", False),
        ("${missing} = ''", True),
        ("${missing} != 'yes'", True),
        ("${missing} < 5", False),  # unanswered is never smaller
        ("${missing} > 5", False),
        ("${arrival} < '2019-05-01'", True),  # partial ISO dates compare as text
        ("${arrival} >= '2019'", True),
        ("${arrival} > today()", False),
        ("today()", "2026-03-15"),
        ("selected(${skills}, 'welding')", True),
        ("selected(${skills}, 'weld')", False),
        ("selected(${skills_text}, 'forklift')", True),
        ("count-selected(${skills})", 2.0),
        ("count-selected(${missing})", 0.0),
        ("string-length(${name})", 6.0),
        ("regex('0901234567', '^0[0-9]{9}$')", True),
        ("regex(${name}, '^[0-9]+$')", False),
        ("if(${consent} = 'yes', 'go', 'stop')", "go"),
        ("coalesce(${missing}, ${name})", "Nguyễn"),
        ("coalesce(${missing}, ${missing2}, 'x')", "x"),
        ("count(${jobs})", 2.0),
        ("count(${missing})", 0.0),
        ("count(${empty_list})", 0.0),
        ("int('3.9')", 3.0),
        ("int(-3.9)", -3.0),
        ("number('x')", math.nan),
        ("string(12.50)", "12.5"),
        ("concat('a', 1, true())", "a1true"),
        ("not(${consent} = 'yes') or false()", False),
        ("contains(${name}, 'guy')", True),
        ("starts-with(${arrival}, '2019')", True),
        ("1 div 0", math.inf),
        ("0 div 0", math.nan),
        ("5 mod 0", math.nan),
        ("0.1 + 0.2", 0.30000000000000004),
        ("true() = 'yes'", True),  # a boolean side compares booleans
    ],
)
def test_evaluates(text: str, expected: object) -> None:
    got = ev(text)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float)
        assert math.isnan(got)
    else:
        assert got == expected
        assert type(got) is type(expected)


def test_current_value_and_choice_columns() -> None:
    assert evaluate_bool(". >= 1940 and . <= 2011", Context(answers={}, today=TODAY, current=1998))
    assert not evaluate_bool(". >= 1940 and . <= 2011", Context(answers={}, today=TODAY, current="1900"))
    choice = {"name": "13", "region": "kanto"}
    ctx = Context(answers={"region": "kanto"}, today=TODAY, choice=choice)
    assert evaluate_bool("region = ${region}", ctx)
    assert not evaluate_bool("region = 'kinki'", ctx)
    assert evaluate_bool("unknown_column = ''", ctx)


def test_repeat_siblings_and_position() -> None:
    second = Context(answers=ANSWERS, today=TODAY, entry=("jobs", 1))
    assert evaluate_string("${employer}", second) == "B"
    assert evaluate_string("${start}", second) == "2021-06"
    assert evaluate_string("${end}", second) == ""  # unanswered in this entry, not the first's
    assert evaluate(("position(..)"), second) == 2.0
    assert evaluate_string("${name}", second) == "Nguyễn"  # falls back to the top level
    nested = Context(answers=ANSWERS, today=TODAY, entry=(("jobs", 1), ("trainings", 0)))
    assert evaluate_string("${topic}", nested) == "safety"
    assert evaluate_string("${employer}", nested) == "B"
    assert evaluate("position(..)", nested) == 1.0
    assert evaluate("count(${trainings})", nested) == 2.0
    with pytest.raises(ExpressionError, match="repeat"):
        ev("position(..)")


def test_calculations_are_seen_after_answers() -> None:
    ctx = Context(answers={"a": "1"}, today=TODAY, extra={"a": "9", "total": 3})
    assert evaluate_string("${a} + ${total}", ctx) == "4"


@pytest.mark.parametrize(
    ("text", "position", "needle"),
    [
        ("1 +", 3, "ends too early"),
        ("${age} = = 2", 9, "unexpected"),
        ("foo(1)", 0, "unknown function"),
        ("selected(${a})", 0, "takes 2"),
        ("'open", 0, "closing quote"),
        ("${ bad}", 0, "malformed reference"),
        ("1 # 2", 2, "unexpected character"),
        ("(1 + 2", 6, "expected ')'"),
        ("", 0, "empty"),
        ("position(${a})", 9, "position(..)"),
        ("and 1", 0, "needs a value"),
        ("1 2", 2, "unexpected"),
    ],
)
def test_parse_errors_carry_positions(text: str, position: int, needle: str) -> None:
    with pytest.raises(ExpressionError, match=needle.replace("(", r"\(").replace(")", r"\)")) as info:
        parse(text)
    assert info.value.position == position
    assert isinstance(info.value, InstrumentError)


def test_depth_is_bounded() -> None:
    parse("(" * (MAX_DEPTH - 2) + "1" + ")" * (MAX_DEPTH - 2))
    with pytest.raises(ExpressionError, match="nested"):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(ExpressionError, match="nested"):
        parse(" + ".join(["1"] * 200))
    with pytest.raises(ExpressionError, match="nested"):
        parse("not(" * 200 + "1" + ")" * 200)


def test_invalid_regex_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="regular expression"):
        ev("regex('a', '(')")


def test_tree_shape_and_compiled_round_trip() -> None:
    tree = parse("${a} = 1 or ${b} > 2 and not(${c})")
    assert isinstance(tree, Binary)
    assert tree.op == "or"  # and binds tighter than or
    assert [r.name for r in references(tree)] == ["a", "b", "c"]
    assert references("${x} + ${x}") == [Ref("x", 0), Ref("x", 7)]
    compiled = to_json(tree)
    assert compiled[0] == "or"
    assert to_json(from_json(compiled)) == compiled
    assert to_json("9" * 400) == ["n", "Infinity"]
    with pytest.raises(ExpressionError):
        from_json(["f", "eval", ["s", "x"]])
    with pytest.raises(ExpressionError):
        from_json(["n", "zz"])
