"""Issue 16's walk in a desktop browser: agenda -> interview -> participant -> debrief (episode chosen from the
timeline's episodes), a reminder sent by hand through the displayed LINE link, and axe-core on every page
visited (no serious or critical finding). axe-core (MPL-2.0) is installed with npm into the git-ignored
``tests/browser/.axe`` folder; the test is skipped when it is not there and npm cannot fetch it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlmodel import select

from tests.browser.conftest import Served
from tests.webapp.research import factories as f
from webapp.db import db_session
from webapp.models import DeliveryAttempt, Study, utcnow
from webapp.services import contacts

pytestmark = pytest.mark.browser
AXE_DIR = Path(__file__).parent / ".axe"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def _axe() -> Path:
    if not AXE.exists() and shutil.which("npm"):
        AXE_DIR.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "axe-core@4"], cwd=AXE_DIR,
                       check=False, timeout=300, capture_output=True)
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm install axe-core in tests/browser/.axe)")
    return AXE


def _serious(page: Any, axe: Path) -> list[str]:
    page.add_script_tag(path=str(axe))
    result = page.evaluate("async () => (await axe.run(document)).violations"
                           ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                           ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
    return [f"{page.url}: {v}" for v in result]


def _world(served: Served) -> dict[str, Any]:
    with served.app.app_context():
        session = db_session()
        study = session.exec(select(Study)).first()
        assert study is not None
        owner = f.user(session, study, "owner", name="Olga Owner", timezone="Asia/Tokyo")
        person = f.participant(session, study, code="TI-0046", ptype="ti", language="en", withdrawal_data="keep")
        contacts.write(session=session, participant_id=person.id or 0, now=utcnow(),
                       record={"messaging_app": "line", "messaging_id": "ren_line_46"})
        for n, (start, end, status) in enumerate([("2019-04", "2022-03", "ti_2"), ("2022-04", None, "ssw_1")], 1):
            y, m = (int(x) for x in start.split("-"))
            f.record(session, person, "episodes", episode_no=n, kind="job", start=start, end=end,
                     start_month=f.month(y, m), ongoing=end is None, residence_status=status)
        booking = f.booking(session, person, owner, starts_at=(utcnow() + timedelta(days=2)).replace(microsecond=0))
        booking.contact_channel = "messaging"
        session.add(booking)
        session.add(DeliveryAttempt(booking_id=booking.id, channel="messaging", purpose="reminder_24h",
                                    status="manual", detail={"to": "participant"}, at=utcnow()))
        session.commit()
        return {"slug": study.slug, "email": owner.email, "booking": booking.id}


def test_agenda_interview_participant_debrief_and_a_reminder_by_hand(browser: Any, served: Served) -> None:
    axe = _axe()
    world = _world(served)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    findings: list[str] = []
    try:
        page.goto(f"{served.url}/auth/signin")
        page.fill("input[name=email]", world["email"])
        page.fill("input[name=password]", f.PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{served.url}/studies/{world['slug']}/schedule/")
        findings += _serious(page, axe)
        assert page.locator("a", has_text="TI-0046").count() >= 1  # opens on the next upcoming interview
        page.locator("td a").first.click()  # the time: to the interview
        assert "/schedule/interviews/" in page.url
        findings += _serious(page, axe)
        line = page.locator("a[href^='https://line.me/R/msg/text/?']")
        href = line.get_attribute("href") or ""
        assert "TI-0046" in unquote(href)  # the reminder text, filled in
        assert page.get_by_text("ren_line_46").count() >= 1
        page.get_by_role("link", name="Participant TI-0046").click()
        assert page.url.endswith("/participants/TI-0046")
        findings += _serious(page, axe)
        page.locator(f"a[href$='/schedule/interviews/{world['booking']}']").first.click()
        page.locator("a[href$='/debrief']").first.click()
        assert page.locator("svg.timeline").count() == 1
        options = page.locator("select[name='skill_events-0-event_episode'] option").all_inner_texts()
        assert any(o.startswith("#2") for o in options)
        page.select_option("select[name='skill_events-0-event_episode']", "2")
        findings += _serious(page, axe)
        page.goto(f"{served.url}/studies/{world['slug']}/schedule/interviews/{world['booking']}")
        page.get_by_role("button", name="Mark as sent").click()
        assert page.locator("a[href^='https://line.me/R/msg/text/?']").count() == 0
        booking = f"schedule/interviews/{world['booking']}"
        for path in ("", "participants", "schedule/availability", "schedule/types", "schedule/types/new",
                     "schedule/outbox", f"{booking}/reschedule", f"{booking}/contact", "participants/TI-0046/contact",
                     "audit", "exports", "api-tokens", "channels", "coding", "coding/codebook", "coding/agreement",
                     "coding/qdpx"):
            page.goto(f"{served.url}/studies/{world['slug']}/{path}")
            assert page.title(), path
            findings += _serious(page, axe)
        for path in ("/studies", "/auth/account"):
            page.goto(f"{served.url}{path}")
            findings += _serious(page, axe)
    finally:
        context.close()
    assert findings == []
