"""Every time a researcher page shows is in the reader's zone, with the zone named (files keep UTC).

The pages mark a shown instant up as ``<time datetime="…Z">… (Zone)</time>`` (the ``local_time`` and
``local_range`` filters, ``webapp.services.times``); wall-clock times that are not instants (an interviewer's
weekly hours, a list of free slots) sit inside an element with ``data-zone`` whose text names that zone; a
message quoted as it was sent (``data-quoted``: in the participant's zone) names the zone after each time on
the same line. Any other clock time on a page is a time without its zone, and fails.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import book_via_client
from webapp.api.services import create_token
from webapp.models import Booking, Job, utcnow
from webapp.services.mail import list_outbox

CLOCK = re.compile(r"(?<![\d.])\d{1,2}\s*[:：]\s*\d{2}(?!\d)")  # not a port (127.0.0.1:5000)
ZONE_AT_END = re.compile(r"\([^()]+\)\s*$")
CLOCK_THEN_ZONE = re.compile(r"(?<![\d.])\d{1,2}\s*[:：]\s*\d{2}[^\n()]{0,12}\([^()\n]+\)")


def times_without_zone(html: str) -> list[str]:
    """The clock times of a page that are shown without their zone (empty when every one names it)."""
    tree = lxml.html.document_fromstring(html)
    for node in tree.xpath("//script|//style|//head"):
        node.drop_tree()
    bad: list[str] = []
    for node in tree.xpath("//time"):
        text = node.text_content().strip()
        if CLOCK.search(text) and (not ZONE_AT_END.search(text) or not node.get("datetime", "").endswith("Z")):
            bad.append(text)
        node.drop_tree()
    for node in tree.xpath("//*[@data-zone]"):
        zone = node.get("data-zone", "")
        if not zone or (zone not in node.text_content() and zone.replace("_", " ") not in node.text_content()):
            bad.append(f"data-zone={zone!r} not named")
        node.drop_tree()
    for node in tree.xpath("//*[@data-quoted]"):
        text = node.text_content()
        bad += CLOCK.findall(CLOCK_THEN_ZONE.sub("", text))
        node.drop_tree()
    return bad + CLOCK.findall(tree.text_content())


def test_the_check_finds_a_time_without_its_zone() -> None:
    assert times_without_zone('<p>Saved <time datetime="2026-01-01T05:00:00Z">14:00 (Japan Time)</time></p>') == []
    assert times_without_zone("<p>Saved 2026-01-01 05:00 UTC</p>") == ["05:00"]
    assert times_without_zone('<p><time datetime="2026-01-01T05:00:00Z">14:00</time></p>') == ["14:00"]
    assert times_without_zone('<div data-zone="Asia/Tokyo"><p>Mon 10:00–17:00</p></div>') == [
        "data-zone='Asia/Tokyo' not named"]
    assert times_without_zone("<pre data-quoted>Date: Thu 3 Dec 9:00 AM (Japan Time)\nSent 10:00</pre>") == ["10:00"]


@pytest.fixture
def busy_study(client: FlaskClient, session: Session, setup_booking: Any, make_user: Any, sign_in: Any) -> Any:
    """An interview booked by e-mail (a message in the outbox), moved once; an export; an API token."""
    s = setup_booking()
    assert book_via_client(client, s["study"], s["token"]).status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    booking.previous_starts = [(booking.starts_at - timedelta(days=1)).isoformat()]
    session.add(booking)
    owner = make_user(study=s["study"], role="owner", timezone="Europe/London")
    session.add(Job(study_id=s["study"].id, kind="export", status="done", created_by=owner.id,
                    finished_at=utcnow(), expires_at=utcnow() + timedelta(days=7)))
    create_token(session=session, study=s["study"], name="analysis", user=owner)
    session.commit()
    sign_in(owner)
    client.get(f"/studies/{s['study'].slug}/schedule/interviews/{booking.id}/contact")  # an audit entry
    s["booking"], s["owner"] = booking, owner
    return s


def test_every_researcher_page_names_the_zone_of_each_time(client: FlaskClient, busy_study: Any) -> None:
    slug, b, code = busy_study["study"].slug, busy_study["booking"], busy_study["participant"].code
    messages = list_outbox(study=slug)
    assert len(messages) == 2, "the confirmations to the participant and to the interviewer are in the outbox"
    pages = ["/studies", f"/studies/{slug}/", f"/studies/{slug}/participants", f"/studies/{slug}/participants/{code}",
             f"/studies/{slug}/audit", f"/studies/{slug}/exports", f"/studies/{slug}/api-tokens",
             f"/studies/{slug}/coding", f"/studies/{slug}/schedule/", f"/studies/{slug}/schedule/availability",
             f"/studies/{slug}/schedule/interviews/{b.id}", f"/studies/{slug}/schedule/interviews/{b.id}/reschedule",
             f"/studies/{slug}/schedule/outbox", *(f"/studies/{slug}/schedule/outbox/{m.name}" for m in messages),
             f"/studies/{slug}/schedule/types"]
    shown = 0
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert times_without_zone(page.text) == [], path
        shown += page.text.count("<time ")
    assert shown >= 10  # the pages did show times: the check was not vacuous


def test_times_are_in_the_readers_zone_and_language(client: FlaskClient, session: Session, busy_study: Any) -> None:
    slug, b = busy_study["study"].slug, busy_study["booking"]
    page = client.get(f"/studies/{slug}/schedule/interviews/{b.id}").text
    assert "(United Kingdom Time)</time>" in page  # the owner's zone
    assert "(Japan Time)</time>" in page  # Japan time, named too
    assert b.starts_at.strftime('datetime="%Y-%m-%dT%H:%M:%SZ"') in page  # the instant itself stays UTC
    exports = client.get(f"/studies/{slug}/exports").text
    assert "UTC</td>" not in exports
    assert "(United Kingdom Time)</time>" in exports
    busy_study["owner"].ui_language = "ja"
    session.add(busy_study["owner"])
    session.commit()
    japanese = client.get(f"/studies/{slug}/schedule/interviews/{b.id}").text
    assert "(イギリス時間)</time>" in japanese
    assert "(日本時間)</time>" in japanese

