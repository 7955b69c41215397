"""Researcher workspace: one staff layout for the scheduling pages, and no dead ends between pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import book_via_client, booked_by_client
from webapp.models import Booking, utcnow


@pytest.fixture
def booked(client: FlaskClient, session: Session, setup_booking: Any) -> dict[str, Any]:
    s = setup_booking()
    assert book_via_client(client, s["study"], s["token"]).status_code == 302
    s["booking"] = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    return s


def _owner(make_user: Any, sign_in: Any, study: Any) -> Any:
    user = make_user(study=study, role="owner")
    sign_in(user)
    return user


def test_every_scheduling_page_has_the_global_header_and_the_wide_column(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _owner(make_user, sign_in, booked["study"])
    slug, b = booked["study"].slug, booked["booking"]
    pages = ["schedule/", "schedule/availability", "schedule/types", "schedule/outbox",
             f"schedule/interviews/{b.id}"]
    for path in pages:
        page = client.get(f"/studies/{slug}/{path}")
        assert page.status_code == 200, path
        assert '<body class="staff">' in page.text, path  # body.staff main: the 72rem (1152 px) column
        assert ">Sign out</button>" in page.text, path
        assert ">Studies</a>" in page.text, path
        assert ">Account</a>" in page.text, path
        assert "staff.css" in page.text, path


def test_agenda_opens_on_the_next_upcoming_interview_and_links_the_participant(
    client: FlaskClient, session: Session, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    user = _owner(make_user, sign_in, booked["study"])
    b = booked["booking"]
    length = b.ends_at - b.starts_at
    b.starts_at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    b.ends_at = b.starts_at + length
    session.add(b)
    session.commit()
    slug, code = booked["study"].slug, booked["participant"].code
    page = client.get(f"/studies/{slug}/schedule/")
    assert page.status_code == 200
    local_day = b.starts_at.astimezone(ZoneInfo(user.timezone or "Asia/Tokyo")).date().isoformat()
    assert f"<h2>{local_day}</h2>" in page.text
    assert f'href="/studies/{slug}/participants/{code}">{code}</a>' in page.text
    today = client.get(f"/studies/{slug}/schedule/?date={utcnow().date().isoformat()}")
    assert code not in today.text  # an explicit date is still honoured


def test_interview_and_participant_pages_link_each_other(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    _owner(make_user, sign_in, booked["study"])
    slug, b, code = booked["study"].slug, booked["booking"], booked["participant"].code
    interview = client.get(f"/studies/{slug}/schedule/interviews/{b.id}")
    assert f'href="/studies/{slug}/participants/{code}"' in interview.text
    person = client.get(f"/studies/{slug}/participants/{code}")
    assert f'href="/studies/{slug}/schedule/interviews/{b.id}"' in person.text
    assert "Video call" in person.text
    assert ">video<" not in person.text
    assert ">English<" in person.text


def test_a_viewer_sees_the_interview_row_without_a_link_it_could_not_open(
    client: FlaskClient, make_user: Any, sign_in: Any, booked: dict[str, Any]
) -> None:
    sign_in(make_user(study=booked["study"], role="viewer"))
    slug, b, code = booked["study"].slug, booked["booking"], booked["participant"].code
    person = client.get(f"/studies/{slug}/participants/{code}")
    assert person.status_code == 200
    assert f"/schedule/interviews/{b.id}" not in person.text


def test_the_debrief_page_has_the_staff_layout_and_links_participant_and_interview(
    client: FlaskClient, session: Session, sign_in: Any, bundled_study: Any
) -> None:
    booking, interviewer = booked_by_client(client, session, bundled_study)
    sign_in(interviewer)
    slug = bundled_study.slug
    page = client.get(f"/studies/{slug}/schedule/interviews/{booking.id}/debrief")
    assert page.status_code == 200
    assert '<body class="staff">' in page.text
    assert ">Sign out</button>" in page.text
    code = re.search(r'href="/studies/[^/]+/participants/([^"]+)"', page.text)
    assert code is not None
    assert f'href="/studies/{slug}/schedule/interviews/{booking.id}"' in page.text


def test_interview_languages_are_checkboxes_and_the_zone_a_list_with_localised_names(
    client: FlaskClient, make_user: Any, sign_in: Any, setup_booking: Any
) -> None:
    s = setup_booking()
    owner = make_user(study=s["study"], role="owner", ui_language="ja")
    sign_in(owner)
    person = s["interviewer"]
    page = client.get(f"/studies/{s['study'].slug}/schedule/availability?user={person.id}")
    assert page.status_code == 200
    assert "<select multiple" not in page.text
    assert re.search(r'<input [^>]*type="checkbox"[^>]*name="languages"[^>]*value="my"', page.text) or \
        re.search(r'<input [^>]*name="languages" type="checkbox" value="my"', page.text)
    assert re.search(r'<select [^>]*id="timezone"', page.text)
    assert '<option selected value="Asia/Tokyo">日本時間 — Asia/Tokyo</option>' in page.text
    types = client.get(f"/studies/{s['study'].slug}/schedule/types/new")
    assert "<select multiple" not in types.text
