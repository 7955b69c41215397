"""Booking an interview on a 360 x 740 phone (issue 15, Medium): days first, then the times of the chosen day,
within two screens also without JavaScript; the time zone named in the participant's language; 44 px choices;
the e-mail the participant already gave filled in; the confirmation names the interviewer and the team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from tests.browser.conftest import Served, shot
from tests.webapp.schedule.conftest import add_interviewer, add_participant, add_type
from webapp.models import Study

pytestmark = pytest.mark.browser
SCREEN = {"width": 360, "height": 740}
ZONE = {"vi": "Giờ Việt Nam", "ja": "ベトナム時間"}


def _participant(served: Served, language: str) -> tuple[str, str]:
    from flask import g

    from webapp.db import db_session
    from webapp.services import contacts

    with served.app.app_context():
        session = db_session()
        study = session.exec(select(Study)).first()
        assert study is not None
        add_interviewer(session, study, languages=("en", language))
        add_type(session, study)
        person, token = add_participant(session, study, language=language)
        contacts.write(
            session=session, participant_id=person.id or 0, record={"email": "an@example.org"}, now=datetime.now(UTC)
        )
        session.commit()
        slug = study.slug
        g.pop("db_session").close()
    return slug, token


@pytest.mark.parametrize(("language", "javascript"), [("vi", False), ("ja", True)])
def test_booking_fits_two_screens_and_confirms_who_and_how(
    phone: Any, served: Served, language: str, javascript: bool
) -> None:
    slug, token = _participant(served, language)
    page = phone(locale=language, javascript=javascript).new_page()
    page.set_viewport_size(SCREEN)
    response = page.goto(f"{served.url}/s/{slug}/p/{token}/interview?tz=Asia/Ho_Chi_Minh")
    assert response is not None
    assert len(response.body()) <= 15 * 1024 - 4300  # the page's HTML; with app.css + schedule.css + tz.js ≤ 15 kB
    assert "Asia/Ho" not in page.locator("main").inner_text()
    assert ZONE[language] in page.locator("main").inner_text()
    shot(page, f"booking-{language}")
    assert page.evaluate("document.documentElement.scrollHeight") <= 2 * SCREEN["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    assert page.locator("#email").input_value() == "an@example.org"  # already given: filled in
    assert page.locator("input[name=channel][value=email]").is_checked()
    for label in page.locator(".dl:visible, .choices label:visible").all():
        assert (label.bounding_box() or {"height": 0})["height"] >= 44

    # Only the first day's times are on the page; tapping the second day shows its times instead.
    days = page.locator(".dl")
    assert days.count() >= 2
    first = page.locator("input[name=slot]").first.get_attribute("value")
    page.locator("input[name=mode][value=phone]").check()  # chosen before the day: kept (the days are buttons)
    page.locator("#email").fill("an.new@example.org")
    with page.expect_navigation():
        days.nth(1).click()
    assert page.locator(".dl").nth(1).get_attribute("aria-current") == "date"
    assert page.locator("input[name=mode][value=phone]").is_checked()
    assert page.locator("#email").input_value() == "an.new@example.org"
    visible = page.locator("input[name=slot]")
    assert visible.first.get_attribute("value") != first
    assert visible.count() > 0
    chosen = visible.first.get_attribute("value")
    assert chosen
    page.locator(f"input[name=slot][value='{chosen}']").locator("xpath=..").click()
    page.locator("input[name=mode][value=video]").check()
    page.locator("form[method=post] button[type=submit]").click()
    page.wait_for_url("**/i/*")
    text = page.locator("main").inner_text()
    assert "Interviewer" in text  # the interviewer's name (tests/webapp/schedule/conftest.py)
    assert served.app.config["KEIREKI"].mail_from in text  # the research team's address
    assert "https://meet.example.org/x" in text
    cancel = page.locator("a.button[href*='cancel=1']")
    assert (cancel.bounding_box() or {"height": 0})["height"] >= 44

    # Cancelling offers to book again: straight to the picker of the same interview type.
    cancel.click()
    page.locator("form[action$='/cancel'] button[type=submit]").click()
    page.locator("a.button[href*='/again']").click()
    assert "/again" in page.url
    page.locator("input[name=slot]").first.wait_for(state="attached")  # the new page, not only its URL
    assert page.locator("input[name=slot]").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
