"""The converter on the study's bundled instruments (instruments/study/*.yaml)."""

from __future__ import annotations

import pytest

import instruments
from instruments.model import Instrument
from tests.workers.records.records_support import KEY, flags, rows, run
from workers.records import month_index, pseudonym


def _bundled(instrument_id: str) -> Instrument:
    path = instruments.bundled_dir() / f"{instrument_id}.yaml"
    if not path.exists():
        pytest.skip(f"{instrument_id} is not bundled yet")
    return instruments.load(path)


def _sie_job(employer: str, start: str, end: str | None, **more: object) -> dict[str, object]:
    job: dict[str, object] = {
        "employer_name": employer, "employer_employees": 40, "industry": "G", "overseas_subsidiary": "no",
        "prefecture": "13", "occupation": "2", "employment_type": "regular", "job_route": "direct_hire",
        "start": start, "ongoing": "yes" if end is None else "no", "residence_status": "eng_hum",
        "recognised": "yes", "recognised_by": ["employer_manager"], "limited": "no", **more,
    }
    if end is not None:
        job["end"] = end
    return job


def test_sie_intake_with_three_employers() -> None:
    sie = _bundled("sie_intake")
    answers = {
        "birth_year": 1992, "gender": "female", "nationality": "VNM", "education": "6",
        "home_jobs": [{"home_country": "VNM", "home_start": "2014-09", "home_end": "2016-03",
                       "home_occupation": "2"}],
        "studies": [{"study_country": "VNM", "school_type": "university", "study_start": "2010-09",
                     "study_end": "2014-06"}],
        "first_arrival": "2016-04", "arrival_route": "direct_hire",
        "jobs": [
            _sie_job("Tokyo Soft KK", "2016-04", "2019-03"),
            _sie_job("Osaka Denki", "2019-04", "2022"),
            _sie_job("Nagoya Systems", "2023-01", None, promotion="no", limited="yes",
                     limited_by=["coworkers"]),
        ],
        "japanese_level": "n2",
    }
    records = run((sie, answers), code="SIE-0001", ptype="sie")
    episodes = rows(records, "episodes")
    assert [(e["kind"], e["country"]) for e in episodes] == [
        ("study", "VNM"), ("job", "VNM"), ("job", "JPN"), ("job", "JPN"), ("job", "JPN")]
    assert episodes[2]["employer_ref"] == pseudonym("E", "Tokyo Soft KK", KEY)
    assert episodes[3]["end_month"] == month_index(2022, 12)
    assert episodes[4]["ongoing"] is True
    kinds = [(t["from_episode"], t["kind"]) for t in rows(records, "transitions")]
    assert kinds == [(2, "entry_to_japan"), (3, "employer_change"), (4, "employer_change")]
    person = rows(records, "participants")[0]
    assert (person["n_employers_japan"], person["current_residence_status"], person["japanese_level"]) == \
        (3, "eng_hum", "n2")
    assert (person["first_arrival_ym"], person["nationality"], person["education_level"]) == \
        ("2016-04", "VNM", "6")
    events = [(e["episode_no"], e["event"], e["actor"]) for e in rows(records, "skill_events")]
    assert events == [(3, "recognise", "employer_manager"), (4, "recognise", "employer_manager"),
                      (5, "recognise", "employer_manager"), (5, "limit_deny", "coworkers")]
    assert flags(records) == []        # every required answer given, dates in order


def test_sie_intake_flags_a_missing_required_answer() -> None:
    sie = _bundled("sie_intake")
    records = run((sie, {"jobs": [_sie_job("Tokyo Soft KK", "2016-04", None)]}), code="SIE-0002", ptype="sie")
    missing = [r["detail"] for r in rows(records, "quality_flags") if r["flag"] == "missing_required"]
    assert "birth_year: no answer" in missing


