"""The page logic of the participant's second pass (issue 15): what JavaScript shows at once appears
without it too, only what was asked is checked, errors link to their fields, a removed entry can come
back, and the participant code is read as typed."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from tests.webapp.participate.journey import STUDY, Journey, fill
from webapp.forms import pages
from webapp.models import Draft, InstrumentVersion, Participant


def _draft(session: Session) -> Draft:
    person = session.exec(select(Participant).order_by(Participant.id.desc())).first()  # type: ignore[union-attr]
    assert person is not None
    draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).one()
    session.refresh(draft)
    return draft


def _instrument(session: Session, draft: Draft) -> Any:
    from webapp.services.studies import instrument_of

    version = session.get(InstrumentVersion, draft.instrument_version_id)
    assert version is not None
    return instrument_of(version)


def _field_hidden(page: str, name: str) -> bool:
    found = re.search(rf'<div class="q[^"]*" id="w-{name}"( hidden)?>', page)
    assert found, f"{name} is not on the page"
    return found.group(1) is not None


def test_without_javascript_contact_fields_switched_on_by_the_last_page_are_asked(
    journey: Journey, session: Session
) -> None:
    journey.screen("ti")
    journey.consent()
    page = journey.get(f"/s/{STUDY}/form/contact").get_data(as_text=True)
    assert _field_hidden(page, "contact_name")
    r = journey.post(f"/s/{STUDY}/form/contact", {"interview_ok": "yes", "action": "next"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/form/contact")  # not the review: name, phone, e-mail first
    page = journey.get(f"/s/{STUDY}/form/contact").get_data(as_text=True)
    assert "More questions appeared below" in page
    for name in ("contact_name", "contact_phone", "contact_email"):
        assert not _field_hidden(page, name)
    r = journey.post(f"/s/{STUDY}/form/contact", {"interview_ok": "yes", "action": "next"})
    assert r.headers["Location"].endswith("/review")  # asked once: left empty, the optional ones are fine


def test_with_javascript_the_questions_it_showed_are_not_asked_again(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/contact")
    seen = "interview_ok contact_name contact_phone contact_email contact_app"  # what form.js sends
    r = journey.post(f"/s/{STUDY}/form/contact", {"interview_ok": "yes", "_seen": seen, "action": "next"})
    assert r.headers["Location"].endswith("/review")


def test_adding_an_entry_does_not_report_questions_not_reached(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/before_japan")
    r = journey.post(f"/s/{STUDY}/form/before_japan", {"action": "add:home_jobs"})
    assert r.headers["Location"].endswith("/form/before_japan/entry/1?r=home_jobs")
    draft = _draft(session)
    instrument = _instrument(session, draft)
    repeat = next(r for r in pages.repeats(pages.find_page(instrument, "before_japan")) if r.name == "home_jobs")
    journey.get(f"/s/{STUDY}/form/before_japan/entry/1?r=home_jobs")
    data = fill(instrument, repeat, draft.answers, entry=("home_jobs", 0))
    r = journey.post(f"/s/{STUDY}/form/before_japan/entry/1?r=home_jobs", {**data, "action": "save"})
    assert r.headers["Location"].endswith("/form/before_japan")
    page = journey.get(f"/s/{STUDY}/form/before_japan").get_data(as_text=True)
    assert 'id="e-had_training"' not in page  # not reached yet: no error
    assert "err-summary" not in page
    r = journey.post(f"/s/{STUDY}/form/before_japan", {"action": "next"})
    page = journey.get(f"/s/{STUDY}/form/before_japan").get_data(as_text=True)
    assert 'id="e-had_training"' in page  # Next checks the whole page


def test_the_error_summary_links_to_each_field_and_takes_the_focus(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/background")
    journey.post(f"/s/{STUDY}/form/background", {"birth_year": "nineteen", "action": "next"})
    page = journey.get(f"/s/{STUDY}/form/background").get_data(as_text=True)
    summary = re.search(r'<div class="alert" role="alert" id="err-summary" tabindex="-1" autofocus>(.*?)</div>',
                        page, re.S)
    assert summary, "no error summary"
    links = re.findall(r'href="#([\w-]+)"', summary.group(1))
    assert links[0] == "f-birth_year"
    for anchor in links:
        assert f'id="{anchor}"' in page  # every link lands on its field
    assert "<script>" not in page  # the CSP holds: focus by autofocus, or form.js


def test_a_removed_entry_can_be_undone(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    for n, employer in enumerate(["A", "B"], start=1):
        journey.get(f"/s/{STUDY}/form/japan_jobs")
        journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "add:jobs"})
        journey.get(f"/s/{STUDY}/form/japan_jobs/entry/{n}?r=jobs")
        journey.post(
            f"/s/{STUDY}/form/japan_jobs/entry/{n}?r=jobs",
            {"job_employer": employer, "job_start": "2019-01", "action": "save"},
        )
    journey.get(f"/s/{STUDY}/form/japan_jobs")
    journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "remove:jobs:1"})
    assert [e["job_employer"] for e in _draft(session).answers["jobs"]] == ["B"]
    page = journey.get(f"/s/{STUDY}/form/japan_jobs").get_data(as_text=True)
    assert 'value="undo"' in page
    journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "undo"})
    assert [e["job_employer"] for e in _draft(session).answers["jobs"]] == ["A", "B"]
    page = journey.get(f"/s/{STUDY}/form/japan_jobs").get_data(as_text=True)
    assert 'value="undo"' not in page  # once


def test_numbers_are_read_as_the_page_language_writes_them(make_journey: Any, session: Session) -> None:
    journey = make_journey("vi")
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/route?lang=vi")
    journey.post(f"/s/{STUDY}/form/route", {"fees_paid": "150.000.000", "action": "save"})
    assert _draft(session).answers.get("fees_paid") == "150000000"  # Vietnamese thousands
    journey.post(f"/s/{STUDY}/form/route", {"fees_paid": "2,5", "action": "save"})
    assert _draft(session).answers.get("fees_paid") == "2.5"  # the Vietnamese decimal comma
    journey.post(f"/s/{STUDY}/form/route", {"fees_paid": "2 và 3", "action": "next"})
    page = journey.get(f"/s/{STUDY}/form/route").get_data(as_text=True)
    assert "2,5" in page  # the example in the message is written the Vietnamese way


def test_the_participant_code_is_accepted_without_dash_and_in_any_case(
    journey: Journey, session: Session, make_journey: Any
) -> None:
    journey.screen("ti")
    journey.consent()
    page = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True).get_data(as_text=True)
    participant_code, code = re.findall(r'<dd class="code">([^<]+)</dd>', page)[:2]
    assert participant_code == "TI-0001"
    other = make_journey()
    other.get(f"/s/{STUDY}/resume")
    r = other.post(f"/s/{STUDY}/resume", {"participant_code": " ti 0001", "code": code}, follow_redirects=True)
    assert r.request.path.endswith("/form/background")


def test_entry_links_name_the_repeat_only_where_it_is_not_the_pages_first(journey: Journey, session: Session) -> None:
    """A page's first repeat is the entry route's default: its links go without ``?r=`` (bytes less on long
    lists and the timeline); the page's other repeats keep it. Each link leads to its own entry."""
    journey.screen("ti")
    journey.consent()
    url = f"/s/{STUDY}/form/before_japan"
    journey.get(url)
    journey.post(url, {"had_training": "yes", "action": "save"})
    for name in ("home_jobs", "training"):
        journey.post(url, {"had_training": "yes", "action": f"add:{name}"})
        draft = _draft(session)
        instrument = _instrument(session, draft)
        repeat = next(r for r in pages.repeats(pages.find_page(instrument, "before_japan")) if r.name == name)
        journey.get(f"{url}/entry/1?r={name}")
        data = fill(instrument, repeat, draft.answers, entry=(name, 0))
        saved = journey.post(f"{url}/entry/1?r={name}", {**data, "action": "save"})
        assert saved.status_code in (302, 303), saved.status_code
        session.expire_all()
    page = journey.get(url).get_data(as_text=True) + journey.get(f"{url}?part=2").get_data(as_text=True)
    assert 'href="before_japan/entry/1" aria-describedby="s-home_jobs-1"' in page
    assert 'href="before_japan/entry/1?r=training" aria-describedby="s-training-1"' in page
    assert "?r=home_jobs" not in page
    draft = _draft(session)
    instrument = _instrument(session, draft)
    for name, query in (("home_jobs", ""), ("training", "?r=training")):
        repeat = next(r for r in pages.repeats(pages.find_page(instrument, "before_japan")) if r.name == name)
        first = next(q.name for q in pages.items(repeat) if pages.answerable(q))
        entry = journey.get(f"{url}/entry/1{query}").get_data(as_text=True)
        assert f'name="{first}"' in entry, (name, first)
