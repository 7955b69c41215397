"""The availability editor refuses hours that make no sense (no hours, the past, duplicates, overlaps), on the
page and in ``services.hours``; stored rows without hours still show and can be removed; no double row under
concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.conftest import make_test_app
from tests.webapp.schedule.conftest import add_interviewer, add_type, csrf_of, plain_study
from webapp.db import get_db
from webapp.models import AvailabilityOverride, AvailabilityRule, User, utcnow
from webapp.schedule.services import hours
from webapp.schedule.services.availability import eligible_interviewers, open_slots


@pytest.fixture
def editor(client: FlaskClient, session: Session, make_user: Any, sign_in: Any, make_study: Any) -> dict[str, Any]:
    """An owner signed in, and an interviewer (Tokyo) with Monday 09:00–12:00 only."""
    study = make_study()
    sign_in(make_user(study=study, role="owner"))
    person = add_interviewer(session, study, days=range(0), hours=(9, 12))
    session.add(AvailabilityRule(user_id=person.id or 0, weekday=0, start_time=time(9), end_time=time(12)))
    session.flush()
    base = f"/studies/{study.slug}/schedule/availability"
    page = client.get(f"{base}?user={person.id}")
    assert page.status_code == 200
    return {"study": study, "person": person, "base": base, "url": f"{base}/{person.id}", "csrf": csrf_of(page.text)}


def _today(person: User) -> date:
    return utcnow().astimezone(ZoneInfo(person.timezone or "UTC")).date()


def _overrides(session: Session, person: User) -> list[AvailabilityOverride]:
    return list(session.exec(select(AvailabilityOverride).where(AvailabilityOverride.user_id == person.id)))


def _rules(session: Session, person: User) -> list[tuple[int, time, time]]:
    rows = session.exec(select(AvailabilityRule).where(AvailabilityRule.user_id == person.id))
    return sorted((r.weekday, r.start_time, r.end_time) for r in rows)


def _override(client: FlaskClient, e: dict[str, Any], day: date, start: str = "", end: str = "",
              blocked: bool = False) -> Any:
    data = {"csrf_token": e["csrf"], "day": day.isoformat(), "start_time": start, "end_time": end}
    if blocked:
        data["blocked"] = "y"
    return client.post(f"{e['url']}/overrides", data=data)


def _rule(client: FlaskClient, e: dict[str, Any], weekday: int, start: str, end: str) -> Any:
    data = {"csrf_token": e["csrf"], "weekday": str(weekday), "start_time": start, "end_time": end}
    return client.post(f"{e['url']}/rules", data=data)


def test_an_override_without_hours_is_refused_on_its_field_and_nothing_is_saved(
    client: FlaskClient, session: Session, editor: dict[str, Any]
) -> None:
    day = _today(editor["person"]) + timedelta(days=10)
    refused = _override(client, editor, day)
    assert refused.status_code == 422
    assert 'id="end_time-error" role="alert">Enter the hours of that day, or mark it as not available.' in refused.text
    assert f'value="{day.isoformat()}"' in refused.text  # what was typed comes back
    assert _overrides(session, editor["person"]) == []
    assert client.get(f"{editor['base']}?user={editor['person'].id}").status_code == 200
    only_start = _override(client, editor, day, start="10:00")
    assert only_start.status_code == 422
    backwards = _override(client, editor, day, start="12:00", end="10:00")
    assert "The end must be after the start." in backwards.text
    assert _overrides(session, editor["person"]) == []


def test_a_stored_override_without_hours_shows_and_can_be_removed(
    client: FlaskClient, session: Session, editor: dict[str, Any]
) -> None:
    person = editor["person"]
    broken = AvailabilityOverride(user_id=person.id or 0, day=_today(person) + timedelta(days=5), blocked=False)
    session.add(broken)
    session.flush()
    page = client.get(f"{editor['base']}?user={person.id}")
    assert page.status_code == 200
    assert "incomplete hours: no interviews are offered that day" in page.text
    assert f"/overrides/{broken.id}/delete" in page.text
    removed = client.post(f"{editor['url']}/overrides/{broken.id}/delete", data={"csrf_token": editor["csrf"]})
    assert removed.status_code == 302
    assert _overrides(session, person) == []
    assert client.get(f"{editor['base']}?user={person.id}").status_code == 200


def test_the_service_refuses_what_the_page_refuses(session: Session, editor: dict[str, Any]) -> None:
    person, now = editor["person"], utcnow()
    day = _today(person) + timedelta(days=3)
    with pytest.raises(hours.MissingHours):
        hours.add_override(session=session, user=person, day=day, blocked=False, start=None, end=None, now=now)
    with pytest.raises(hours.MissingHours):
        hours.add_override(session=session, user=person, day=day, blocked=False, start=time(9), end=None, now=now)
    with pytest.raises(hours.EndNotAfterStart):
        hours.add_override(session=session, user=person, day=day, blocked=False, start=time(9), end=time(9), now=now)
    with pytest.raises(hours.EndNotAfterStart):
        hours.add_rule(session=session, user=person, weekday=2, start=time(12), end=time(10))
    with pytest.raises(hours.BadWeekday):
        hours.add_rule(session=session, user=person, weekday=7, start=time(10), end=time(12))
    assert _overrides(session, person) == []
    assert _rules(session, person) == [(0, time(9), time(12))]
    blocked = hours.add_override(session=session, user=person, day=day, blocked=True, start=time(9), end=time(10),
                                 now=now)
    assert (blocked.blocked, blocked.start_time, blocked.end_time) == (True, None, None)


def test_a_duplicate_or_overlapping_weekly_rule_is_refused_naming_the_rule(
    client: FlaskClient, session: Session, editor: dict[str, Any]
) -> None:
    same = _rule(client, editor, 0, "09:00", "12:00")
    assert same.status_code == 422
    assert "Monday 09:00–12:00 is already in the weekly hours." in same.text
    overlap = _rule(client, editor, 0, "11:00", "13:00")
    assert overlap.status_code == 422
    assert "These hours overlap Monday 09:00–12:00, already in the weekly hours." in overlap.text
    inside = _rule(client, editor, 0, "10:00", "11:00")
    assert "These hours overlap Monday 09:00–12:00" in inside.text
    assert _rules(session, editor["person"]) == [(0, time(9), time(12))]
    assert _rule(client, editor, 0, "12:00", "15:00").status_code == 302  # touching is fine
    assert _rule(client, editor, 1, "09:00", "12:00").status_code == 302  # another day
    assert _rules(session, editor["person"]) == [(0, time(9), time(12)), (0, time(12), time(15)),
                                                 (1, time(9), time(12))]


def test_an_override_in_the_past_is_refused_today_is_not(
    client: FlaskClient, session: Session, editor: dict[str, Any]
) -> None:
    person = editor["person"]
    for day in (date(2020, 1, 1), _today(person) - timedelta(days=1)):
        refused = _override(client, editor, day, blocked=True)
        assert refused.status_code == 422
        assert 'id="day-error" role="alert">This date has passed.' in refused.text
    assert _overrides(session, person) == []
    assert _override(client, editor, _today(person), blocked=True).status_code == 302
    assert len(_overrides(session, person)) == 1


def test_overlapping_overrides_of_one_date_are_refused_naming_the_clash(
    client: FlaskClient, session: Session, editor: dict[str, Any]
) -> None:
    person = editor["person"]
    day = _today(person) + timedelta(days=4)
    iso = day.isoformat()
    assert _override(client, editor, day, "09:00", "11:00").status_code == 302
    for start, end in (("09:00", "11:00"), ("10:00", "12:00"), ("08:00", "09:30")):
        refused = _override(client, editor, day, start, end)
        assert refused.status_code == 422
        assert f"These hours overlap 09:00–11:00, already set for {iso}." in refused.text
    off = _override(client, editor, day, blocked=True)
    assert off.status_code == 422
    assert f"{iso} already has hours (09:00–11:00); remove them first to mark the day as not available." in off.text
    assert _override(client, editor, day, "11:00", "13:00").status_code == 302  # touching is fine
    other = day + timedelta(days=1)
    assert _override(client, editor, other, blocked=True).status_code == 302
    for again in (_override(client, editor, other, blocked=True), _override(client, editor, other, "09:00", "10:00")):
        assert again.status_code == 422
        assert f"{other.isoformat()} is already marked as not available." in again.text
    other_person = add_interviewer(session, editor["study"], days=range(0))
    hours.add_override(session=session, user=other_person, day=day, blocked=False, start=time(9), end=time(11),
                       now=utcnow())  # someone else's date does not clash
    assert sorted((o.day, o.start_time) for o in _overrides(session, person)) == [
        (day, time(9)), (day, time(11)), (other, None)]


def test_slots_follow_the_hours_of_an_override_with_two_windows(
    client: FlaskClient, session: Session, editor: dict[str, Any]
) -> None:
    person = editor["person"]
    itype = add_type(session, editor["study"], buffer_after_min=0)
    day = _today(person) + timedelta(days=5)
    assert _override(client, editor, day, "09:00", "10:00").status_code == 302
    assert _override(client, editor, day, "13:00", "15:00").status_code == 302
    assert _override(client, editor, day, "09:30", "11:00").status_code == 422
    eligible = eligible_interviewers(session=session, itype=itype, language="en")
    zone = ZoneInfo(person.timezone or "UTC")
    starts = [s.start.astimezone(zone).time() for s in open_slots(session=session, itype=itype, eligible=eligible,
                                                                   now=utcnow())
              if s.start.astimezone(zone).date() == day]
    assert starts == [time(9), time(13), time(13, 30), time(14)]


def test_two_identical_overrides_at_once_store_one_row(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path)
    engine = get_db(app).engine
    with Session(engine) as session:
        person = add_interviewer(session, plain_study(session, slug="hours-race"), days=range(0))
        session.commit()
        person_id = person.id
    day = utcnow().date() + timedelta(days=7)
    n = 6
    barrier = threading.Barrier(n)

    def submit(_: int) -> str:
        with Session(engine) as session:
            user = session.get(User, person_id)
            assert user is not None
            session.commit()
            barrier.wait()
            try:
                hours.add_override(session=session, user=user, day=day, blocked=False, start=time(9),
                                   end=time(12), now=utcnow())
            except hours.OverrideClash:
                return "clash"
            return "saved"

    threads: list[threading.Thread] = []
    results: list[str] = []
    for i in range(n):
        thread = threading.Thread(target=lambda i=i: results.append(submit(i)))
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(results) == {"saved": 1, "clash": n - 1}
    with Session(engine) as session:
        rows = session.exec(select(AvailabilityOverride).where(AvailabilityOverride.user_id == person_id)).all()
        assert [(r.day, r.start_time, r.end_time) for r in rows] == [(day, time(9), time(12))]
