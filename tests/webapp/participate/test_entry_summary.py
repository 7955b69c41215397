"""The one-line summary of a job entry on the page and the review (issue 15, Low): employer, dates, a
choice; never a bare number."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from instruments.loader import load_bundled
from tests.webapp.participate.journey import STUDY, Journey
from tests.webapp.participate.test_flow import complete_intake
from webapp.forms import pages
from webapp.forms.rows import display, entry_summary
from webapp.services.studies import current_version, instrument_of


def test_a_job_reads_with_its_dates_and_no_bare_number() -> None:
    instrument = load_bundled()["ti_intake"]
    group = pages.find_page(instrument, "japan_jobs")
    assert group is not None
    repeat = next(r for r in pages.repeats(group) if r.name == "jobs")
    shown = [q for q in pages.questions(repeat) if pages.answerable(q)]
    entry = {
        "job_employer": "Sato Foods",
        "job_employees": 25,
        "job_start": "2019-04",
        "job_end": "2020-01",
    }
    line = entry_summary(instrument, shown, entry, "en")
    assert line.startswith("Sato Foods · 2019-04 – 2020-01")
    assert " 25 " not in f" {line} "
    open_job = entry_summary(instrument, shown, {**entry, "job_end": None}, "en")
    assert "2019-04 –" in open_job


def test_an_era_date_is_shown_as_typed_beside_the_stored_month() -> None:
    instrument = load_bundled()["ti_intake"]
    group = pages.find_page(instrument, "japan_jobs")
    assert group is not None
    repeat = next(r for r in pages.repeats(group) if r.name == "jobs")
    shown = [q for q in pages.questions(repeat) if pages.answerable(q)]
    entry = {"job_employer": "Sato Foods", "job_start": "2019-05", "job_end": "2024-04"}
    line = entry_summary(instrument, shown, entry, "ja", {"job_start": "令和元年5月", "job_end": "2024-04"})
    assert line.startswith("Sato Foods · 令和元年5月 (2019-05) – 2024-04")
    start = next(q for q in shown if q.name == "job_start")
    employer = next(q for q in shown if q.name == "job_employer")
    assert display(instrument, start, "2024-04", "ja", "令和6年4月") == "令和6年4月 (2024-04)"
    assert display(instrument, employer, "佐藤食品", "ja", "佐藤食品") == "佐藤食品"  # only dates: Zawgyi is not shown


def test_the_review_shows_an_era_date_as_typed(journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("manager")
    journey.consent()
    version = current_version(session=session, study_id=bundled_study.id, instrument_id="manager_intake")
    dated = next(q for q in instrument_of(version).questions() if q.type == "partial_date")
    complete_intake(journey, session, bundled_study, overrides={dated.name: "令和6年4月"})
    review = journey.get(f"/s/{STUDY}/review").get_data(as_text=True)
    assert "<dd>令和6年4月 (2024-04)</dd>" in review
