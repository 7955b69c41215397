"""Coming back: the personal link, the written-down code, rate limits and the lock."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from tests.webapp.participate.journey import STUDY, Journey
from webapp.crypto import hash_token
from webapp.models import Participant
from webapp.services import responses


def _secrets(journey: Journey) -> tuple[str, str, str]:
    page = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True).get_data(as_text=True)
    token = re.search(r"/s/sme-careers/p/([\w-]{40,})", page)
    codes = re.findall(r'<dd class="code">([^<]+)</dd>', page)
    assert token is not None
    assert len(codes) == 2
    return codes[0], codes[1], token.group(1)


def _started(journey: Journey, session: Session) -> tuple[Participant, str, str, str]:
    journey.screen("ti")
    journey.consent()
    participant_code, code, token = _secrets(journey)
    journey.post(f"/s/{STUDY}/form/background", {"birth_year": "1994", "action": "save"})
    person = session.exec(select(Participant).where(Participant.code == participant_code)).one()
    return person, code, token, participant_code


def test_secrets_are_shown_once_and_stored_hashed(journey: Journey, session: Session) -> None:
    person, code, token, participant_code = _started(journey, session)
    assert participant_code == "TI-0001"
    assert re.fullmatch(r"[2346789ACDEFGHJKMNPQRTUVWXYZ]{4}-[2346789ACDEFGHJKMNPQRTUVWXYZ]{4}", code)
    assert person.resume_token_hash == hash_token(token)
    assert token not in str(person.model_dump())
    assert code not in str(person.model_dump())
    assert person.resume_code_hash.startswith("$argon2")


def test_the_personal_link_resumes_on_another_phone(
    journey: Journey, session: Session, make_journey: Any
) -> None:
    _person, _code, token, _pcode = _started(journey, session)
    other = make_journey()
    r = other.get(f"/s/{STUDY}/p/{token}", follow_redirects=True)
    assert r.request.path.endswith("/form/background")
    assert 'value="1994"' in r.get_data(as_text=True)
    assert other.get(f"/s/{STUDY}/p/not-a-token").status_code == 404


def test_the_code_resumes_and_issues_a_new_link(
    journey: Journey, session: Session, make_journey: Any
) -> None:
    person, code, token, pcode = _started(journey, session)
    other = make_journey()
    other.get(f"/s/{STUDY}/resume")
    r = other.post(
        f"/s/{STUDY}/resume",
        {"participant_code": pcode.lower(), "code": code.replace("-", " ").lower()},
        follow_redirects=True,
    )
    assert r.request.path.endswith("/form/background")
    body = r.get_data(as_text=True)
    assert 'value="1994"' in body
    assert code in body
    assert "Your personal link still works" in body
    session.refresh(person)
    assert person.resume_token_hash == hash_token(token)  # the code alone cannot cut the link off
    assert journey.get(f"/s/{STUDY}/p/{token}").status_code == 302
    # A new link only when the participant asks for it; it is shown on the page they land on.
    assert other.get(f"/s/{STUDY}/link").status_code == 200
    made = other.post(f"/s/{STUDY}/link", {})
    assert made.status_code == 200
    new = re.search(r"/s/sme-careers/p/([\w-]{40,})", made.get_data(as_text=True))
    assert new is not None
    assert "The old link no longer works" in made.get_data(as_text=True)
    session.refresh(person)
    assert person.resume_token_hash == hash_token(new.group(1))
    assert other.get(f"/s/{STUDY}/p/{new.group(1)}").status_code == 302
    # The old link explains itself and leads to the resume page.
    old = journey.get(f"/s/{STUDY}/p/{token}")
    assert old.status_code == 404
    assert "This personal link no longer works" in old.get_data(as_text=True)
    assert f'href="/s/{STUDY}/resume"' in old.get_data(as_text=True)


def test_the_cookie_never_shows_the_code_or_the_link(journey: Journey, session: Session, app: Any) -> None:
    _person, code, token, _pcode = _started(journey, session)
    cookie = journey.client.get_cookie("keireki_session")
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert token not in str(data)
    assert code not in str(data)
    assert code.replace("-", "") not in str(data)
    # ... and the pages still show both to write down.
    page = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True).get_data(as_text=True)
    assert token in page
    assert code in page


def test_wrong_codes_lock_the_code_but_not_the_link(
    journey: Journey, session: Session, make_journey: Any
) -> None:
    person, code, token, pcode = _started(journey, session)
    other = make_journey()
    other.get(f"/s/{STUDY}/resume")
    for i in range(responses.MAX_RESUME_FAILURES):
        r = other.post(
            f"/s/{STUDY}/resume",
            {"participant_code": pcode, "code": "AAAA-AAAA"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        )  # many addresses: past the rate limit
        assert r.status_code == 422
    session.refresh(person)
    assert person.resume_failures == responses.MAX_RESUME_FAILURES
    r = other.post(
        f"/s/{STUDY}/resume",
        {"participant_code": pcode, "code": code},
        environ_base={"REMOTE_ADDR": "10.0.1.1"},
    )
    assert r.status_code == 422  # locked, even with the right code
    other.get(f"/s/{STUDY}/p/{token}")
    session.refresh(person)
    assert person.resume_failures == 0


def test_guessing_is_rate_limited_per_address(journey: Journey, session: Session, make_journey: Any) -> None:
    other = make_journey()
    other.get(f"/s/{STUDY}/resume")
    statuses = [
        other.post(f"/s/{STUDY}/resume", {"participant_code": "TI-0001", "code": "AAAA-AAAA"}).status_code
        for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def test_leaving_a_shared_phone_hides_the_answers(journey: Journey, session: Session) -> None:
    _started(journey, session)
    journey.post(f"/s/{STUDY}/leave", {})
    r = journey.get(f"/s/{STUDY}/form/background")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/s/{STUDY}")


def test_printable_consent_copy(journey: Journey, session: Session) -> None:
    _person, _code, token, pcode = _started(journey, session)
    page = journey.get(f"/s/{STUDY}/p/{token}/consent.html")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert pcode in body
    assert "research-team@example.org" in body
    assert "1.0" in body
    assert journey.get(f"/s/{STUDY}/p/{token}x/consent.html").status_code == 404


def test_withdrawal_page(journey: Journey, session: Session) -> None:
    person, _code, token, _pcode = _started(journey, session)
    page = journey.get(f"/s/{STUDY}/p/{token}/withdraw")
    assert page.status_code == 200
    assert "Withdraw from the study" in page.get_data(as_text=True)
    r = journey.post(f"/s/{STUDY}/p/{token}/withdraw", {"confirm": "yes"})
    assert r.status_code == 302
    session.refresh(person)
    assert person.status == "withdrawn"
    assert journey.get(f"/s/{STUDY}/form/background").headers["Location"].endswith("/withdrawn")


def test_the_rate_limit_page_is_in_the_language_chosen_for_the_study(make_journey: Any) -> None:
    other = make_journey("en")  # a phone whose browser is English
    other.get(f"/s/{STUDY}?lang=vi")
    other.get(f"/s/{STUDY}/resume")
    for _ in range(6):
        page = other.post(f"/s/{STUDY}/resume", {"participant_code": "TI-0001", "code": "AAAA-AAAA"})
    assert page.status_code == 429
    assert '<html lang="vi"' in page.text
    assert "Bạn đã thử quá nhiều lần" in page.text  # "Too many attempts"
    assert "Too many attempts" not in page.text
    assert ">429<" not in page.text  # the bare status is no message for a participant
