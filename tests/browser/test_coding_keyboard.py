"""A coder codes two passages of a transcript with the keyboard only, at 1280 x 800, and sees them on the
participant's career timeline drawn on the coding page; a click on an event opens its passage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import Served, shot
from webapp.models import RECORD_TABLES, Booking, Coding, InterviewType, Membership, Participant, Study, User

pytestmark = pytest.mark.browser
PASSWORD = "a coder's long password"
TEXT = ("I: How did you learn welding?\n"
        "P: 先輩が三か月間、毎朝ひとつずつ溶接を教えてくれました 🔧\n\n"
        "I: And the company?\n"
        "P: The manager said Vietnamese workers are only for simple tasks.\n")


def _world(served: Served) -> tuple[str, int]:
    from sqlmodel import select

    from webapp.coding.services import transcripts as sources
    from webapp.db import db_session
    from webapp.services.passwords import hash_password

    with served.app.app_context():
        session = db_session()
        study = session.exec(select(Study)).first()
        assert study is not None
        coder = User(email="coder@example.org", password_hash=hash_password(PASSWORD), name="Coder")
        session.add(coder)
        session.flush()
        session.add(Membership(user_id=coder.id, study_id=study.id, role="researcher"))
        person = Participant(study_id=study.id, code="TI-0042", participant_type="ti", status="interviewed",
                             form_language="ja", resume_token_hash=uuid.uuid4().hex, resume_code_hash="x")
        session.add(person)
        session.flush()
        for number, (start, end, status) in enumerate(((1417, 1440, "ti_1"), (1441, 1476, "ti_2")), start=1):
            session.execute(sa.insert(RECORD_TABLES["episodes"]).values(
                study_id=study.id, participant_id=person.id, participant_code=person.code, episode_no=number,
                kind="job", start_month=start, end_month=end, residence_status=status))
        kind = InterviewType(study_id=study.id, name={"en": "Interview"}, modes=["video"], languages=["ja"])
        session.add(kind)
        session.flush()
        at = datetime(2026, 5, 1, 9, tzinfo=UTC)
        booking = Booking(uid=str(uuid.uuid4()), study_id=study.id, interview_type_id=kind.id,
                          participant_id=person.id, interviewer_id=coder.id, starts_at=at,
                          ends_at=at + timedelta(hours=1), busy_from=at, busy_until=at + timedelta(hours=1),
                          participant_tz="Asia/Tokyo", language="ja", mode="video", status="completed",
                          manage_token_hash=uuid.uuid4().hex, manage_token_expires_at=at)
        session.add(booking)
        session.flush()
        transcript = sources.add(session=session, booking=booking, text=TEXT, name="ti-0042.txt", language="ja",
                                 user=coder)
        session.commit()
        return study.slug, int(transcript.id or 0)


def _choose(page: Any, field: str, letters: str) -> None:
    """Focus a select with Tab-like keyboard focus and pick an option by typing its first letters."""
    page.focus(f"[name='{field}']")
    page.keyboard.type(letters)


def test_coder_codes_two_passages_with_the_keyboard(served: Served, browser: Any) -> None:
    slug, transcript_id = _world(served)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(f"{served.url}/auth/signin")
    page.fill("input[name='email']", "coder@example.org")
    page.fill("input[name='password']", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/studies")
    page.goto(f"{served.url}/studies/{slug}/coding/transcripts/{transcript_id}")

    # 1. a whole paragraph: Tab to it, Enter chooses it, the code list gets the focus.
    page.focus("#p-2")
    page.keyboard.press("Enter")
    assert page.input_value("[name='first']") == "2"
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.type("Cult")
    _choose(page, "actor", "Co-w")
    _choose(page, "skill_domain", "Tech")
    _choose(page, "episode_no", "#1")
    page.focus("#coding-form button[type='submit']")
    page.keyboard.press("Enter")  # saved with fetch, then the page is reloaded at the new coding
    expect(page.locator("mark")).to_have_count(1)

    # 2. exact words inside paragraph 4, typed, with another code.
    page.focus("#p-4")
    page.keyboard.press("Enter")
    page.keyboard.type("Limit")
    page.focus("[name='quote']")
    page.keyboard.type("only for simple tasks")
    _choose(page, "actor", "Employer")
    _choose(page, "skill_domain", "Lang")
    _choose(page, "episode_no", "#2")
    page.focus("#coding-form button[type='submit']")
    page.keyboard.press("Enter")
    expect(page.locator("mark")).to_have_count(2)
    page.wait_for_load_state()
    assert page.locator("mark").nth(1).inner_text() == "only for simple tasks"
    events = page.locator("svg a.coded-event")
    assert events.count() == 2
    shot(page, "coding-keyboard")
    with served.app.app_context():
        from webapp.db import db_session

        saved = db_session().execute(sa.select(Coding.episode_no, Coding.actor).order_by(Coding.id)).all()
    assert [tuple(r) for r in saved] == [(1, "coworkers"), (2, "employer_manager")]
    events.nth(1).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**#c-*")
    assert page.locator(page.url[page.url.index("#"):]).is_visible()
    context.close()
