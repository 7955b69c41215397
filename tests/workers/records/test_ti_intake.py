"""The records converter on the bundled technical-intern intake: its record mappings give the
episodes, transitions and skill events a researcher expects of a TI (i) -> (ii) -> SSW (i) career."""

from __future__ import annotations

from typing import Any

import instruments
from instruments.model import Instrument
from tests.workers.records.records_support import KEY, flags, rows, run
from workers.records import month_index, pseudonym


def _ti_intake() -> Instrument:
    return instruments.load(instruments.bundled_dir() / "ti_intake.yaml")


def _job(employer: str, start: str, end: str | None, status: str, **more: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "job_employer": employer, "job_employees": 25, "job_industry": "E", "job_occupation": "7",
        "job_title": "welding", "job_prefecture": "21", "job_start": start,
        "job_ongoing": "yes" if end is None else "no", "job_status": status, "job_route": "supervising_org",
        "job_employment": "fixed_term", "job_training": ["ojt"], "job_skills_used": ["technical"], **more,
    }
    if end is not None:
        job["job_end"] = end
    return job


ANSWERS: dict[str, Any] = {
    "birth_year": 1998, "gender": "male", "nationality": "VNM", "education": "3",
    "home_jobs": [{"home_job_title": "farm work", "home_occupation": "6", "home_country": "VNM",
                   "home_start": "2015", "home_end": "2018-06"}],
    "had_training": "yes",
    "training": [{"training_country": "VNM", "training_start": "2018-08", "training_end": "2019-02",
                  "training_months": 6}],
    "used_sending_org": "yes", "used_supervising_org": "yes", "used_agency": "unsure",
    "fees_paid": "150000000", "fees_currency": "VND", "debt_owed": "yes",
    "jobs": [
        _job("Gifu Metal KK", "2019-03", "2020-02", "ti_1", job_ti_type="b", job_cultivated_by=["coworkers"],
             job_reason_left="moved up to 2go"),
        _job("Gifu Metal KK", "2020-03", "2022-02", "ti_2", job_ti_type="b",
             job_recognised_by=["employer_manager"]),
        _job("Aichi Parts", "2022-04", None, "ssw_1", job_route="referral", job_employment="regular",
             job_prefecture="23", job_recognised_by=["employer_manager", "government"]),
    ],
    "japanese_level": "n3", "plans": "ssw_other",
    "interview_ok": "yes", "contact_name": "Nam", "contact_app": "zalo", "contact_app_id": "nam98",
}


def test_ti_career_episodes() -> None:
    records = run((_ti_intake(), ANSWERS))
    episodes = rows(records, "episodes")
    assert [(e["kind"], e["country"], e["residence_status"], e["ti_type"]) for e in episodes] == [
        ("job", "VNM", None, None),
        ("pre_departure_training", "VNM", None, None),
        ("job", "JPN", "ti_1", "b"),
        ("job", "JPN", "ti_2", "b"),
        ("job", "JPN", "ssw_1", None),
    ]
    assert [e["ongoing"] for e in episodes] == [False, False, False, False, True]
    assert episodes[2]["employer_ref"] == episodes[3]["employer_ref"] == pseudonym("E", "Gifu Metal KK", KEY)
    assert episodes[4]["employer_ref"] != episodes[3]["employer_ref"]
    assert (episodes[2]["start_month"], episodes[2]["end_month"]) == \
        (month_index(2019, 3), month_index(2020, 2))
    assert (episodes[4]["prefecture"], episodes[4]["entry_route"], episodes[4]["employment_type"]) == \
        ("23", "referral", "regular")
    assert (episodes[2]["employer_size"], episodes[2]["reason_left"]) == ("small", "moved up to 2go")
    assert flags(records) == []


def test_ti_career_transitions_and_participant() -> None:
    records = run((_ti_intake(), ANSWERS))
    kinds = {(t["from_episode"], t["kind"]) for t in rows(records, "transitions")}
    assert {(2, "entry_to_japan"), (3, "status_change"), (4, "ti_to_ssw_new_employer")} <= kinds
    person = rows(records, "participants")[0]
    assert (person["birth_year"], person["nationality"], person["education_level"], person["japanese_level"],
            person["current_residence_status"], person["n_employers_japan"]) == \
        (1998, "VNM", "3", "n3", "ssw_1", 2)


def test_ti_skill_events_fan_out_per_job() -> None:
    records = run((_ti_intake(), ANSWERS))
    events = [(e["episode_no"], e["event"], e["actor"], e["skill_domain"], e["source"])
              for e in rows(records, "skill_events")]
    assert events == [
        (3, "cultivate", "coworkers", "technical", "intake"),
        (4, "recognise", "employer_manager", "technical", "intake"),
        (5, "recognise", "employer_manager", "technical", "intake"),
        (5, "recognise", "government", "technical", "intake"),
    ]


def test_contact_answers_never_reach_the_records() -> None:
    records = run((_ti_intake(), ANSWERS))
    dumped = repr(records.tables())
    assert "Nam" not in dumped
    assert "nam98" not in dumped
    assert "Gifu Metal KK" not in dumped
