"""Behaviour of the bundled screening, consent and technical-intern intake instruments: eligibility,
the consent conventions, and the intake's constraints, relevance and contact page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

import instruments
from instruments.engine import is_relevant, required_missing, validate_page
from instruments.expressions import Context, evaluate_bool
from instruments.model import Group, Instrument, Question

TODAY = date(2026, 11, 23)


def _load(instrument_id: str) -> Instrument:
    return instruments.load(instruments.bundled_dir() / f"{instrument_id}.yaml")


def _node(instrument: Instrument, name: str) -> Question | Group:
    return next(n for n in instrument.walk() if n.name == name)


def _group(instrument: Instrument, name: str) -> Group:
    node = _node(instrument, name)
    assert isinstance(node, Group)
    return node


def _job(employer: str, start: str, end: str | None, status: str, **more: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "job_employer": employer, "job_industry": "E", "job_occupation": "7", "job_prefecture": "21",
        "job_start": start, "job_ongoing": "yes" if end is None else "no", "job_status": status,
        "job_route": "supervising_org", "job_employment": "fixed_term", **more,
    }
    if end is not None:
        job["job_end"] = end
    return job


#: A complete technical intern: a job at home, pre-departure training, TI (i) -> (ii) -> SSW (i).
TI_ANSWERS: dict[str, Any] = {
    "birth_year": 1998, "gender": "male", "nationality": "VNM", "education": "3",
    "home_jobs": [{"home_occupation": "6", "home_country": "VNM", "home_start": "2015",
                   "home_end": "2018-06"}],
    "had_training": "yes",
    "training": [{"training_country": "VNM", "training_start": "2018-08", "training_months": 6}],
    "used_sending_org": "yes", "used_supervising_org": "yes", "used_agency": "unsure",
    "fees_paid": "150000000", "fees_currency": "VND", "debt_owed": "yes",
    "jobs": [
        _job("Gifu Metal KK", "2019-03", "2020-02", "ti_1", job_ti_type="b"),
        _job("Gifu Metal KK", "2020-03", "2022-02", "ti_2", job_ti_type="b"),
        _job("Aichi Parts", "2022-04", None, "ssw_1", job_route="referral"),
    ],
    "japanese_level": "n3", "plans": "ssw_other",
}


# --- screening -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "eligible"), [
    ({"participant_type": "ti", "adult": "yes", "in_japan": "yes"}, True),
    ({"participant_type": "sie", "adult": "yes", "in_japan": "yes"}, True),
    ({"participant_type": "manager", "adult": "yes", "in_japan": "yes", "sme": "yes"}, True),
    ({"participant_type": "manager", "adult": "yes", "in_japan": "yes", "sme": "no"}, False),
    ({"participant_type": "manager", "adult": "yes", "in_japan": "yes"}, False),
    ({"participant_type": "none", "adult": "yes", "in_japan": "yes"}, False),
    ({"participant_type": "ti", "adult": "no", "in_japan": "yes"}, False),
    ({"participant_type": "ti", "adult": "yes", "in_japan": "no"}, False),
    ({"adult": "yes", "in_japan": "yes"}, False),
])
def test_screening_eligibility(answers: dict[str, str], eligible: bool) -> None:
    screening = _load("screening")
    assert evaluate_bool(screening.settings["eligible"], Context(answers=answers, today=TODAY)) is eligible


def test_screening_asks_about_the_firm_size_of_managers_only() -> None:
    screening = _load("screening")
    sme = _node(screening, "sme")
    assert is_relevant(screening, sme, {"participant_type": "manager"}, today=TODAY)
    assert not is_relevant(screening, sme, {"participant_type": "ti"}, today=TODAY)


def test_screening_maps_the_participant_type_but_asks_nothing_personal() -> None:
    screening = _load("screening")
    ptype = _node(screening, "participant_type")
    assert isinstance(ptype, Question)
    assert ptype.record == "participants.participant_type"
    assert [c.name for c in screening.choice_lists["participant_type"]] == ["ti", "sie", "manager", "none"]
    assert ptype.record_codes["none"] == ""
    assert not any(q.is_contact or q.type == "text" for q in screening.questions())


# --- consent -------------------------------------------------------------------------------------

def test_consent_follows_the_platform_conventions() -> None:
    consent = _load("consent")
    assert consent.settings["consent_version"] == "1.0"
    questions = list(consent.questions())
    notes = [q for q in questions if q.type == "note"]
    assert len(notes) >= 5
    assert questions[-2].name == "consent"
    assert questions[-2].type == "acknowledge"
    assert questions[-2].required is True
    assert questions[-1].name == "withdrawal_data"
    assert questions[-1].required is True
    assert [c.name for c in consent.choice_lists["withdrawal_data"]] == ["keep", "erase"]


def test_consent_text_names_the_contact_in_every_language() -> None:
    consent = _load("consent")
    contact = _node(consent, "consent_contact")
    assert isinstance(contact, Question)
    assert set(contact.label) == set(consent.languages)
    assert all("research-team@example.org" in text for text in contact.label.values())


# --- technical-intern intake ---------------------------------------------------------------------

def test_a_complete_ti_answer_set_has_nothing_missing_and_no_page_problem() -> None:
    ti = _load("ti_intake")
    assert required_missing(ti, TI_ANSWERS, TODAY) == []
    for group in ti.groups:
        assert validate_page(ti, group, TI_ANSWERS, today=TODAY) == {}, group.name


def test_at_least_one_job_in_japan_is_required() -> None:
    ti = _load("ti_intake")
    assert "jobs" in required_missing(ti, {**TI_ANSWERS, "jobs": []}, TODAY)


@pytest.mark.parametrize(("year", "ok"), [(1998, True), (1950, True), (1949, False), (2011, True),
                                          (2012, False), (2030, False)])
def test_birth_year_between_1950_and_fifteen_years_ago(year: int, ok: bool) -> None:
    ti = _load("ti_intake")
    issues = validate_page(ti, _group(ti, "background"), {**TI_ANSWERS, "birth_year": year}, today=TODAY)
    assert ("birth_year" not in issues) is ok


@pytest.mark.parametrize(("start", "end", "ok"), [
    ("2019-04", "2020-03", True),
    ("2019-04", "2019", True),        # a year-only end in the year of a month start
    ("2019-04", "2019-03", False),
    ("2019", "2018-12", False),
    ("2019-04", "2027-01", False),    # in the future
])
def test_a_job_cannot_end_before_it_starts(start: str, end: str, ok: bool) -> None:
    ti = _load("ti_intake")
    answers = {**TI_ANSWERS, "jobs": [_job("A", start, end, "ti_1", job_ti_type="b")]}
    issues = validate_page(ti, _group(ti, "jobs"), answers, today=TODAY, entry=("jobs", 0))
    assert ("job_end" not in issues) is ok


def test_an_ongoing_job_has_no_end_or_reason_left() -> None:
    ti = _load("ti_intake")
    answers = {**TI_ANSWERS, "jobs": [_job("A", "2024-01", None, "ssw_1")]}
    for name in ("job_end", "job_reason_left"):
        assert not is_relevant(ti, _node(ti, name), answers, entry=("jobs", 0), today=TODAY)
    assert validate_page(ti, _group(ti, "jobs"), answers, today=TODAY, entry=("jobs", 0)) == {}
    ended = {**TI_ANSWERS, "jobs": [_job("A", "2024-01", None, "ssw_1", job_ongoing="no")]}
    issues = validate_page(ti, _group(ti, "jobs"), ended, today=TODAY, entry=("jobs", 0))
    assert issues["job_end"].code == "required"


@pytest.mark.parametrize(("status", "asked"), [("ti_1", True), ("ti_3", True), ("ssw_1", False),
                                               ("eng_hum", False)])
def test_the_ti_type_is_asked_for_technical_intern_statuses_only(status: str, asked: bool) -> None:
    ti = _load("ti_intake")
    answers = {**TI_ANSWERS, "jobs": [_job("A", "2024-01", None, status)]}
    assert is_relevant(ti, _node(ti, "job_ti_type"), answers, entry=("jobs", 0), today=TODAY) is asked
    issues = validate_page(ti, _group(ti, "jobs"), answers, today=TODAY, entry=("jobs", 0))
    assert ("job_ti_type" in issues) is asked


def test_no_training_excludes_other_training_answers() -> None:
    ti = _load("ti_intake")
    page = _group(ti, "jobs")
    bad = {**TI_ANSWERS, "jobs": [_job("A", "2024-01", None, "ssw_1", job_training=["none", "ojt"])]}
    good = {**TI_ANSWERS, "jobs": [_job("A", "2024-01", None, "ssw_1", job_training=["none"])]}
    assert validate_page(ti, page, bad, today=TODAY, entry=("jobs", 0))["job_training"].code == "constraint"
    assert validate_page(ti, page, good, today=TODAY, entry=("jobs", 0)) == {}


def test_training_and_fee_follow_ups_depend_on_their_answers() -> None:
    ti = _load("ti_intake")
    no_training = {**TI_ANSWERS, "had_training": "no", "fees_paid": "0"}
    assert not is_relevant(ti, _node(ti, "training"), no_training, today=TODAY)
    assert not is_relevant(ti, _node(ti, "fees_currency"), no_training, today=TODAY)
    assert is_relevant(ti, _node(ti, "fees_currency"), TI_ANSWERS, today=TODAY)
    missing = required_missing(ti, {**TI_ANSWERS, "training": [{"training_country": "VNM"}]}, TODAY)
    assert "training[0].training_start" in missing


def test_the_contact_page_is_last_optional_and_never_mapped() -> None:
    ti = _load("ti_intake")
    contact = ti.groups[-1]
    assert contact.name == "contact"
    asked = [q for q in contact.walk() if isinstance(q, Question) and q.type != "note"]
    assert {q.name for q in asked} >= {"contact_name", "contact_phone", "contact_email", "contact_app_id"}
    assert all(q.is_contact and q.required is False and q.record is None for q in asked)
    assert not any(q.is_contact for g in ti.groups[:-1] for q in g.walk() if isinstance(q, Question))
