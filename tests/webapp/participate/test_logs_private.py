"""No answer, contact detail or token reaches a log line: a failing save, a personal-link visit, a manage link."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tests.webapp.participate.journey import STUDY, Journey
from webapp.redaction import redact

EMPLOYER = "Tanaka Seimitsu Kogyo"


@pytest.fixture
def failing_draft_saves(session: Session, backend: str) -> None:
    """The database itself refuses every change of a draft (a trigger), inside the test's transaction."""
    if backend == "sqlite":
        session.execute(sa.text("CREATE TRIGGER fail_draft BEFORE UPDATE ON draft "
                                "BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END"))
    else:
        session.execute(sa.text("CREATE FUNCTION fail_draft() RETURNS trigger LANGUAGE plpgsql AS "
                                "$$ BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$"))
        session.execute(sa.text("CREATE TRIGGER fail_draft BEFORE UPDATE ON draft FOR EACH ROW "
                                "EXECUTE FUNCTION fail_draft()"))


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(message)s")
    return [formatter.format(record) for record in caplog.records]


def test_a_failing_save_and_a_personal_link_leave_no_secret_in_the_log(
    journey: Journey, make_journey: Any, session: Session, caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    journey.screen("ti")
    journey.consent()
    page = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True).get_data(as_text=True)
    token = re.search(r"/s/sme-careers/p/([\w-]{40,})", page).group(1)  # type: ignore[union-attr]
    journey.get(f"/s/{STUDY}/form/japan_jobs")
    journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "add:jobs"})
    request.getfixturevalue("failing_draft_saves")
    caplog.set_level(logging.DEBUG)  # every logger, SQLAlchemy's statements included
    failed = journey.post(f"/s/{STUDY}/form/japan_jobs/entry/1?r=jobs",
                          {"job_employer": EMPLOYER, "action": "save"})
    assert failed.status_code == 500
    other = make_journey()
    assert other.get(f"/s/{STUDY}/p/{token}").status_code in (200, 302)
    assert other.get(f"/s/{STUDY}/p/{token}x").status_code == 404
    # What gunicorn's access log writes for such visits goes through the same records.
    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s', {
        "h": "127.0.0.1", "r": f"GET /s/{STUDY}/p/{token}?lang=vi HTTP/1.1", "s": "200"})
    logging.getLogger("waitress").info("GET /i/%s/interview.ics", token)
    lines = _lines(caplog)
    assert any("disk is on fire" in line for line in lines), lines  # the error itself is logged
    assert any("/s/sme-careers/p/…" in line for line in lines)
    for line in lines:
        assert EMPLOYER not in line
        assert token not in line
        assert token[:20] not in line


@pytest.mark.parametrize(("text", "expected"), [
    ("GET /s/sme-careers/p/abcDEF123_- HTTP/1.1", "GET /s/sme-careers/p/… HTTP/1.1"),
    ("GET /s/x/p/tok/interview?tz=Asia/Tokyo 200", "GET /s/x/p/…/interview?tz=Asia/Tokyo 200"),
    ('"POST /i/Zz9_-/cancel HTTP/1.1" 302', '"POST /i/…/cancel HTTP/1.1" 302'),
    ("GET /auth/invite/secret123", "GET /auth/invite/…"),
    ("GET /studies/s/participants?page=2", "GET /studies/s/participants?page=2"),
    ("GET /s/x/resume?code=ABCD-EFGH", "GET /s/x/resume?code=…"),
])
def test_token_paths_are_cut(text: str, expected: str) -> None:
    assert redact(text) == expected
