"""State sequences: the STS months and SPELL runs for TraMineR / sequenzo."""

from __future__ import annotations

import pytest

from tests.workers.records.records_support import INTAKE, jobs, rows, run
from workers.records import month_index


@pytest.mark.parametrize(("entry", "state"), [
    ({"status": "ti_3"}, "ti"), ({"status": "esd"}, "esd"), ({"status": "ssw_2"}, "ssw"),
    ({"status": "eng_hum"}, "eng_hum"), ({"status": "student"}, "student_jp"),
    ({"status": "permanent"}, "other_jp"), ({"prefecture": "13"}, "other_jp"),
    ({"country": "JPN", "job_kind": "study"}, "student_jp"),
    ({"status": "ti_1", "job_kind": "unemployed"}, "unemployed"),
    ({"country": "VNM"}, "home_work"), ({"country": "VNM", "job_kind": "study"}, "home_study"),
    ({"country": "VNM", "job_kind": "pre_departure_training"}, "pre_departure"),
    ({"country": "VNM", "job_kind": "family"}, "abroad_other"), ({"country": "USA"}, "abroad_other"),
    ({"status": "not_in_japan"}, "home_work"), ({}, "home_work"),
])
def test_states_of_episodes(entry: dict[str, str], state: str) -> None:
    records = run((INTAKE, jobs({"start": "2020-01", "end": "2020-03", **entry})))
    assert records.sts == (state, state, state)
    assert rows(records, "sequences_spell") == [{"participant_code": "TI-0001", "begin": month_index(2020, 1),
                                                  "end": month_index(2020, 3), "status": state,
                                                  "first_episode": 1, "last_episode": 1}]


def test_gaps_are_unknown_months_and_spells_skip_them() -> None:
    records = run((INTAKE, jobs({"start": "2018-01", "end": "2018-02", "status": "ti_1"},
                                {"start": "2018-05", "end": "2018-05", "job_kind": "unemployed",
                                 "country": "JPN"},
                                {"start": "2018-08", "end": "2018-08", "status": "ti_2"})))
    assert records.sts == ("ti", "ti", "*", "*", "unemployed", "*", "*", "ti")
    assert [(s["begin"] - month_index(2018, 1), s["end"] - month_index(2018, 1), s["status"])
            for s in rows(records, "sequences_spell")] == [(0, 1, "ti"), (4, 4, "unemployed"), (7, 7, "ti")]


def test_the_later_starting_spell_holds_overlapping_months() -> None:
    records = run((INTAKE, jobs({"start": "2018-01", "end": "2018-06", "status": "eng_hum"},
                                {"start": "2018-03", "end": "2018-04", "status": "student"})))
    assert records.sts == ("eng_hum", "eng_hum", "student_jp", "student_jp", "eng_hum", "eng_hum")
    assert [(s["status"], s["first_episode"], s["last_episode"]) for s in rows(records, "sequences_spell")] == [
        ("eng_hum", 1, 1), ("student_jp", 2, 2), ("eng_hum", 1, 1)]


def test_a_spell_of_consecutive_episodes_in_one_state_names_its_first_and_last_episode() -> None:
    records = run((INTAKE, jobs({"start": "2018-01", "end": "2018-12", "status": "ti_1"},
                                {"start": "2019-01", "end": "2020-12", "status": "ti_2"},
                                {"start": "2021-01", "end": "2021-06", "status": "ssw_1"})))
    assert [(s["status"], s["first_episode"], s["last_episode"]) for s in rows(records, "sequences_spell")] == [
        ("ti", 1, 2), ("ssw", 3, 3)]
    episodes = rows(records, "episodes")
    spell = rows(records, "sequences_spell")[0]
    assert spell["begin"] == episodes[spell["first_episode"] - 1]["start_month"]
    assert spell["end"] == episodes[spell["last_episode"] - 1]["end_month"]


def test_sequences_stop_at_the_response_month() -> None:
    records = run((INTAKE, jobs({"start": "2026-03", "end": "2027-12", "status": "ssw_1"},
                                {"start": "2028-01", "status": "ssw_2"})))
    assert records.sts == ("ssw", "ssw", "ssw")        # March to May 2026, the month of the response
    assert len(records.episodes) == 2


def test_spells_and_sts_agree() -> None:
    records = run((INTAKE, jobs({"start": "2010", "end": "2012", "country": "VNM", "job_kind": "study"},
                                {"start": "2014-07", "end": "2015-03", "job_kind": "pre_departure_training"},
                                {"start": "2015-04", "status": "ti_1"})))
    first = rows(records, "sequences_spell")[0]["begin"]
    assert first == rows(records, "episodes")[0]["start_month"]
    rebuilt = ["*"] * len(records.sts)
    for spell in rows(records, "sequences_spell"):
        for month in range(spell["begin"], spell["end"] + 1):
            rebuilt[month - first] = spell["status"]
    assert tuple(rebuilt) == records.sts
    assert records.sts[-1] == "ti"
