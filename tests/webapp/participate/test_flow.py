"""The journey end to end with the test client: start, screening, consent, pages, entries, submit."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from tests.conftest import count
from tests.webapp.participate.journey import STUDY, Journey, fill
from webapp.forms import pages
from webapp.models import Channel, Consent, Contact, Draft, Job, Participant, Response
from webapp.services import responses
from webapp.services.studies import current_version, instrument_of


def _instrument(session: Session, study: Any, instrument_id: str) -> Any:
    version = current_version(session=session, study_id=study.id, instrument_id=instrument_id)
    return instrument_of(version)


def _participant(session: Session) -> Participant:
    person = session.exec(select(Participant).order_by(Participant.id.desc())).first()  # type: ignore[union-attr]
    assert person is not None
    session.refresh(person)
    return person


def _draft(session: Session, person: Participant) -> Draft:
    draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).one()
    session.refresh(draft)
    return draft


def complete_intake(
    j: Journey, session: Session, study: Any, *, jobs: int = 3, overrides: dict[str, Any] | None = None
) -> Participant:
    """Answer every page of the participant's intake through the pages, adding ``jobs`` jobs."""
    person = _participant(session)
    instrument = _instrument(session, study, responses.intake_id(study, person.participant_type) or "")
    j.get(f"/s/{STUDY}/form/_first", follow_redirects=True)
    for _ in range(60):
        path = j.path()
        assert j.last is not None
        here = str(j.last.request.full_path).rstrip("?")  # the page, or the part of it (?part=2) reached
        if path.endswith("/review"):
            return person
        page = path.rsplit("/", 1)[1]
        group = pages.find_page(instrument, page)
        assert group is not None, path
        for repeat in pages.repeats(group):
            answers = _draft(session, person).answers
            if not pages.engine.is_relevant(instrument, repeat, answers, today=date.today()):
                continue
            wanted = jobs if repeat.name == "jobs" else (repeat.min_count or 0)
            for n in range(len(answers.get(repeat.name, [])), wanted):
                j.post(
                    path,
                    {**fill(instrument, group, answers, overrides=overrides), "action": f"add:{repeat.name}"},
                )
                entry_path = j.last.headers["Location"]
                assert f"/entry/{n + 1}" in entry_path
                for _part in range(12):  # a long entry comes in parts, each a page
                    j.get(entry_path)
                    data = fill(
                        instrument,
                        repeat,
                        _draft(session, person).answers,
                        entry=(repeat.name, n),
                        overrides=overrides,
                    )
                    r = j.post(entry_path, {**data, "action": "save"})
                    assert r.status_code == 303, data
                    entry_path = r.headers["Location"]
                    if "/entry/" not in entry_path:
                        break
                assert entry_path.split("?")[0].endswith(f"/form/{page}"), data  # the part with the list
        j.get(here)
        data = fill(instrument, group, _draft(session, person).answers, overrides=overrides)
        j.post(here, {**data, "action": "next"}, follow_redirects=True)
        assert str(j.last.request.full_path).rstrip("?") != here, (
            here, j.last.get_data(as_text=True)[-2000:] if j.last else "")
    raise AssertionError("the form never reached the review")


