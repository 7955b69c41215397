"""Instruments built in Python for the records converter tests (no loader, no files)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from instruments.contract import SEQUENCES_SPELL, TABLES, vocabulary
from instruments.model import Choice, Group, Instrument, Question
from workers.records import ParticipantInput, ParticipantRecords, ResponseInput, build_records


def _choices(*names: str) -> tuple[Choice, ...]:
    return tuple(Choice(name=n, label={"en": n}) for n in names)


def _q(name: str, qtype: str, record: str | None = None, choices: str | None = None, **kw: Any) -> Question:
    return Question(name=name, type=qtype, label={"en": name}, choices=choices, record=record, **kw)


CHOICES = {
    "yes_no": _choices("yes", "no"),
    "gender": _choices(*vocabulary("gender")),
    "education": _choices("primary", "high_school", "bachelor", "master"),
    "jlpt": _choices(*vocabulary("japanese_level")),
    "country": _choices("VNM", "IDN", "MMR", "PHL", "JPN", "USA", "CHN"),
    "kind": _choices(*vocabulary("episode_kind")),
    "status": _choices(*vocabulary("residence_status")),
    "ti_type": _choices(*vocabulary("ti_type")),
    "industry": _choices(*vocabulary("industry")),
    "occupation": _choices(*vocabulary("occupation")),
    "prefecture": _choices(*vocabulary("prefecture")),
    "actor": _choices(*vocabulary("skill_actor")),
    "event": _choices(*vocabulary("skill_event")),
    "domain": _choices(*vocabulary("skill_domain")),
    "capital": _choices(*vocabulary("capital_band")),
    "route": _choices(*vocabulary("entry_route")),
    "employment": _choices(*vocabulary("employment_type")),
}

JOB_QUESTIONS = (
    _q("job_kind", "select_one", "episodes.kind", "kind"),
    _q("start", "partial_date", "episodes.start", required=True),
    _q("end", "partial_date", "episodes.end"),
    _q("ongoing", "select_one", "episodes.ongoing", "yes_no"),
    _q("country", "select_one", "episodes.country", "country"),
    _q("prefecture", "select_one", "episodes.prefecture", "prefecture"),
    _q("employer", "text", "episodes.employer_name"),
    _q("employees", "integer", "episodes.employer_employees"),
    _q("capital", "select_one", "episodes.employer_capital_band", "capital"),
    _q("industry", "select_one", "episodes.industry", "industry"),
    _q("occupation", "select_one", "episodes.occupation", "occupation"),
    _q("title", "text", "episodes.job_title"),
    _q("status", "select_one", "episodes.residence_status", "status"),
    _q("ti_type", "select_one", "episodes.ti_type", "ti_type"),
    _q("route", "select_one", "episodes.entry_route", "route"),
    _q("employment", "select_one", "episodes.employment_type", "employment"),
    _q("reason_left", "text", "episodes.reason_left"),
    _q("subsidiary", "select_one", "episodes.overseas_subsidiary", "yes_no"),
    _q("promoted", "select_one", "episodes.promotion", "yes_no"),
    _q("recognised_by", "select_multiple", "skill_events.actor", "actor",
       record_with={"event": "recognise", "skill_domain": "technical"}),
    _q("limited_by", "select_multiple", "skill_events.actor", "actor",
       record_with={"event": "limit_deny", "skill_domain": "language"}),
)

INTAKE = Instrument(
    id="t_intake", version="2026.1", title={"en": "Intake"}, default_language="en", languages=("en",),
    settings={"audience": "ti"}, choice_lists=CHOICES,
    groups=(
        Group(name="background", children=(
            _q("nationality", "select_one", "participants.nationality", "country"),
            _q("gender", "select_one", "participants.gender", "gender"),
            _q("birth_year", "integer", "participants.birth_year", required=True),
            _q("education", "select_one", "participants.education_level", "education",
               record_codes={"primary": "1", "high_school": "3", "bachelor": "6", "master": "7"}),
            _q("jlpt", "select_one", "participants.japanese_level", "jlpt"),
            _q("name", "text", contact=True),
        )),
        Group(name="career", children=(
            Group(name="jobs", repeat=True, record="episodes", record_with={"kind": "job"},
                  children=JOB_QUESTIONS),
        )),
        Group(name="learning", relevant="${birth_year} > 0", children=(
            _q("self_taught", "select_multiple", "skill_events.skill_domain", "domain",
               record_with={"event": "cultivate", "actor": "self"}),
            _q("optional_note", "text", required=True),
        )),
    ),
)

DEBRIEF = Instrument(
    id="t_debrief", version="1", title={"en": "Debrief"}, default_language="en", languages=("en",),
    settings={"audience": "researcher"}, choice_lists=CHOICES,
    groups=(
        Group(name="events_page", children=(
            Group(name="events", repeat=True, record="skill_events", children=(
                _q("event", "select_one", "skill_events.event", "event"),
                _q("actor", "select_one", "skill_events.actor", "actor"),
                _q("domain", "select_one", "skill_events.skill_domain", "domain"),
                _q("episode", "integer", "skill_events.episode_no"),
                _q("note", "text", "skill_events.note"),
            )),
        )),
    ),
)

_FIRM_QUESTIONS = (
    _q("firm_name", "text", "firms.firm_name"),
    _q("firm_industry", "select_one", "firms.industry", "industry"),
    _q("firm_prefecture", "select_one", "firms.prefecture", "prefecture"),
    _q("firm_employees", "integer", "firms.employees"),
    _q("firm_capital", "select_one", "firms.capital_band", "capital"),
    _q("n_ti", "integer", "firms.n_ti"),
    _q("n_ssw", "integer", "firms.n_ssw"),
    _q("n_sie", "integer", "firms.n_sie"),
    _q("uses_so", "select_one", "firms.uses_supervising_org", "yes_no"),
    _q("has_subsidiary", "select_one", "firms.has_overseas_subsidiary", "yes_no"),
    _q("retains", "select_one", "firms.retains_ti_as_ssw", "yes_no"),
    _q("hires_sub", "select_one", "firms.hires_for_subsidiary", "yes_no"),
)

MANAGER = Instrument(
    id="t_manager", version="3", title={"en": "Manager"}, default_language="en", languages=("en",),
    settings={"audience": "manager"}, choice_lists=CHOICES,
    groups=(
        Group(name="firm", children=_FIRM_QUESTIONS),
        Group(name="more", children=(
            Group(name="other_firms", repeat=True, record="firms", children=(
                _q("other_name", "text", "firms.firm_name"),
                _q("other_industry", "select_one", "firms.industry", "industry"),
                _q("other_employees", "integer", "firms.employees"),
            )),
        )),
    ),
)


# -- running the converter -------------------------------------------------------------------------

KEY = b"test-study-key"
TODAY = date(2026, 6, 1)
SUBMITTED = datetime(2026, 5, 15, 9, 30, tzinfo=UTC)


def participant(code: str = "TI-0001", ptype: str = "ti") -> ParticipantInput:
    return ParticipantInput(
        participant_code=code, study="sme-careers", participant_type=ptype, form_language="vi",
        recruitment_channel="facebook", consent_version="2026.1",
        consented_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC), status="submitted", interview_date=None,
    )


def run(*responses: tuple[Any, ...], code: str = "TI-0001", ptype: str = "ti",
        submitted: datetime = SUBMITTED, today: date = TODAY, key: bytes = KEY) -> ParticipantRecords:
    """Convert responses given as (instrument, answers[, meta]), all submitted at ``submitted``."""
    inputs = [ResponseInput(r[0], r[1], r[2] if len(r) > 2 else {}, submitted) for r in responses]
    return build_records(participant=participant(code, ptype), responses=inputs, pseudonym_key=key,
                         today=today)


def rows(records: ParticipantRecords, table: str) -> list[dict[str, Any]]:
    """Rows of one table as dicts keyed by the contract's column names."""
    columns = (TABLES.get(table) or SEQUENCES_SPELL).column_names
    return [dict(zip(columns, row, strict=True)) for row in records.tables()[table]]


def flags(records: ParticipantRecords) -> list[tuple[int | None, str]]:
    """(episode_no, flag) of every quality flag."""
    return [(r["episode_no"], r["flag"]) for r in rows(records, "quality_flags")]


def jobs(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    """Intake answers with a job history (and other top-level answers)."""
    answers: dict[str, Any] = {"nationality": "VNM", "birth_year": 1995, "optional_note": "-", **top}
    answers["jobs"] = list(entries)
    return answers
