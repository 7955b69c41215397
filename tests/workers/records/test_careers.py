"""Whole careers through the converter: episodes, transitions, participants' derived columns, firms."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.workers.records.records_support import DEBRIEF, INTAKE, KEY, MANAGER, flags, jobs, rows, run
from workers.records import PIPELINE_VERSION, month_index, pseudonym


def _kinds(records: object) -> list[tuple[int, int, str]]:
    return [(t["from_episode"], t["to_episode"], t["kind"]) for t in rows(records, "transitions")]  # type: ignore[arg-type]


def test_ti_through_three_stages_to_ssw_with_the_same_employer() -> None:
    sato = {"employer": "Sato Kogyo", "employees": 35, "industry": "E", "prefecture": "23", "ti_type": "b"}
    records = run((INTAKE, jobs(
        # given out of order: the converter sorts them in time
        {"start": "2020-05", "end": "2022-04", "status": "ti_2", **sato},
        {"start": "2018", "end": "2019-03", "job_kind": "pre_departure_training", "country": "VNM"},
        {"start": "2019-04", "end": "2020-04", "status": "ti_1", **sato},
        {"start": "2022-05", "end": "2024-04", "status": "ti_3", **sato},
        {"start": "2024-05", "ongoing": "yes", "status": "ssw_1", "employer": "SATO kogyo", "employees": 35,
         "industry": "E"},
    )))
    episodes = rows(records, "episodes")
    assert [e["residence_status"] for e in episodes] == [None, "ti_1", "ti_2", "ti_3", "ssw_1"]
    assert [e["episode_no"] for e in episodes] == [1, 2, 3, 4, 5]
    assert episodes[0]["kind"] == "pre_departure_training"
    assert episodes[0]["country"] == "VNM"
    assert all(e["country"] == "JPN" for e in episodes[1:])      # JPN by default from the residence status
    ref = pseudonym("E", "Sato Kogyo", KEY)
    assert {e["employer_ref"] for e in episodes[1:]} == {ref}
    assert episodes[1]["employer_size"] == "small"
    assert [e["ti_type"] for e in episodes] == [None, "b", "b", "b", None]
    assert episodes[4]["ongoing"] is True
    assert episodes[4]["end_month"] == month_index(2026, 5)
    assert episodes[0]["start_month"] == month_index(2018, 1)
    assert episodes[0]["end_month"] == month_index(2019, 3)

    assert _kinds(records) == [
        (1, 2, "entry_to_japan"),
        (2, 3, "status_change"), (3, 4, "status_change"),
        (4, 5, "status_change"), (4, 5, "ti_to_ssw_same_employer"),
    ]
    transition = rows(records, "transitions")[-1]
    assert (transition["month"], transition["from_status"], transition["to_status"]) == \
        (month_index(2024, 5), "ti_3", "ssw_1")

    person = rows(records, "participants")[0]
    assert person["first_arrival_ym"] == "2019-04"
    assert person["current_residence_status"] == "ssw_1"
    assert person["n_employers_japan"] == 1
    assert person["n_episodes"] == 5
    months = month_index(2026, 5) - month_index(2019, 4) + 1
    assert person["years_in_japan"] == round(months / 12, 1)
    assert person["pipeline_version"] == PIPELINE_VERSION
    assert person["instrument_versions"] == "t_intake@2026.1"
    assert [(s["begin"], s["end"], s["status"]) for s in rows(records, "sequences_spell")] == [
        (month_index(2018, 1), month_index(2019, 3), "pre_departure"),
        (month_index(2019, 4), month_index(2024, 4), "ti"),
        (month_index(2024, 5), month_index(2026, 5), "ssw"),
    ]
    assert flags(records) == []


def test_ti_to_ssw_with_a_new_employer() -> None:
    records = run((INTAKE, jobs(
        {"start": "2019-04", "end": "2022-03", "status": "ti_2", "employer": "A"},
        {"start": "2022-04", "status": "ssw_1", "employer": "B"},
    )))
    assert _kinds(records) == [(1, 2, "status_change"), (1, 2, "employer_change"),
                               (1, 2, "ti_to_ssw_new_employer")]


def test_return_home_and_re_entry() -> None:
    records = run((INTAKE, jobs(
        {"start": "2016-01", "end": "2018-12", "status": "ti_2", "employer": "A"},
        {"start": "2019-01", "end": "2019-12", "country": "VNM", "employer": "Hanoi Co"},
        {"start": "2020-01", "status": "ssw_1", "employer": "A"},
    )))
    assert _kinds(records) == [
        (1, 2, "employer_change"), (1, 2, "return_home"),
        (2, 3, "employer_change"), (2, 3, "entry_to_japan"),
    ]
    person = rows(records, "participants")[0]
    assert person["first_arrival_ym"] == "2016-01"
    assert person["years_in_japan"] == round((36 + month_index(2026, 5) - month_index(2020, 1) + 1) / 12, 1)
    states = [s["status"] for s in rows(records, "sequences_spell")]
    assert states == ["ti", "home_work", "ssw"]


def test_a_job_in_a_third_country_is_not_a_return_home() -> None:
    records = run((INTAKE, jobs(
        {"start": "2016-01", "end": "2018-12", "status": "ti_2"},
        {"start": "2019-01", "end": "2019-12", "country": "USA"},
    )))
    assert _kinds(records) == []
    assert [s["status"] for s in rows(records, "sequences_spell")] == ["ti", "abroad_other"]


def test_move_to_an_overseas_subsidiary() -> None:
    records = run((INTAKE, jobs(
        {"start": "2019-04", "end": "2022-03", "status": "ti_2", "employer": "Sato"},
        {"start": "2022-04", "country": "VNM", "employer": "Sato Vietnam", "subsidiary": "yes"},
    )))
    assert (1, 2, "to_overseas_subsidiary") in _kinds(records)
    assert (1, 2, "return_home") in _kinds(records)


def test_sie_with_three_employers_and_a_promotion() -> None:
    records = run((INTAKE, jobs(
        {"start": "2012-09", "end": "2016-06", "job_kind": "study", "country": "CHN"},
        {"start": "2016-10", "end": "2019", "status": "eng_hum", "employer": "Alpha KK", "occupation": "2",
         "employees": 80, "industry": "G", "route": "direct_hire"},
        {"start": "2020-01", "end": "2021-12", "status": "eng_hum", "employer": "Beta", "occupation": "2"},
        {"start": "2022-01", "end": "2023-03", "status": "eng_hum", "employer": "Gamma", "occupation": "2"},
        {"start": "2023-04", "ongoing": "yes", "status": "permanent", "employer": "GAMMA", "occupation": "1",
         "promoted": "yes"},
        nationality="CHN", birth_year=1994,
    )), code="SIE-0003", ptype="sie")
    episodes = rows(records, "episodes")
    assert len({e["employer_ref"] for e in episodes if e["employer_ref"]}) == 3
    assert episodes[1]["employer_size"] == "medium"
    assert episodes[1]["entry_route"] == "direct_hire"
    assert episodes[1]["end_month"] == month_index(2019, 12)      # a year-only end ends in December
    assert _kinds(records) == [
        (1, 2, "entry_to_japan"),
        (2, 3, "employer_change"),
        (3, 4, "employer_change"),
        (4, 5, "status_change"), (4, 5, "occupation_change"), (4, 5, "promotion"),
    ]
    person = rows(records, "participants")[0]
    assert (person["participant_code"], person["n_employers_japan"], person["current_residence_status"]) == \
        ("SIE-0003", 3, "permanent")
    assert person["first_arrival_ym"] == "2016-10"
    assert [s["status"] for s in rows(records, "sequences_spell")] == ["home_study", "eng_hum", "other_jp"]


def test_participant_answers_codes_and_facts() -> None:
    records = run((INTAKE, jobs(gender="female", education="bachelor", jlpt="n3", nationality="MMR")))
    person = rows(records, "participants")[0]
    assert (person["gender"], person["education_level"], person["japanese_level"], person["nationality"]) == \
        ("female", "6", "n3", "MMR")
    assert (person["study"], person["participant_type"], person["form_language"], person["status"]) == \
        ("sme-careers", "ti", "vi", "submitted")
    assert person["consented_at"] == "2026-05-01T12:00:00Z"
    assert person["n_episodes"] == 0
    assert person["years_in_japan"] is None
    assert person["n_employers_japan"] is None
    assert records.episodes == ()
    assert records.sts == ()
    assert records.sequences_spell == ()


def test_skill_events_from_intake_fan_out_and_debrief_repeat() -> None:
    records = run(
        (INTAKE, jobs(
            {"start": "2019-04", "status": "ti_1", "recognised_by": ["employer_manager", "coworkers"],
             "limited_by": ["supervising_org"]},
            self_taught=["language", "digital"])),
        (DEBRIEF, {"events": [
            {"event": "ascribe", "actor": "employer_manager", "domain": "interpersonal", "episode": 1,
             "note": "Called 'reliable' by the president"},
            {"event": "cultivate", "actor": "sending_org", "domain": "language"},
        ]}),
    )
    events = [(e["event_no"], e["episode_no"], e["event"], e["actor"], e["skill_domain"], e["source"])
              for e in rows(records, "skill_events")]
    assert events == [
        (1, 1, "recognise", "employer_manager", "technical", "intake"),
        (2, 1, "recognise", "coworkers", "technical", "intake"),
        (3, 1, "limit_deny", "supervising_org", "language", "intake"),
        (4, None, "cultivate", "self", "language", "intake"),
        (5, None, "cultivate", "self", "digital", "intake"),
        (6, 1, "ascribe", "employer_manager", "interpersonal", "interview"),
        (7, None, "cultivate", "sending_org", "language", "interview"),
    ]
    assert rows(records, "skill_events")[5]["note"] == "Called 'reliable' by the president"
    assert rows(records, "participants")[0]["instrument_versions"] == "t_debrief@1;t_intake@2026.1"


def test_skill_events_follow_their_episode_after_sorting() -> None:
    records = run((INTAKE, jobs(
        {"start": "2021-01", "status": "ti_2", "recognised_by": ["coworkers"]},
        {"start": "2019-01", "end": "2020-12", "status": "ti_1"},
    )))
    assert [e["episode_no"] for e in rows(records, "skill_events")] == [2]


def test_a_managers_firms() -> None:
    answers = {
        "firm_name": "Yamada Seimitsu", "firm_industry": "E", "firm_prefecture": "23", "firm_employees": 45,
        "firm_capital": "10m_50m", "n_ti": 6, "n_ssw": 2, "n_sie": 0, "uses_so": "yes",
        "has_subsidiary": "no", "retains": "yes", "hires_sub": "dont_know",
        "other_firms": [{"other_name": "Yamada Trading", "other_industry": "I", "other_employees": 150},
                        {"other_industry": "P", "other_employees": 30}],
    }
    records = run((MANAGER, answers), code="MGR-0003", ptype="manager")
    firms = rows(records, "firms")
    assert firms[0] == {
        "firm_ref": pseudonym("F", "Yamada Seimitsu", KEY), "participant_code": "MGR-0003", "industry": "E",
        "prefecture": "23", "employees": 45, "capital_band": "10m_50m", "sme": True, "n_ti": 6, "n_ssw": 2,
        "n_sie": 0, "uses_supervising_org": True, "has_overseas_subsidiary": False, "retains_ti_as_ssw": True,
        "hires_for_subsidiary": None,
    }
    assert (firms[1]["firm_ref"], firms[1]["sme"]) == (pseudonym("F", "Yamada Trading", KEY), None)
    assert (firms[2]["firm_ref"], firms[2]["sme"]) == ("F-MGR-0003-3", True)   # no name: code + row number
    person = rows(records, "participants")[0]
    assert person["participant_type"] == "manager"
    assert person["n_episodes"] == 0
    assert records.episodes == ()


def test_the_same_firm_twice_is_kept_once_and_flagged() -> None:
    answers = {"firm_name": "Yamada", "other_firms": [{"other_name": " YAMADA "}]}
    records = run((MANAGER, answers), code="MGR-0001", ptype="manager")
    assert len(records.firms) == 1
    assert flags(records) == [(None, "conversion_note")]


def test_a_resubmitted_instrument_replaces_the_earlier_response() -> None:
    first = (INTAKE, jobs({"start": "2019-04", "status": "ti_1"}))
    second = (INTAKE, jobs({"start": "2019-05", "status": "ti_1"}, {"start": "2015", "end": "2018"}))
    records = run(first, second)
    assert [e["start"] for e in rows(records, "episodes")] == ["2015", "2019-05"]


def test_the_employer_reference_is_pseudonymous_and_stable() -> None:
    one = run((INTAKE, jobs({"start": "2019", "employer": "Sato Kogyo"})), key=b"k1")
    two = run((INTAKE, jobs({"start": "2019", "employer": "sato kogyo"})), key=b"k1")
    other_study = run((INTAKE, jobs({"start": "2019", "employer": "Sato Kogyo"})), key=b"k2")
    ref = rows(one, "episodes")[0]["employer_ref"]
    assert ref == rows(two, "episodes")[0]["employer_ref"] != rows(other_study, "episodes")[0]["employer_ref"]
    assert "Sato" not in one.to_json()
    assert "sato" not in two.to_json()


def test_ongoing_spells_end_at_the_submission_month_capped_by_today() -> None:
    answers = jobs({"start": "2019-04", "status": "ti_1"})
    late = run((INTAKE, answers), submitted=datetime(2026, 8, 3, tzinfo=UTC))
    assert rows(late, "episodes")[0]["end_month"] == month_index(2026, 6)   # submitted after "today"
    early = run((INTAKE, answers), submitted=datetime(2025, 1, 31, 23, 0, tzinfo=UTC))
    assert rows(early, "episodes")[0]["end_month"] == month_index(2025, 1)


def test_instruments_without_record_mappings_are_left_out() -> None:
    from instruments.model import Group, Instrument, Question

    consent = Instrument(id="consent", version="1", title={}, default_language="en", languages=("en",),
                         groups=(Group(name="p", children=(Question(name="consent", type="acknowledge"),)),),
                         choice_lists={})
    records = run((consent, {"consent": "yes"}), (INTAKE, jobs({"start": "2020"})))
    assert rows(records, "participants")[0]["instrument_versions"] == "t_intake@2026.1"
