"""Form logic: conversion of typed answers, relevance, page validation, calculations, pruning."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruments import Group, Instrument, Question, load_text
from instruments.engine import (
    ValidationIssue,
    calculate_all,
    convert_answer,
    filtered_choices,
    is_relevant,
    prune_irrelevant,
    required_missing,
    validate_page,
)
from instruments.errors import AnswerError

TODAY = date(2026, 3, 15)
FORM = """\
id: form
version: "1"
default_language: en
languages: [en, ja]
choices:
  yes_no:
    - {name: "yes", label: {en: "Yes", ja: はい}}
    - {name: "no", label: {en: "No", ja: いいえ}}
  region:
    - {name: kanto, label: {en: Kanto}}
    - {name: kinki, label: {en: Kinki}}
  pref:
    - {name: "13", label: {en: Tokyo}, region: kanto}
    - {name: "14", label: {en: Kanagawa}, region: kanto}
    - {name: "27", label: {en: Osaka}, region: kinki}
  skill:
    - {name: welding, label: {en: Welding}}
    - {name: forklift, label: {en: Forklift}}
    - {name: language, label: {en: Japanese}}
survey:
  - group: start
    label: {en: Start}
    children:
      - {name: consent, type: select_one yes_no, label: {en: "Agree?"}, required: true,
         required_message: {en: Please answer., ja: 答えてください。}}
  - group: about
    label: {en: About}
    relevant: "${consent} = 'yes'"
    children:
      - name: birth_year
        type: integer
        label: {en: "Born?"}
        required: true
        constraint: ". >= 1940 and . <= 2011"
        constraint_message: {en: Please check the year.}
      - {name: age, type: calculate, calculation: "2026 - ${birth_year}"}
      - {name: region, type: select_one region, label: {en: Region}}
      - {name: pref, type: select_one pref, label: {en: Prefecture}, choice_filter: "region = ${region}"}
      - {name: married, type: select_one yes_no, label: {en: "Married?"}}
      - {name: spouse_in_japan, type: select_one yes_no, label: {en: "Spouse here?"},
         relevant: "${married} = 'yes'", required: "${age} < 30"}
  - repeat: jobs
    label: {en: Jobs}
    relevant: "${consent} = 'yes'"
    min: 1
    max: 2
    children:
      - {name: start, type: partial_date, label: {en: Start}, required: true}
      - {name: end, type: partial_date, label: {en: End}, constraint: ". >= ${start}",
         constraint_message: {en: The end comes after the start.}}
      - {name: skills, type: select_multiple skill, label: {en: Skills}}
      - {name: who, type: text, label: {en: "Who recognised it?"}, relevant: "selected(${skills}, 'welding')",
         required: true}
      - {name: job_no, type: calculate, calculation: "position(..)"}
      - repeat: trainings
        label: {en: Trainings}
        children:
          - {name: topic, type: text, label: {en: Topic}, required: "position(..) = 1"}