def test_start_preselects_the_language_and_records_the_channel(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    session.add(Channel(study_id=bundled_study.id, code="agency-a", label="Agency A"))
    session.flush()
    journey.headers["Accept-Language"] = "vi-VN,vi;q=0.9,en;q=0.5"
    page = journey.get(f"/s/{STUDY}?c=agency-a")
    assert page.status_code == 200
    assert '<html lang="vi"' in page.get_data(as_text=True)
    journey.headers["Accept-Language"] = "en"  # the choice made on the first page holds
    r = journey.screen("ti")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/consent")
    person = _participant(session)
    channel = session.exec(select(Channel).where(Channel.code == "agency-a")).one()
    assert person.channel_id == channel.id
    assert person.form_language == "vi"
    assert person.code == "TI-0001"
    assert person.status == "screened"


def test_ineligible_screening_keeps_nothing(journey: Journey, session: Session, bundled_study: Any) -> None:
    session.add(Channel(study_id=bundled_study.id, code="fb-post", label="Facebook post"))
    session.flush()
    before = count(session, Participant)
    journey.get(f"/s/{STUDY}?c=fb-post")
    journey.get(f"/s/{STUDY}/screening")
    r = journey.post(
        f"/s/{STUDY}/screening",
        {"participant_type": "ti", "adult": "no", "in_japan": "yes"},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "not kept any of your answers" in r.get_data(as_text=True)
    assert count(session, Participant) == before
    channel = session.exec(select(Channel).where(Channel.code == "fb-post")).one()
    session.refresh(channel)
    assert channel.ineligible_count == 1


def test_screening_errors_are_shown_beside_the_fields(journey: Journey, session: Session) -> None:
    journey.get(f"/s/{STUDY}/screening")
    r = journey.post(
        f"/s/{STUDY}/screening", {"participant_type": "manager", "adult": "yes", "in_japan": "yes"}
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="w-sme"' in body
    assert 'id="e-sme"' not in body  # it was hidden until now: a notice, not an error
    assert "More questions appeared below" in body
    assert 'value="manager" checked' in body
    assert count(session, Participant) == 0


def test_consent_is_stored_with_version_language_and_hash(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    journey.screen("sie")
    journey.get(f"/s/{STUDY}/consent?lang=ja")
    r = journey.post(f"/s/{STUDY}/consent", {"withdrawal_data": "erase"})
    assert r.status_code == 422
    assert 'id="e-consent"' in r.get_data(as_text=True)
    r = journey.post(f"/s/{STUDY}/consent", {"consent": "yes", "withdrawal_data": "erase"})
    assert r.status_code == 302
    person = _participant(session)
    consent = session.exec(select(Consent).where(Consent.participant_id == person.id)).one()
    text = responses.consent_text(instrument=_instrument(session, bundled_study, "consent"), language="ja")
    assert consent.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert (consent.language, consent.consent_version, consent.withdrawal_data) == ("ja", "1.0", "erase")
    assert person.status == "consented"
    assert person.form_language == "ja"
    assert _draft(session, person).instrument_id == "sie_intake"


def test_ti_completes_the_intake_with_three_jobs_and_submits_once(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    journey.screen("ti")
    journey.consent()
    person = complete_intake(journey, session, bundled_study, jobs=3)
    review = journey.last.get_data(as_text=True)
    assert "Send my answers" in review
    assert " disabled" not in review.split("Send my answers")[0][-40:]
    first = journey.post(f"/s/{STUDY}/submit", {})
    assert first.status_code == 303
    assert first.headers["Location"].endswith("/thanks")
    again = journey.post(f"/s/{STUDY}/submit", {})  # a double tap, a retry, the back button
    assert again.status_code == 303
    assert again.headers["Location"].endswith("/thanks")
    stored = session.exec(select(Response).where(Response.participant_id == person.id)).all()
    assert len(stored) == 1
    assert len(stored[0].answers["jobs"]) == 3
    assert all("job_employer" in job for job in stored[0].answers["jobs"])
    session.refresh(person)
    assert person.status == "submitted"
    assert count(session, Draft, Draft.participant_id == person.id) == 0
    jobs = session.exec(select(Job).where(Job.kind == "convert")).all()
    assert [j.params["participant_id"] for j in jobs] == [person.id]
    thanks = journey.get(f"/s/{STUDY}/thanks").get_data(as_text=True)
    assert person.code in thanks
    assert "/interview" in thanks
    assert "consent.html" in thanks


def test_manager_can_submit_an_era_date(journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("manager")
    journey.consent()
    instrument = _instrument(session, bundled_study, "manager_intake")
    dated = next(q for q in instrument.questions() if q.type == "partial_date")
    complete_intake(journey, session, bundled_study, overrides={dated.name: "令和6年4月"})
    person = _participant(session)
    draft = _draft(session, person)
    assert draft.answers[dated.name] == "2024-04"
    assert draft.meta["raw"][dated.name] == "令和6年4月"
    assert {"path": dated.name, "flag": "era_date_parsed", "detail": ""} in draft.meta["flags"]
    journey.post(f"/s/{STUDY}/submit", {})
    response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
    assert response.answers[dated.name] == "2024-04"
    assert "pending" not in response.meta


def test_contact_details_are_stored_apart_and_encrypted(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/contact")
    r = journey.post(
        f"/s/{STUDY}/form/contact",
        {
            "interview_ok": "yes",
            "contact_name": "Lan",
            "contact_phone": "090-1234-5678",
            "contact_app": "zalo",
            "contact_app_id": "lan99",
            "action": "save",
        },
    )
    assert r.status_code == 303
    person = _participant(session)
    draft = _draft(session, person)
    assert not {"interview_ok", "contact_name", "contact_phone", "contact_app_id"} & set(draft.answers)
    assert "Lan" not in str(draft.meta)
    assert "1234" not in str(draft.meta)
    row = session.exec(select(Contact).where(Contact.participant_id == person.id)).one()
    assert b"Lan" not in row.data_enc
    from webapp.crypto import decrypt_json

    data = decrypt_json(row.data_enc)
    assert data["phone"] == "+819012345678"
    assert data["name"] == "Lan"
    assert (data["messaging_app"], data["messaging_id"]) == ("zalo", "lan99")
    assert "phone" in row.kinds
    page = journey.get(f"/s/{STUDY}/form/contact").get_data(as_text=True)
    assert 'value="+819012345678"' in page
    assert 'value="lan99"' in page
    review = journey.get(f"/s/{STUDY}/review").get_data(as_text=True)  # to be checked before submitting
    for shown in ("Lan", "+819012345678", "Zalo", "lan99"):
        assert shown in review, shown
    # Changing one's mind hides the contact questions (their inputs are still posted): nothing is kept.
    journey.post(
        f"/s/{STUDY}/form/contact",
        {"interview_ok": "no", "contact_name": "Lan", "contact_phone": "090-1234-5678", "action": "save"},
    )
    session.refresh(row)
    assert decrypt_json(row.data_enc) == {"interview_ok": "no"}


def test_clearing_every_contact_detail_deletes_them_and_is_audited(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    from webapp.models import AuditEvent, utcnow
    from webapp.participate import contact

    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/contact")
    journey.post(f"/s/{STUDY}/form/contact",
                 {"interview_ok": "yes", "contact_name": "Lan", "contact_phone": "090-1234-5678", "action": "save"})
    person = _participant(session)
    assert count(session, Contact, Contact.participant_id == person.id) == 1
    names = {"interview_ok", "contact_name", "contact_phone", "contact_app", "contact_app_id"}
    questions = [q for q in _instrument(session, bundled_study, "ti_intake").questions() if q.name in names]
    assert len(questions) == len(names)
    contact.save(session=session, participant=person, questions=questions,
                 values={q.name: None for q in questions}, pending={}, now=utcnow())
    session.flush()
    assert count(session, Contact, Contact.participant_id == person.id) == 0
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.delete")).all()
    assert [(e.actor, e.target, e.detail["by"]) for e in events] == [
        (f"participant:{person.code}", f"participant:{person.code}", "participant")]
    assert "Lan" not in str(events[0].detail)


def test_typed_values_survive_a_failed_validation(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/background")
    r = journey.post(
        f"/s/{STUDY}/form/background", {"birth_year": "nineteen", "gender": "female", "action": "next"}
    )
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/form/background")
    page = journey.get(f"/s/{STUDY}/form/background").get_data(as_text=True)
    assert 'value="nineteen"' in page
    assert 'id="e-birth_year" role="alert"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="female" checked' in page
    draft = _draft(session, _participant(session))
    assert draft.answers == {"gender": "female"}
    assert draft.meta["pending"]["background"]["values"] == {"birth_year": "nineteen"}
    journey.post(f"/s/{STUDY}/form/background", {"birth_year": "1996", "gender": "female", "action": "save"})
    draft = _draft(session, _participant(session))
    assert draft.answers["birth_year"] == 1996
    still = draft.meta["pending"]["background"]
    assert still["values"] == {}
    assert set(still["errors"]) == {"nationality", "education"}


def test_zawgyi_text_is_converted_and_the_original_kept(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    journey.screen("ti")
    journey.consent()
    zawgyi = "မင္းကိုခ်စ္တယ္"  # Zawgyi for "I love you"
    journey.get(f"/s/{STUDY}/form/japan_jobs")
    journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "add:jobs"})
    journey.get(f"/s/{STUDY}/form/japan_jobs/entry/1?r=jobs")
    journey.post(f"/s/{STUDY}/form/japan_jobs/entry/1?r=jobs", {"job_employer": zawgyi, "action": "save"})
    draft = _draft(session, _participant(session))
    stored = draft.answers["jobs"][0]["job_employer"]
    assert stored != zawgyi
    assert stored.startswith("မင်း")
    assert draft.meta["raw"]["jobs[0].job_employer"] == zawgyi
    assert {"path": "jobs[0].job_employer", "flag": "zawgyi_converted", "detail": ""} in draft.meta["flags"]


def test_removing_an_entry_moves_the_later_ones_up(journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("ti")
    journey.consent()
    instrument = _instrument(session, bundled_study, "ti_intake")
    jobs = next(r for g in instrument.groups for r in pages.repeats(g) if r.name == "jobs")
    chunks = pages.parts(instrument, jobs, "en")
    at = next(i for i, chunk in enumerate(chunks, 1) if "job_start" in {q.name for q in pages.questions(chunk)})
    for n, employer in enumerate(["A", "B", "C"], start=1):
        journey.get(f"/s/{STUDY}/form/japan_jobs")
        journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "add:jobs"})
        journey.get(f"/s/{STUDY}/form/japan_jobs/entry/{n}?r=jobs")
        journey.post(f"/s/{STUDY}/form/japan_jobs/entry/{n}?r=jobs", {"job_employer": employer, "action": "save"})
        part = f"&part={at}" if at > 1 else ""  # the entry's part with the start date
        journey.post(
            f"/s/{STUDY}/form/japan_jobs/entry/{n}?r=jobs{part}",
            {"job_start": "R2.4" if n == 3 else "2019-01", "action": "save"},
        )
    journey.get(f"/s/{STUDY}/form/japan_jobs")
    journey.post(f"/s/{STUDY}/form/japan_jobs", {"action": "remove:jobs:2"})
    draft = _draft(session, _participant(session))
    assert [e["job_employer"] for e in draft.answers["jobs"]] == ["A", "C"]
    assert draft.meta["raw"] == {"jobs[1].job_start": "R2.4"}
    page = journey.get(f"/s/{STUDY}/form/japan_jobs").get_data(as_text=True)
    assert "The entry was removed." in page
    assert "/entry/3" not in page


def test_language_switch_keeps_answers_and_is_remembered(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/background")
    journey.post(f"/s/{STUDY}/form/background", {"birth_year": "1996", "action": "save"})
    page = journey.get(f"/s/{STUDY}/form/background?lang=ja").get_data(as_text=True)
    assert '<html lang="ja"' in page
    assert 'value="1996"' in page
    assert _participant(session).form_language == "ja"
    assert '<a href="?lang=ne" lang="ne">' in page
    r = journey.post(f"/s/{STUDY}/form/background", {"birth_year": "1997", "action": "lang:vi"})
    assert r.headers["Location"].endswith("/form/background?lang=vi")
    assert _draft(session, _participant(session)).answers["birth_year"] == 1997
    assert "?lang=ne" in page


def test_draft_keeps_its_instrument_version(journey: Journey, session: Session, bundled_study: Any) -> None:
    journey.screen("ti")
    journey.consent()
    person = _participant(session)
    pinned = _draft(session, person).instrument_version_id
    from webapp.models import InstrumentVersion

    newer = InstrumentVersion(
        **{
            **session.get(InstrumentVersion, pinned).model_dump(exclude={"id"}),
            "version": "2099.1",
            "fingerprint": "0" * 64,
        }
    )
    session.add(newer)
    session.flush()
    journey.get(f"/s/{STUDY}/form/background")
    journey.post(f"/s/{STUDY}/form/background", {"birth_year": "1996", "action": "save"})
    assert _draft(session, person).instrument_version_id == pinned


def test_expired_drafts_are_deleted_by_the_beat_task(journey: Journey, session: Session) -> None:
    journey.screen("ti")
    journey.consent()
    person = _participant(session)
    draft = _draft(session, person)
    page = journey.get(f"/s/{STUDY}/form/background").get_data(as_text=True)
    assert "kept until" in page
    from workers.tasks.participate import expire_drafts

    assert expire_drafts() == 0
    session.execute(
        sa.update(Draft)
        .where(Draft.id == draft.id)  # type: ignore[arg-type]
        .values(expires_at=draft.updated_at - __import__("datetime").timedelta(days=1))
    )
    session.commit()
    assert expire_drafts() == 1
    assert count(session, Draft, Draft.participant_id == person.id) == 0


def test_a_form_page_leaves_the_participants_cookies_alone(journey: Journey, bundled_study: Any) -> None:
    """Showing a page changes nothing in the session: no re-signed session cookie and no remember cookie
    cleared on every page (Flask-Login's strong session protection did both for sessions nobody signed in
    with)."""
    journey.screen("ti")
    journey.consent()
    page = journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True)
    assert page.status_code == 200
    again = journey.get(journey.path())
    assert again.status_code == 200
    assert again.headers.getlist("Set-Cookie") == []


def test_a_long_page_is_shown_in_parts_and_next_and_back_move_through_them(
    journey: Journey, session: Session, bundled_study: Any
) -> None:
    """A page cut into parts (every participant page within 15 kB): each part has only its questions,
    Next goes to the next part, Back to the one before, a part number out of range shows the nearest part."""
    journey.screen("ti")
    journey.consent()
    instrument = _instrument(session, bundled_study, "ti_intake")
    group = pages.find_page(instrument, "before_japan")
    assert group is not None
    chunks = pages.parts(instrument, group, "en")
    assert len(chunks) == 2  # its two lists of entries (jobs, training) weigh more than one part
    first, second = ({n.name for n in chunk.children} for chunk in chunks)
    url = f"/s/{STUDY}/form/before_japan"
    one = journey.get(url).get_data(as_text=True)
    assert all(f'id="w-{name}"' in one for name in first)
    assert not any(f'id="w-{name}"' in one for name in second)
    assert "Part 1 of 2" in one
    two = journey.get(f"{url}?part=2").get_data(as_text=True)
    assert all(f'id="w-{name}"' in two for name in second)
    assert "Part 2 of 2" in two
    assert journey.post(f"{url}?part=2", {"action": "save"}).headers["Location"].endswith(f"{url}?part=2&saved=1")
    assert journey.post(f"{url}?part=2", {"action": "back"}).headers["Location"].endswith(url)
    assert journey.post(url, {"action": "back"}).headers["Location"].endswith("/form/background")
    assert "Part 2 of 2" in journey.get(f"{url}?part=999").get_data(as_text=True)
    assert "Part 1 of 2" in journey.get(f"{url}?part=00").get_data(as_text=True)
