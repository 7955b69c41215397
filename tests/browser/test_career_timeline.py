"""The participant's career drawn back to them (issue 15) on a 360 x 740 phone, with JavaScript on and off,
in Vietnamese and Thai: the timeline on the job-history and review pages, a gap asked about in plain words
with the months in their language, a tap on an entry opens it for editing, and "this is my career" reaches
the submitted response (and so ``participants.timeline_confirmed``)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from sqlmodel import select

from tests.browser.conftest import Served, shot
from tests.browser.test_participant_phone import STUDY, _pages, _start
from webapp.models import Draft, Participant, Response

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}

JOBS = [
    {"job_employer": "Tanaka Kogyo", "job_start": "2016-04", "job_ongoing": "no", "job_end": "2019-03",
     "job_status": "ti_1"},
    {"job_employer": "Sato Foods", "job_start": "2020-01", "job_ongoing": "yes", "job_status": "ssw_1"},
]
#: "March 2019" and "January 2020" as Babel writes them, and the timeline's heading.
WORDS = {"vi": ("tháng 3 năm 2019", "tháng 1 năm 2020"), "th": ("มีนาคม 2019", "มกราคม 2020")}


def _draft(served: Served, code: str, jobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The participant's draft answers; with ``jobs``, the dates and statuses of their jobs changed (the
    other answers of the one job entered on the page are kept)."""
    from webapp.db import db_session

    with served.app.app_context():
        session = db_session()
        person = session.exec(select(Participant).where(Participant.code == code)).one()
        draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).one()
        if jobs is not None:
            entered = draft.answers["jobs"][0]
            kept = {k: v for k, v in entered.items() if k not in ("job_end", "job_ongoing")}
            draft.answers = {**draft.answers, "jobs": [{**kept, **job} for job in jobs]}
            session.add(draft)
            session.commit()
        answers = dict(draft.answers)
        g.pop("db_session").close()
    return answers


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize(("locale", "lang"), [("vi-VN", "vi"), ("th-TH", "th")])
def test_the_timeline_is_drawn_edited_and_confirmed(phone: Any, served: Served, locale: str, lang: str,
                                                    javascript: bool) -> None:
    page = phone(locale=locale, javascript=javascript).new_page()
    page.set_viewport_size(PHONE)
    code = _start(page, served, "ti")
    _pages(page, served, code, jobs=1)  # every page answered, one job entered
    _draft(served, code, JOBS)
    page.goto(f"{served.url}/s/{STUDY}/form/japan_jobs")
    timeline = page.locator("#career")
    assert timeline.locator("svg a").count() == 2
    question = timeline.locator("ol li").first.inner_text()
    assert all(word in question for word in WORDS[lang]), question
    assert timeline.locator("svg").bounding_box()["width"] <= PHONE["width"]
    _fits(page)
    shot(page, f"career-{lang}-{'js' if javascript else 'nojs'}-jobs")

    # One tap on the first job opens it; its end moves to the month before the second starts: no gap left.
    timeline.locator("svg a").first.click()
    assert page.url.split("?")[0].endswith("/form/japan_jobs/entry/1")
    for _ in range(6):  # an entry in parts: go on to its end
        end = page.locator("[name='job_end']")
        if end.count() and end.is_visible():
            end.fill("2019-12")
        page.click("button[value='save']")
        if "/entry/" not in page.url:
            break
    assert _draft(served, code)["jobs"][0]["job_end"] == "2019-12"

    page.goto(f"{served.url}/s/{STUDY}/review")
    timeline = page.locator("#career")
    assert timeline.locator("svg a").count() == 2
    assert timeline.locator("ol").count() == 0  # the gap is gone
    _fits(page)
    shot(page, f"career-{lang}-{'js' if javascript else 'nojs'}-review")
    timeline.locator("button[name='career']").click()  # a button of the review's send form
    assert page.url.split("#")[0].endswith("/review")
    assert page.locator("#career [role=status]").count() == 1  # "You confirmed"
    assert page.locator("#career button[name='career']").count() == 0

    response = _send(page, served, code)
    assert response.meta["timeline_confirmed"] is True


def _send(page: Any, served: Served, code: str) -> Response:
    from webapp.db import db_session

    page.click(f"form[action$='/s/{STUDY}/submit'] button")
    assert page.url.endswith("/thanks")
    with served.app.app_context():
        session = db_session()
        person = session.exec(select(Participant).where(Participant.code == code)).one()
        response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
        g.pop("db_session").close()
    return response
