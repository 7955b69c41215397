"""An XLSForm written for ODK goes through the participant flow page by page: its pages render in the
real routes, geographic answers are checked and stored, and the intake reaches the review."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from instruments import load
from tests.webapp.participate.journey import STUDY, Journey, fill
from tests.webapp.participate.test_flow import _draft, _participant, complete_intake
from webapp.forms import pages
from webapp.models import Draft, Response
from webapp.services.studies import current_version, instrument_of, load_instrument

FORMS = Path(__file__).parents[2] / "instruments" / "forms"
GEO = {"home": "35.6812, 139.7671", "route": "35 139; 36 140", "field": "1 1; 1 2; 2 2; 1 1", "score": "7"}


def _xlsform_intake(session: Session, study: Any) -> None:
    """types.md as the TI intake (with the bundled intake's contact page, a convention of the platform)."""
    bundled = instrument_of(current_version(session=session, study_id=study.id, instrument_id="ti_intake"))
    form = load(FORMS / "types.md")
    intake = dataclasses.replace(form, id="ti_intake", version="xlsform-test", languages=bundled.languages,
                                 groups=(*form.groups, bundled.groups[-1]),
                                 choice_lists={**bundled.choice_lists, **form.choice_lists})
    load_instrument(session=session, study=study, instrument=intake)
    session.commit()


def test_an_odk_form_walks_to_the_review(journey: Journey, session: Session, bundled_study: Any) -> None:
    _xlsform_intake(session, bundled_study)
    journey.screen("ti")
    journey.consent()
    consent_headers = journey.last.headers if journey.last is not None else {}
    assert "geolocation=()" in consent_headers["Permissions-Policy"]  # no page may ask, but the geo ones
    first = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True)
    page = first.get_data(as_text=True)
    assert 'data-geo="point"' in page  # the location button's field, typed by hand without JavaScript
    assert "geolocation=(self)" in first.headers["Permissions-Policy"]
    assert "participate/geo.js" in page
    again = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True)  # its fields as kept (forms/rows.py)
    assert "geolocation=(self)" in again.headers["Permissions-Policy"]
    assert "participate/geo.js" in again.get_data(as_text=True)
    person = complete_intake(journey, session, bundled_study, jobs=0, overrides=GEO)
    answers = _draft(session, person).answers
    assert answers["home"] == "35.6812 139.7671"
    assert answers["field"] == "1 1;1 2;2 2;1 1"
    assert answers["score"] == 7
    assert "photo" not in answers  # an upload question is shown, nothing is collected
    assert journey.post(f"/s/{STUDY}/submit", {}).status_code == 303
    stored = session.exec(select(Response).where(Response.participant_id == person.id)).one()
    session.refresh(person)
    assert stored.answers["home"] == "35.6812 139.7671"
    # the metadata the server knows; the device's own (deviceid, audit) stay unanswered
    assert stored.answers["end"] == stored.submitted_at.isoformat(timespec="seconds")
    assert stored.answers["start"] == person.created_at.isoformat(timespec="seconds")
    assert stored.answers["today"] == stored.submitted_at.date().isoformat()
    assert stored.answers["username"] == person.code
    assert "deviceid" not in stored.answers
    assert "audit" not in stored.answers


def test_a_bad_coordinate_is_refused_with_a_message(journey: Journey, session: Session,
                                                     bundled_study: Any) -> None:
    _xlsform_intake(session, bundled_study)
    journey.screen("ti")
    journey.consent()
    person = _participant(session)
    intake = instrument_of(current_version(session=session, study_id=bundled_study.id, instrument_id="ti_intake"))
    journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True)
    for _ in range(10):  # to the page (or part of a page) that asks for "home"
        if 'name="home"' in journey.last.get_data(as_text=True):
            break
        group = pages.find_page(intake, journey.path().rsplit("/", 1)[1])
        assert group is not None
        data = fill(intake, group, _draft(session, person).answers, overrides=GEO)
        journey.post(journey.path(), {**data, "action": "next"}, follow_redirects=True)
    data = fill(intake, pages.find_page(intake, journey.path().rsplit("/", 1)[1]), {}, overrides=GEO)
    path = journey.path()
    response = journey.post(path, {**data, "home": "somewhere", "action": "next"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(path)  # back to the same page, with the message
    body = journey.get(path).get_data(as_text=True)
    assert "Please write a latitude and a longitude" in body
    assert 'aria-invalid="true"' in body
    assert 'value="somewhere"' in body  # what was typed is kept
    draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).one()
    assert "home" not in (draft.answers or {})