"""


@pytest.fixture(scope="module")
def form() -> Instrument:
    return load_text(FORM, source="form")


def q(form: Instrument, name: str) -> Question:
    return next(x for x in form.questions() if x.name == name)


def g(form: Instrument, name: str) -> Group:
    return next(x for x in form.walk() if isinstance(x, Group) and x.name == name)


@pytest.mark.parametrize(
    ("qtype", "raw", "value", "meta_raw", "flags"),
    [
        ("integer", " 1998 ", 1998, None, []),
        ("integer", "１９９８", 1998, "１９９８", []),
        ("integer", "1,200", 1200, "1,200", []),
        ("integer", "၁၉၉၈", 1998, "၁၉၉၈", []),  # Myanmar digits
        ("decimal", "१२.५", "12.5", "१२.५", []),  # Devanagari digits
        ("decimal", "12.50", "12.50", None, []),
        ("decimal", "-0.5", "-0.5", None, []),
        ("date", "平成31年4月30日", "2019-04-30", "平成31年4月30日", ["era_date_parsed"]),
        ("date", "2019-04-30", "2019-04-30", None, []),
        ("partial_date", "R6.4", "2024-04", "R6.4", ["era_date_parsed"]),
        ("partial_date", "2018", "2018", None, []),
        ("text", "ျမန္မာ", "မြန်မာ", "ျမန္မာ", ["zawgyi_converted"]),
        ("text", "  Hà Nội ", "Hà Nội", None, []),
        ("acknowledge", "OK", "OK", None, []),
        ("phone", "090-1234-5678", "+819012345678", None, []),  # contact data: no raw copy kept
        ("email", "A@Example.com", "A@example.com", None, []),
    ],
)
def test_convert_answer(qtype: str, raw: str, value: object, meta_raw: str | None, flags: list[str]) -> None:
    converted = convert_answer(Question(name="x", type=qtype), raw)
    assert converted.value == value
    assert converted.meta_raw == meta_raw
    assert converted.flags == flags


@pytest.mark.parametrize(
    ("qtype", "raw", "code"),
    [
        ("integer", "12.5", "integer"),
        ("integer", "twelve", "integer"),
        ("decimal", "1.2.3", "decimal"),
        ("date", "2019-04", "date"),
        ("date", "2019-02-30", "date"),
        ("date", "平成32年1月1日", "era_out_of_range"),
        ("partial_date", "平成32年", "era_out_of_range"),
        ("partial_date", "soon", "partial_date"),
        ("phone", "123", "phone"),
        ("email", "nobody", "email"),
        ("text", "x" * 2001, "too_long"),
        ("acknowledge", "maybe", "choice"),
    ],
)
def test_convert_answer_errors(qtype: str, raw: str, code: str) -> None:
    with pytest.raises(AnswerError) as info:
        convert_answer(Question(name="x", type=qtype), raw)
    assert info.value.code == code


def test_convert_choices_required_and_constraint(form: Instrument) -> None:
    assert convert_answer(q(form, "consent"), "yes", instrument=form).value == "yes"
    with pytest.raises(AnswerError, match="choice"):
        convert_answer(q(form, "consent"), "maybe", instrument=form)
    assert convert_answer(q(form, "skills"), ["forklift", "welding", "forklift"], instrument=form).value == [
        "welding", "forklift"]  # deduplicated, in the list's order
    with pytest.raises(AnswerError, match="choice"):
        convert_answer(q(form, "skills"), ["welding", "cooking"], instrument=form)
    with pytest.raises(AnswerError, match="required"):
        convert_answer(q(form, "consent"), "  ", instrument=form)
    assert convert_answer(q(form, "married"), "", instrument=form).value is None
    with pytest.raises(AnswerError, match="constraint"):
        convert_answer(q(form, "birth_year"), "1900", answers={}, today=TODAY)
    assert convert_answer(q(form, "birth_year"), "1990", answers={}, today=TODAY).value == 1990


def test_relevance_follows_ancestors(form: Instrument) -> None:
    assert not is_relevant(form, q(form, "birth_year"), {}, today=TODAY)
    assert is_relevant(form, q(form, "birth_year"), {"consent": "yes"}, today=TODAY)
    assert not is_relevant(form, q(form, "spouse_in_japan"), {"consent": "yes"}, today=TODAY)
    assert is_relevant(form, q(form, "spouse_in_japan"), {"consent": "yes", "married": "yes"}, today=TODAY)
    answers = {"consent": "yes", "jobs": [{"skills": ["welding"]}, {"skills": ["forklift"]}]}
    assert is_relevant(form, q(form, "who"), answers, entry=("jobs", 0), today=TODAY)
    assert not is_relevant(form, q(form, "who"), answers, entry=("jobs", 1), today=TODAY)
    assert not is_relevant(form, q(form, "who"), {**answers, "consent": "no"}, entry=("jobs", 0), today=TODAY)


def test_validate_page_required_constraint_messages(form: Instrument) -> None:
    issues = validate_page(form, g(form, "start"), {}, today=TODAY)
    message = {"en": "Please answer.", "ja": "答えてください。"}
    assert issues == {"consent": ValidationIssue("required", message)}
    about = g(form, "about")
    assert validate_page(form, about, {"consent": "no"}, today=TODAY) == {}  # the page is not shown
    issues = validate_page(form, about, {"consent": "yes", "birth_year": 1900}, today=TODAY)
    assert issues == {"birth_year": ValidationIssue("constraint", {"en": "Please check the year."})}
    # required by expression, through a calculation: age 26 < 30
    issues = validate_page(form, about, {"consent": "yes", "birth_year": 2000, "married": "yes"}, today=TODAY)
    assert issues["spouse_in_japan"].code == "required"
    assert issues["spouse_in_japan"].message is None
    issues = validate_page(form, about, {"consent": "yes", "birth_year": 1980, "married": "yes"}, today=TODAY)
    assert issues == {}


def test_validate_repeat_page(form: Instrument) -> None:
    jobs = g(form, "jobs")
    none = validate_page(form, jobs, {"consent": "yes"}, today=TODAY)
    assert none == {"jobs": ValidationIssue("repeat_min", None, {"min": 1, "count": 0})}
    whole = validate_page(form, jobs, {"consent": "yes", "jobs": [{"start": "2019"}, {}]}, today=TODAY)
    assert set(whole) == {"jobs[1].start"}
    answers = {"consent": "yes", "jobs": [{"start": "2019", "end": "2018", "skills": ["welding"]}]}
    issues = validate_page(form, jobs, answers, today=TODAY, entry=("jobs", 0))
    assert issues["end"].code == "constraint"
    assert issues["who"].code == "required"
    answers["jobs"][0]["trainings"] = [{}, {}]
    issues = validate_page(form, jobs, answers, today=TODAY, entry=("jobs", 0))
    assert issues["trainings[0].topic"].code == "required"
    assert "trainings[1].topic" not in issues  # required only in the first entry


def test_required_missing_and_repeat_counts(form: Instrument) -> None:
    assert required_missing(form, {}, TODAY) == ["consent"]
    missing = required_missing(form, {"consent": "yes"}, TODAY)
    assert missing == ["birth_year", "jobs"]  # jobs: fewer entries than min 1
    three = {"consent": "yes", "birth_year": 1990, "jobs": [{"start": "2019"}] * 3}
    assert required_missing(form, three, TODAY) == []
    issues = validate_page(form, Group(name="wrap", children=(g(form, "jobs"),)), three, today=TODAY)
    assert issues["jobs"] == ValidationIssue("repeat_max", None, {"max": 2, "count": 3})


def test_calculations_top_level_and_in_repeats(form: Instrument) -> None:
    answers = {"consent": "yes", "birth_year": 1998, "jobs": [{"start": "2019"}, {"start": "2021"}]}
    expected = {"age": "28", "jobs": [{"job_no": "1"}, {"job_no": "2"}]}
    assert calculate_all(form, answers, today=TODAY) == expected


def test_choice_filter(form: Instrument) -> None:
    names = [c.name for c in filtered_choices(form, q(form, "pref"), {"region": "kanto"}, today=TODAY)]
    assert names == ["13", "14"]
    assert [c.name for c in filtered_choices(form, q(form, "pref"), {}, today=TODAY)] == []
    assert len(filtered_choices(form, q(form, "region"), {}, today=TODAY)) == 2


def test_prune_irrelevant_until_stable(form: Instrument) -> None:
    answers = {
        "consent": "yes", "married": "no", "spouse_in_japan": "yes", "unknown": 1,
        "jobs": [{"start": "2019", "skills": ["forklift"], "who": "boss", "job_no": "9"}],
    }
    pruned = prune_irrelevant(form, answers, TODAY)
    assert pruned == {"consent": "yes", "married": "no", "jobs": [{"start": "2019", "skills": ["forklift"]}]}
    assert prune_irrelevant(form, {**answers, "consent": "no"}, TODAY) == {"consent": "no"}
    assert answers["jobs"][0]["who"] == "boss"  # the input is not modified


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=10,
)
_names = st.sampled_from(["consent", "birth_year", "married", "region", "pref", "jobs", "start", "end",
                          "skills", "who", "trainings", "topic", "age", "other"])
_answers = st.dictionaries(_names, _json | st.lists(st.dictionaries(_names, _json, max_size=4), max_size=3),
                           max_size=8)


@settings(max_examples=150, deadline=None)
@given(_answers)
def test_engine_never_fails_on_malformed_drafts(answers: dict[str, object]) -> None:
    form = load_text(FORM, source="form")
    for group in form.groups:
        validate_page(form, group, answers, today=TODAY)
    calculate_all(form, answers, today=TODAY)
    required_missing(form, answers, TODAY)
    pruned = prune_irrelevant(form, answers, TODAY)
    assert prune_irrelevant(form, pruned, TODAY) == pruned  # pruning is idempotent


@pytest.mark.parametrize(
    ("qtype", "raw", "locale", "value"),
    [
        ("integer", "150.000.000", "vi", 150000000),  # Vietnamese/Indonesian thousands
        ("integer", "150.000.000", "id", 150000000),
        ("integer", "1,500,000", "vi", 1500000),  # the English way, on a Vietnamese page
        ("integer", "1,500,000", "en", 1500000),
        ("integer", "50人", "ja", 50),  # a unit after the number
        ("integer", "５０", "ja", 50),  # full-width digits
        ("integer", "२५", "ne", 25),  # Devanagari digits
        ("integer", "២៥", "km", 25),  # Khmer digits
        ("integer", "๒๕", "th", 25),  # Thai digits
        ("integer", "1,500,000", "th", 1500000),
        ("integer", "25 នាក់", "km", 25),  # a unit with vowel signs after the number ("people")
        ("integer", "25ปี", "th", 25),  # "years"
        ("integer", "¥50,000", "ja", 50000),
        ("decimal", "2,5", "vi", "2.5"),  # the decimal comma
        ("decimal", "2,5", "id", "2.5"),
        ("decimal", "2.5", "vi", "2.5"),
        ("decimal", "1.5", "en", "1.5"),
    ],
)
def test_numbers_in_the_participants_own_writing(qtype: str, raw: str, locale: str, value: object) -> None:
    assert convert_answer(Question(name="x", type=qtype), raw, locale=locale).value == value


@pytest.mark.parametrize(("raw", "locale"), [("15万", "ja"), ("10-20", "en"), ("2,5", "en"), ("1.5", "vi"),
                                                ("5ล้าน", "th"), ("5 លាន", "km")])
def test_numbers_that_cannot_be_read_safely_are_refused(raw: str, locale: str) -> None:
    # 15万 is 150,000: a multiplier is never dropped as a unit; "2,5" is no English number; in
    # Vietnamese "1.5" is neither a decimal (comma) nor grouped thousands.
    with pytest.raises(AnswerError):
        convert_answer(Question(name="x", type="integer"), raw, locale=locale)
