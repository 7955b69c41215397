"""Screening and consent: switching language keeps what was typed (no JavaScript: the test client has none)."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from tests.webapp.participate.journey import STUDY, Journey
from webapp.models import Consent, Participant


def _checked(body: str) -> set[tuple[str, str]]:
    found = re.findall(r'<input type="radio" name="([\w-]+)" value="([\w-]+)" checked>', body)
    return {(name, value) for name, value in found}


def _participants(session: Session) -> list[Participant]:
    return list(session.exec(select(Participant)))


def test_screening_language_buttons_keep_the_answers(journey: Journey, session: Session) -> None:
    journey.get(f"/s/{STUDY}")
    page = journey.get(f"/s/{STUDY}/screening").get_data(as_text=True)
    assert 'name="switch_language" value="ja"' in page
    assert "?lang=ja" not in page  # not a link: a link would drop what is typed
    # Enter in a field submits the form's first button: a hidden "Next", never a language
    first = re.search(r'<button form="sf"[^>]*>', page)
    assert first is not None
    assert "switch_language" not in first.group(0)

    switched = journey.post(f"/s/{STUDY}/screening",
                            {"participant_type": "sie", "adult": "yes", "switch_language": "ja"})
    body = switched.get_data(as_text=True)
    assert switched.status_code == 200
    assert '<html lang="ja"' in body
    assert "参加できるかの確認" in body  # the screening's title in Japanese
    assert {("participant_type", "sie"), ("adult", "yes")} <= _checked(body)
    assert 'role="alert"' not in body  # unanswered questions are no error yet
    assert _participants(session) == []  # nothing is kept before the person goes on

    again = journey.get(f"/s/{STUDY}/screening").get_data(as_text=True)
    assert '<html lang="ja"' in again  # the choice is remembered

    done = journey.post(f"/s/{STUDY}/screening", {"participant_type": "sie", "adult": "yes", "in_japan": "yes"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/consent")
    (person,) = _participants(session)
    assert person.form_language == "ja"


def test_an_unknown_language_changes_nothing(journey: Journey, session: Session) -> None:
    journey.get(f"/s/{STUDY}/screening")
    data = {"participant_type": "ti", "adult": "yes", "in_japan": "yes", "switch_language": "xx"}
    r = journey.post(f"/s/{STUDY}/screening", data)
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="en"' in body
    assert ("participant_type", "ti") in _checked(body)
    assert _participants(session) == []  # a language button never submits, whatever its value


def test_consent_language_buttons_keep_the_choices(journey: Journey, session: Session) -> None:
    assert journey.screen("ti").status_code == 302
    page = journey.get(f"/s/{STUDY}/consent").get_data(as_text=True)
    assert 'name="switch_language" value="vi"' in page

    switched = journey.post(f"/s/{STUDY}/consent", {"withdrawal_data": "erase", "switch_language": "vi"})
    body = switched.get_data(as_text=True)
    assert switched.status_code == 200
    assert '<html lang="vi"' in body
    assert ("withdrawal_data", "erase") in _checked(body)
    assert 'role="alert"' not in body
    (person,) = _participants(session)
    session.refresh(person)
    assert person.form_language == "vi"
    assert session.exec(select(Consent)).all() == []  # switching is not consenting

    agreed = journey.post(f"/s/{STUDY}/consent", {"consent": "yes", "withdrawal_data": "erase"})
    assert agreed.status_code == 302
    consent = session.exec(select(Consent).where(Consent.participant_id == person.id)).one()
    assert (consent.language, consent.withdrawal_data) == ("vi", "erase")


def test_intake_pages_keep_their_language_links(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    page = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True).get_data(as_text=True)
    assert '<a href="?lang=ja" lang="ja">' in page  # the intake saves typed answers through form.js or its Save button
    assert "switch_language" not in page
