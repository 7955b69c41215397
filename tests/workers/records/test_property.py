"""Property: any valid answer set converts, deterministically, into rows that respect the contract."""

from __future__ import annotations

import functools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments.contract import SEQUENCES_SPELL, TABLES, vocabulary
from tests.workers.records.records_support import CHOICES, DEBRIEF, INTAKE, MANAGER, run
from workers.records import TABLE_NAMES, ParticipantRecords


def _codes(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([c.name for c in CHOICES[name]])


partial_dates = st.one_of(
    st.integers(1960, 2030).map(str),
    st.tuples(st.integers(1960, 2030), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    st.dates().filter(lambda d: 1960 <= d.year <= 2030).map(lambda d: d.isoformat()),
)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)

job = st.fixed_dictionaries({}, optional={
    "job_kind": _codes("kind"), "start": partial_dates, "end": partial_dates, "ongoing": _codes("yes_no"),
    "country": _codes("country"), "prefecture": _codes("prefecture"), "employer": texts,
    "employees": st.integers(0, 5000), "capital": _codes("capital"), "industry": _codes("industry"),
    "occupation": _codes("occupation"), "title": texts, "status": _codes("status"),
    "ti_type": _codes("ti_type"),
    "route": _codes("route"), "employment": _codes("employment"), "reason_left": texts,
    "subsidiary": _codes("yes_no"), "promoted": _codes("yes_no"),
    "recognised_by": st.lists(_codes("actor"), unique=True, max_size=3),
    "limited_by": st.lists(_codes("actor"), unique=True, max_size=3),
})

intake = st.fixed_dictionaries({"jobs": st.lists(job, max_size=12)}, optional={
    "nationality": _codes("country"), "gender": _codes("gender"), "birth_year": st.integers(1950, 2010),
    "education": _codes("education"), "jlpt": _codes("jlpt"),
    "self_taught": st.lists(_codes("domain"), unique=True, max_size=3), "optional_note": texts,
})

debrief = st.fixed_dictionaries({"events": st.lists(st.fixed_dictionaries({}, optional={
    "event": _codes("event"), "actor": _codes("actor"), "domain": _codes("domain"),
    "episode": st.integers(1, 12), "note": texts,
}), max_size=5)})

manager = st.fixed_dictionaries({}, optional={
    "firm_name": texts, "firm_industry": _codes("industry"), "firm_employees": st.integers(0, 2000),
    "firm_capital": _codes("capital"), "n_ti": st.integers(0, 50), "uses_so": _codes("yes_no"),
    "other_firms": st.lists(st.fixed_dictionaries({}, optional={
        "other_name": texts, "other_industry": _codes("industry"), "other_employees": st.integers(0, 900)}),
        max_size=3),
})


def _check_contract(records: ParticipantRecords) -> None:
    for name, table_rows in records.tables().items():
        table = TABLES.get(name) or SEQUENCES_SPELL
        for row in table_rows:
            assert len(row) == len(table.columns)
            for column, value in zip(table.columns, row, strict=True):
                if value is None:
                    continue
                if column.kind == "code":
                    assert value in vocabulary(column.vocab or ""), (name, column.name, value)
                elif column.kind == "integer":
                    assert type(value) is int
                elif column.kind == "boolean":
                    assert isinstance(value, bool)
                elif column.kind == "number":
                    assert isinstance(value, float)
                else:
                    assert isinstance(value, str)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intake=intake, debrief=debrief, manager=manager)
def test_random_valid_answers_always_convert_deterministically(
        intake: dict[str, Any], debrief: dict[str, Any], manager: dict[str, Any]) -> None:
    responses = ((INTAKE, intake), (DEBRIEF, debrief), (MANAGER, manager))
    records = run(*responses)
    again = run(*[(i, json.loads(json.dumps(a))) for i, a in responses])    # a stored-and-reloaded copy
    assert records == again
    assert records.to_json().encode() == again.to_json().encode()
    assert set(records.tables()) == set(TABLE_NAMES)
    _check_contract(records)

    episodes = records.episodes
    assert [e[1] for e in episodes] == list(range(1, len(episodes) + 1))
    starts = [e[8] for e in episodes if e[8] is not None]
    assert starts == sorted(starts)
    flags = records.quality_flags
    assert [f[1] for f in flags] == list(range(1, len(flags) + 1))
    assert [e[1] for e in records.skill_events] == list(range(1, len(records.skill_events) + 1))
    assert len({f[0] for f in records.firms}) == len(records.firms)

    spells = records.sequences_spell
    covered = sum(s[2] - s[1] + 1 for s in spells)
    assert covered == sum(1 for state in records.sts if state != "*")
    assert all(s[1] <= s[2] for s in spells)
    assert all(a[2] < b[1] for a, b in zip(spells, spells[1:], strict=False))
    assert set(records.sts) <= set(vocabulary("state")) | {"*"}
    assert records.participants[0][17] == len(episodes)
    if records.sequences_spell:
        assert records.sts_first_month == records.sequences_spell[0][1]


@functools.cache
def _bundled() -> dict[str, Any]:
    import instruments

    return instruments.load_bundled()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), drop=st.lists(st.integers(0, 40), max_size=6),
       ptype=st.sampled_from(["ti", "sie", "manager"]))
def test_missing_required_agrees_with_the_form_engine(seed: int, drop: list[int], ptype: str) -> None:
    """The pipeline's fast check finds exactly what instruments.engine.required_missing finds."""
    import random
    from datetime import date

    from instruments.engine import required_missing
    from webapp.commands.demo import answers_for, make_person
    from workers.records.required import missing_paths

    instrument = _bundled().get(f"{ptype}_intake")
    if instrument is None:
        return
    rng = random.Random(seed)
    today = date(2026, 11, 1)
    answers, _ = answers_for(instrument, make_person(rng, ptype, today), rng=rng, today=today)
    paths = [(k, None) for k in answers] + [(k, i) for k, v in answers.items() if isinstance(v, list)
                                              and v and isinstance(v[0], dict) for i in range(len(v))]
    for index in drop:  # take some answers (and repeat entries' answers) away
        if not paths:
            break
        key, entry = paths[index % len(paths)]
        if entry is None:
            answers.pop(key, None)
        elif isinstance(answers.get(key), list) and entry < len(answers[key]) and answers[key][entry]:
            answers[key][entry].pop(sorted(answers[key][entry])[index % len(answers[key][entry])], None)
    expected = required_missing(instrument, answers, today)
    assert sorted(missing_paths(instrument, answers, today)) == sorted(expected)
