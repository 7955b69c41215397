"""The XForms functions against their definitions (ODK XForms spec / XPath 1.0), with hypothesis."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from instruments.expressions import Context, evaluate

TODAY = date(2026, 3, 15)
EPOCH = date(1970, 1, 1)
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def ev(expression: str, **answers: Any) -> Any:
    return evaluate(expression, Context(answers=answers, today=TODAY, now="2026-03-15T09:30:00"))


@given(texts, st.integers(-3, 15), st.integers(-3, 15))
def test_substr_is_a_zero_based_slice_of_code_points(s: str, start: int, end: int) -> None:
    expected = s[max(start, 0):max(min(end, len(s)), 0)]
    assert ev("substr(${s}, ${a}, ${b})", s=s, a=start, b=end) == expected
    assert ev("substr(${s}, ${a})", s=s, a=start) == s[max(start, 0):]


@given(texts, texts, texts)
def test_translate_maps_by_position_and_drops_the_rest(s: str, src: str, dst: str) -> None:
    table: dict[str, str] = {}
    for i, ch in enumerate(src):
        table.setdefault(ch, dst[i] if i < len(dst) else "")
    assert ev("translate(${s}, ${f}, ${t})", s=s, f=src, t=dst) == "".join(table.get(c, c) for c in s)


@given(st.text(alphabet=" \t\n\rab", max_size=15))
def test_normalize_space_strips_and_collapses_xml_whitespace(s: str) -> None:
    assert ev("normalize-space(${s})", s=s) == " ".join(re.split(r"[ \t\n\r]+", s)).strip(" ")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_round_is_floor_of_x_plus_a_half(x: float) -> None:
    assert ev("round(${x})", x=x) == math.floor(x + 0.5)


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=6))
def test_min_max_sum_of_numbers(numbers: list[int]) -> None:
    args = ", ".join(str(n) for n in numbers).replace("-", "0 - ")
    assert ev(f"min({args})") == min(numbers)
    assert ev(f"max({args})") == max(numbers)
    assert ev(f"sum({args})") == sum(numbers)
    assert math.isnan(ev("min(1, 'x')"))


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_date_and_decimal_date_time_are_inverse(day: date) -> None:
    days = (day - EPOCH).days
    assert ev("date(${n})", n=days) == day.isoformat()
    assert ev("decimal-date-time(${d})", d=day.isoformat()) == days
    assert ev("date(${d})", d=day.isoformat()) == day.isoformat()


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_decimal_date_time_of_a_date_time(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    assert ev("decimal-date-time(${t})", t=text) == (moment.date() - EPOCH).days + seconds / 86400


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_format_date_agrees_with_strftime(day: date) -> None:
    got = ev("format-date(${d}, '%Y-%m-%d %b %a %y')", d=day.isoformat())
    assert got == f"{day.year:04d}-{day:%m-%d} {day:%b %a} {day.year % 100:02d}"
    assert ev("format-date(${d}, '%e/%n')", d=day.isoformat()) == f"{day.day}/{day.month}"


def test_the_other_functions() -> None:
    assert ev("ends-with('keireki', 'eki')") is True
    assert ev("boolean('')") is False
    assert ev("boolean('0')") is True
    assert ev("join(', ', ${m})", m=["a", "b"]) == "a, b"
    assert ev("selected-at(${m}, 1)", m=["a", "b"]) == "b"
    assert ev("selected-at(${m}, 2)", m=["a", "b"]) == ""
    assert ev("once(${x})", x="first") == "first"
    assert ev("now()") == "2026-03-15T09:30:00"
    assert ev("pulldata('fruits', 'name', 'key', 'x')") == ""
    assert ev("indexed-repeat(${employer}, ${jobs}, 2)", jobs=[{"employer": "A"}, {"employer": "B"}]) == "B"
    assert ev("indexed-repeat(${employer}, ${jobs}, 3)", jobs=[{"employer": "A"}]) == ""
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", ev("uuid()"))
    assert ev("date('2019-02-30')") == ""
    assert ev("date(${d})", d=(date(2000, 1, 1) - EPOCH).days + 0.9) == "2000-01-01"
    assert ev("date(99999999)") == ""


def test_xpath_paths_name_the_question_by_its_last_step() -> None:
    assert ev("../a + 1", a=1) == 2
    assert ev("/data/group/a = 1", a="1") is True
    assert ev("./b", b="x") == "x"
    assert ev("selected(../m, 'b')", m=["a", "b"]) is True
    assert ev("${a} div 2", a=1) == 0.5  # `/` paths never take `div`'s place


def test_last_saved_is_the_previous_response_or_empty() -> None:
    ctx = Context(answers={}, today=TODAY, extra={"last-saved#city": "Osaka"})
    assert evaluate("${last-saved#city}", ctx) == "Osaka"
    assert ev("${last-saved#city}") == ""


def test_the_checker_knows_paths_and_last_saved() -> None:
    from instruments import load_text
    from instruments.checker import check_instrument

    inst = load_text(
        "id: p\nversion: '1'\ndefault_language: en\ntitle: {en: P}\nsurvey:\n"
        "  - group: g\n    label: {en: G}\n    children:\n"
        "      - {name: city, type: text, label: {en: City}, default: '${last-saved#city}'}\n"
        "      - {name: more, type: text, label: {en: M}, relevant: \"../city != '' and ${last-saved#nope} = ''\"}\n"
        "      - {name: c2, type: calculate, calculation: '/data/g/cty'}\n", source="p")
    errors = [f.message for f in check_instrument(inst) if f.severity == "error"]
    assert "unknown reference ${last-saved#nope}" in errors
    assert any(e.startswith("unknown reference ${cty}") for e in errors)
    assert len(errors) == 2


def test_choice_name_is_the_label_of_the_choice() -> None:
    from instruments import engine, load_text

    inst = load_text(
        "id: c\nversion: '1'\ndefault_language: en\nlanguages: [en, ja]\ntitle: {en: C, ja: C}\n"
        "choices:\n  fruit:\n    - {name: apple, label: {en: Apple, ja: りんご}}\n"
        "survey:\n  - group: g\n    label: {en: G, ja: G}\n    children:\n"
        "      - {name: f, type: select_one, choices: fruit, label: {en: F, ja: F}}\n"
        "      - {name: said, type: calculate, calculation: \"jr:choice-name(${f}, '${f}')\"}\n", source="c")
    assert engine.with_calculations(inst, {"f": "apple"}, today=TODAY)["said"] == "Apple"
    assert engine.choice_labels(inst, "ja") == {"f": {"apple": "りんご"}}
    assert ev("jr:choice-name('apple', '${f}')") == ""  # no labels given
