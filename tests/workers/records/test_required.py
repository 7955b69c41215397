"""The records pipeline's missing_required check against the form engine, on an instrument with every kind of
rule the check treats apart: calculations, group and question relevance (``${x} = 'text'`` and others), required
expressions, literal and computed repeat counts, nested repeats."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments.engine import required_missing
from instruments.model import Group, Instrument, Question
from workers.records.required import missing_paths

TODAY = date(2026, 11, 1)


def _q(name: str, qtype: str = "text", **kw: Any) -> Question:
    return Question(name=name, type=qtype, label={"en": name}, **kw)


def _instrument(*, calculating: bool) -> Instrument:
    extra = (_q("doubled", "calculate", calculation="${count} * 2"),) if calculating else ()
    return Instrument(
        id="t_required", version="1", title={"en": "t"}, default_language="en", languages=("en",),
        choice_lists={}, groups=(
            Group(name="top", children=(
                _q("mode", required=True), _q("count", "integer", required=True), *extra,
                _q("why", required=True, relevant="${mode} = 'other'"),
                _q("how", required="${mode} != 'none'"),
                _q("note", required=True, relevant="${count} > 1"),
            )),
            Group(name="jobs", repeat=True, min_count=1, relevant="${mode} != 'none'", children=(
                _q("start", required=True), _q("kind", required=True),
                _q("end", required=True, relevant="${kind} = 'job'"),
                _q("pay", required=True, relevant="${mode} = 'paid'"),
                Group(name="inner", relevant="${kind} = 'study'", children=(_q("school", required=True),)),
                Group(name="tasks", repeat=True, repeat_count="2", children=(
                    _q("task", required=True, relevant="${kind} = 'job'"),)),
            )),
            Group(name="trips", repeat=True, repeat_count="${doubled}" if calculating else "${count}",
                  children=(_q("where", required=True),)),
        ))


_text = st.sampled_from(["", "job", "study", "other", "none", "paid", "1", "3", "x"])
_values = st.one_of(st.none(), _text, st.integers(0, 3), st.lists(_text, max_size=2))
_job = st.dictionaries(st.sampled_from(["start", "kind", "end", "pay", "school", "tasks"]),
                       st.one_of(_values, st.lists(st.dictionaries(st.just("task"), _values), max_size=3)))
answers_strategy = st.fixed_dictionaries({}, optional={
    "mode": _values, "count": st.one_of(st.integers(0, 3), _text), "why": _values, "how": _values, "note": _values,
    "jobs": st.lists(st.one_of(_job, st.just("not an entry")), max_size=3),
    "trips": st.lists(st.dictionaries(st.just("where"), _values), max_size=4),
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answers_strategy, calculating=st.booleans())
def test_missing_paths_agree_with_the_form_engine(answers: dict[str, Any], calculating: bool) -> None:
    instrument = _instrument(calculating=calculating)
    assert sorted(missing_paths(instrument, answers, TODAY)) == sorted(required_missing(instrument, answers, TODAY))


def test_paths_of_nested_entries() -> None:
    answers = {"mode": "paid", "count": 0, "how": "x", "jobs": [{"start": "2020", "kind": "job", "end": "2021",
                                                                 "tasks": [{"task": "a"}, {}]}]}
    assert missing_paths(_instrument(calculating=False), answers, TODAY) == ["jobs[0].pay", "jobs[0].tasks[1].task"]
