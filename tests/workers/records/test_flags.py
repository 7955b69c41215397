"""Quality flags: every problem is flagged, nothing is silently fixed."""

from __future__ import annotations

from tests.workers.records.records_support import DEBRIEF, INTAKE, MANAGER, flags, jobs, rows, run


def _details(records: object, flag: str) -> list[str]:
    return [r["detail"] for r in rows(records, "quality_flags") if r["flag"] == flag]  # type: ignore[arg-type]


def test_a_clean_career_has_no_flags() -> None:
    records = run((INTAKE, jobs({"start": "2019-04", "end": "2020-03", "status": "ti_1"},
                                {"start": "2020-04", "status": "ti_2"})))
    assert flags(records) == []


def test_overlapping_spells() -> None:
    records = run((INTAKE, jobs({"start": "2019-01", "end": "2019-12", "status": "ti_1"},
                                {"start": "2019-06", "end": "2020-06", "status": "ssw_1"})))
    assert flags(records) == [(2, "overlap")]
    assert _details(records, "overlap") == ["overlaps episode 1 by 6 month(s) at least"]
    # the later-starting spell holds the overlapping months
    assert rows(records, "sequences_spell")[0]["end"] == rows(records, "episodes")[1]["start_month"] - 1


def test_a_handover_in_the_same_month_is_not_an_overlap() -> None:
    records = run((INTAKE, jobs({"start": "2019-01", "end": "2019-06"},
                                {"start": "2019-06", "end": "2019-09"})))
    assert flags(records) == []


def test_end_before_start_is_flagged_and_kept() -> None:
    records = run((INTAKE, jobs({"start": "2020-05", "end": "2019-02", "status": "ti_1"})))
    assert flags(records) == [(1, "end_before_start")]
    episode = rows(records, "episodes")[0]
    assert (episode["start"], episode["end"]) == ("2020-05", "2019-02")
    assert len(records.sts) == 1          # one month in the sequences


def test_dates_after_the_response_are_future_dates() -> None:
    records = run((INTAKE, jobs({"start": "2019-04", "end": "2027-03", "status": "ti_2"},
                                {"start": "2026-05", "end": "2026-05"})))
    assert (1, "future_date") in flags(records)
    assert (2, "future_date") not in flags(records)      # same month as the submission: not later
    assert _details(records, "future_date") == ["end 2027-03 is after the response (2026-05-15)"]


def test_gap_over_12_months() -> None:
    records = run((INTAKE, jobs({"start": "2015-01", "end": "2015-12"},
                                {"start": "2017-02", "end": "2017-12"},
                                {"start": "2018-12", "end": "2019-02"})))
    assert flags(records) == [(2, "gap_over_12_months")]   # 12 months between 2 and 3 is not over 12
    assert _details(records, "gap_over_12_months") == ["13 months without an episode before it"]
    assert records.sts.count("*") == 13 + 11


def test_under_15_at_a_job_start() -> None:
    records = run((INTAKE, jobs({"start": "2009", "end": "2009"},
                                {"start": "2010-06", "end": "2010-12", "job_kind": "study"},
                                {"start": "2011", "end": "2012"}, birth_year=1996)))
    # 2009 - 1996 = 13 at most; a study spell is not a job; 2011 - 1996 = 15 may be 14 or 15: not certain
    assert flags(records) == [(1, "under_15_at_start")]


def test_missing_required_answers() -> None:
    answers = jobs({"end": "2019"}, {"start": "2020"})
    del answers["birth_year"]
    records = run((INTAKE, answers))
    found = [(r["episode_no"], r["flag"], r["detail"]) for r in rows(records, "quality_flags")
             if r["flag"] == "missing_required"]
    assert found == [(None, "missing_required", "birth_year: no answer"),
                     (2, "missing_required", "jobs[0].start: no answer")]   # episode without start sorts last


def test_answer_meta_flags_are_carried_over_to_their_episode() -> None:
    meta = {"raw": {"jobs[1].employer": "ေစာ", "jobs[0].start": "令和元年5月"}, "flags": [
        {"path": "jobs[0].start", "flag": "era_date_parsed", "detail": "令和元年5月 -> 2019-05"},
        {"path": "jobs[1].employer", "flag": "zawgyi_converted", "detail": "Zawgyi text converted"},
        {"path": "gender", "flag": "something_new", "detail": "?"},
    ]}
    answers = jobs({"start": "2019-05", "status": "ti_1"}, {"start": "2015", "end": "2018", "employer": "x"})
    records = run((INTAKE, answers, meta))
    assert flags(records) == [(None, "conversion_note"), (1, "zawgyi_converted"), (2, "era_date_parsed")]
    assert _details(records, "era_date_parsed") == ["jobs[0].start: 令和元年5月 -> 2019-05"]
    assert _details(records, "conversion_note") == ["something_new: gender: ?"]


def test_unparsed_dates_and_values_outside_the_vocabulary() -> None:
    records = run((INTAKE, jobs({"start": "R6.4", "status": "tourist", "end": "2019"})))
    assert (1, "unparsed_date") in flags(records)
    assert (1, "conversion_note") in flags(records)
    episode = rows(records, "episodes")[0]
    assert (episode["start"], episode["residence_status"], episode["start_month"]) == (None, None, None)
    assert any("tourist" in d for d in _details(records, "conversion_note"))
    assert records.sts == ()


def test_flags_are_numbered_in_a_stable_order() -> None:
    records = run((INTAKE, jobs({"start": "2030"}, {"start": "2019-01", "end": "2018-01"}), {"flags": []}),
                  (DEBRIEF, {}), (MANAGER, {}))
    numbers = [r["flag_no"] for r in rows(records, "quality_flags")]
    assert numbers == list(range(1, len(numbers) + 1))
    assert [f for f in flags(records)] == sorted(flags(records), key=lambda f: (f[0] or 0))


def test_only_certain_overlaps_are_flagged() -> None:
    # a year-only end may be January: "2019" then "2019-04" can be a clean handover
    unsure = run((INTAKE, jobs({"start": "2015-04", "end": "2019"}, {"start": "2019-04", "end": "2020"})))
    assert flags(unsure) == []
    # ... but a start in 2019 is surely before an end in 2020-06
    sure = run((INTAKE, jobs({"start": "2015-04", "end": "2020-06"}, {"start": "2019", "end": "2021"})))
    assert flags(sure) == [(2, "overlap")]
    assert _details(sure, "overlap") == ["overlaps episode 1 by 6 month(s) at least"]


def test_a_skill_event_naming_an_episode_the_record_no_longer_has_is_flagged() -> None:
    # The debrief named episode 2; the participant has since removed a job: the career has one episode.
    records = run((INTAKE, jobs({"start": "2019-04", "status": "ti_1"})),
                  (DEBRIEF, {"events": [{"event": "ascribe", "actor": "employer_manager", "domain": "language",
                                         "episode": 2},
                                        {"event": "cultivate", "actor": "self", "domain": "language",
                                         "episode": 1}]}))
    assert len(rows(records, "episodes")) == 1
    assert flags(records) == [(None, "skill_event_episode_missing")]
    assert _details(records, "skill_event_episode_missing") == ["skill event 1 names episode 2; the record has 1"]
    assert [e["episode_no"] for e in rows(records, "skill_events")] == [2, 1]  # kept as written, and flagged