def test_manager_intake_fills_the_firm_row() -> None:
    manager = _bundled("manager_intake")
    answers = {"firm_name": "Yamada Seimitsu", "firm_industry": "E", "firm_prefecture": "23",
               "firm_employees": 45, "capital_band": "10m_50m", "n_ti": 6, "n_ssw": 2, "n_sie": 0,
               "uses_supervising_org": "yes", "retains_ti_as_ssw": "no", "has_overseas_subsidiary": "yes",
               "hires_for_subsidiary": "yes"}
    records = run((manager, answers), code="MGR-0001", ptype="manager")
    (firm,) = rows(records, "firms")
    assert firm["firm_ref"] == pseudonym("F", "Yamada Seimitsu", KEY)
    assert (firm["sme"], firm["uses_supervising_org"], firm["retains_ti_as_ssw"]) == (True, True, False)
    assert (firm["employees"], firm["prefecture"], firm["n_ti"]) == (45, "23", 6)


def test_debrief_adds_interview_skill_events_and_the_interview_date() -> None:
    sie, debrief = _bundled("sie_intake"), _bundled("debrief")
    intake = {"birth_year": 1990, "nationality": "PHL", "jobs": [_sie_job("Alpha", "2018-04", None)]}
    coded = {"interview_date": "2026-05-20", "interview_mode": "video", "interview_language": "en",
             "interpreter": "no", "skill_events": [
                 {"event_episode": 1, "event": "ascribe", "actor": "employer_manager",
                  "skill_domain": "language", "event_note": "English teacher role assumed"},
                 {"event": "cultivate", "actor": "self", "skill_domain": "digital"}]}
    records = run((sie, intake), (debrief, coded), code="SIE-0004", ptype="sie")
    events = [(e["event_no"], e["episode_no"], e["event"], e["source"])
              for e in rows(records, "skill_events")]
    assert events == [(1, 1, "recognise", "intake"), (2, 1, "ascribe", "interview"),
                      (3, None, "cultivate", "interview")]
    person = rows(records, "participants")[0]
    assert person["interview_date"] == "2026-05-20"
    assert person["instrument_versions"] == f"debrief@{debrief.version};sie_intake@{sie.version}"


def test_ti_intake_from_training_through_three_stages_to_ssw() -> None:
    ti = _bundled("ti_intake")
    firm = {"job_employer": "Sato Kogyo", "job_employees": 35, "job_industry": "E", "job_occupation": "7",
            "job_prefecture": "23", "job_route": "supervising_org", "job_employment": "fixed_term",
            "job_ongoing": "no"}
    answers = {
        "birth_year": 1998, "gender": "male", "nationality": "VNM", "education": "3", "had_training": "yes",
        "training": [{"training_country": "VNM", "training_start": "2018-09", "training_end": "2019-03"}],
        "jobs": [
            {**firm, "job_start": "2019-04", "job_end": "2020-03", "job_status": "ti_1", "job_ti_type": "b",
             "job_recognised_by": ["coworkers"]},
            {**firm, "job_start": "2020-04", "job_end": "2022-03", "job_status": "ti_2", "job_ti_type": "b"},
            {**firm, "job_start": "2022-04", "job_end": "2024-03", "job_status": "ti_3", "job_ti_type": "b"},
            {**firm, "job_start": "2024-04", "job_ongoing": "yes", "job_status": "ssw_1",
             "job_employment": "regular", "job_cultivated_by": ["employer_manager"]},
        ],
        "japanese_level": "n3",
    }
    records = run((ti, answers), code="TI-0001", ptype="ti")
    episodes = rows(records, "episodes")
    assert [(e["kind"], e["residence_status"], e["ti_type"]) for e in episodes] == [
        ("pre_departure_training", None, None), ("job", "ti_1", "b"), ("job", "ti_2", "b"),
        ("job", "ti_3", "b"), ("job", "ssw_1", None)]
    kinds = [(t["from_episode"], t["kind"]) for t in rows(records, "transitions")]
    assert kinds == [(1, "entry_to_japan"), (2, "status_change"), (3, "status_change"), (4, "status_change"),
                     (4, "ti_to_ssw_same_employer")]
    assert [s["status"] for s in rows(records, "sequences_spell")] == ["pre_departure", "ti", "ssw"]
    assert [(e["episode_no"], e["event"]) for e in rows(records, "skill_events")] == [(2, "recognise"),
                                                                                      (5, "cultivate")]
    person = rows(records, "participants")[0]
    assert (person["current_residence_status"], person["n_employers_japan"]) == ("ssw_1", 1)
