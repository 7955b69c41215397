"""An ODK form's geopoint on a phone: "Use my location" fills the field after the browser's permission
(strict CSP, no inline script), the participant can still correct it, and the point is stored."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from instruments import load
from tests.browser.conftest import Served
from tests.browser.test_participant_phone import _put, _start, _state
from tests.webapp.participate.journey import fill
from webapp.forms import pages

pytestmark = pytest.mark.browser
FORMS = Path(__file__).parents[1] / "instruments" / "forms"


def _xlsform_intake(served: Served) -> None:
    from flask import g

    from webapp.db import db_session
    from webapp.models import Study
    from webapp.services.studies import current_version, instrument_of, load_instrument

    with served.app.app_context():
        session = db_session()
        study = session.exec(select(Study)).one()
        bundled = instrument_of(current_version(session=session, study_id=study.id, instrument_id="ti_intake"))
        form = load(FORMS / "types.md")
        intake = dataclasses.replace(form, id="ti_intake", version="xlsform-browser", languages=bundled.languages,
                                     groups=(*form.groups, bundled.groups[-1]),
                                     choice_lists={**bundled.choice_lists, **form.choice_lists})
        load_instrument(session=session, study=study, instrument=intake)
        session.commit()
        g.pop("db_session").close()


def test_use_my_location_fills_the_geopoint(served: Served, phone: Any) -> None:
    _xlsform_intake(served)
    context = phone()
    context.grant_permissions(["geolocation"], origin=served.url)
    context.set_geolocation({"latitude": 35.6812, "longitude": 139.7671, "accuracy": 12})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    code = _start(page, served, "ti")
    for _ in range(8):  # to the part of the page that asks for "home"
        if page.locator("#f-home").count():
            break
        instrument, answers, _ = _state(served, code)
        group = pages.find_page(instrument, page.url.split("?")[0].split("/form/")[1])
        assert group is not None
        _put(page, fill(instrument, group, answers, overrides={"score": "5"}))
        page.click(".nav button[value='next']")
    page.click("#w-home button.geo")
    expect(page.locator("#f-home")).to_have_value("35.681200 139.767100 0 12.0")
    instrument, answers, _ = _state(served, code)
    group = pages.find_page(instrument, page.url.split("?")[0].split("/form/")[1])
    assert group is not None
    data = fill(instrument, group, answers, overrides={"score": "5", "route": "35 139; 36 140",
                                                       "field": "1 1; 1 2; 2 2; 1 1"})
    data.pop("home")
    _put(page, data)
    page.click(".nav button[value='next']")
    _, answers, _ = _state(served, code)
    assert answers["home"] == "35.681200 139.767100 0 12.0"
    assert not [e for e in errors if "Content Security Policy" in e or "Permissions policy" in e]
