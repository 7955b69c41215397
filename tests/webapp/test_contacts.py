"""The one contact module (``webapp.services.contacts``): record, app codes, who may see it, audited views."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.research import factories
from webapp.auth.roles import PERMISSIONS
from webapp.crypto import decrypt_json
from webapp.models import AuditEvent, Contact
from webapp.services import contacts
from workers.exports.schema import CONTACT_COLUMNS

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _stored(session: Session, participant_id: int) -> dict[str, Any]:
    row = session.exec(select(Contact).where(Contact.participant_id == participant_id)).one()
    return dict(decrypt_json(row.data_enc))


def test_app_names_and_codes_of_both_former_lists_read_as_one_code() -> None:
    assert contacts.app_code("LINE") == "line"
    assert contacts.app_code(" line ") == "line"
    assert contacts.app_code("Messenger") == "messenger"
    assert contacts.app_code("Facebook Messenger") == "messenger"
    assert contacts.app_code("KakaoTalk") == "kakaotalk"
    assert contacts.app_code("Threema") == "Threema"  # unknown: kept as typed
    assert contacts.app_name("LINE") == "LINE"
    assert contacts.app_name("zalo") == "Zalo"
    assert contacts.app_name(None) == ""
    assert contacts.FIELDS == CONTACT_COLUMNS[1:]  # the PII export's columns are the record's fields


def test_a_record_written_with_a_name_reads_and_exports_as_the_code(
    session: Session, make_study: Any
) -> None:
    study = make_study()
    person = factories.participant(session, study, contact={"name": "Lan", "messaging_app": "LINE",
                                                            "messaging_id": "lan99"})
    assert contacts.read(session=session, participant_id=person.id)["messaging_app"] == "line"
    rows = list(contacts.study_rows(conn=session.connection(), study_id=study.id))
    assert rows == [(person.code, "Lan", None, None, "line", "lan99")]
    contacts.write(session=session, participant_id=person.id, record={"messaging_app": "Viber", "messaging_id": "v"},
                   now=NOW)
    session.flush()
    assert _stored(session, person.id) == {"messaging_app": "viber", "messaging_id": "v"}
    row = session.exec(select(Contact).where(Contact.participant_id == person.id)).one()
    assert row.kinds == "messaging"


def test_merge_keeps_other_details_and_an_unreadable_record_exports_empty(
    session: Session, make_study: Any
) -> None:
    study = make_study()
    person = factories.participant(session, study, contact={"name": "Lan", "phone": "+819012345678"})
    contacts.merge(session=session, participant_id=person.id, values={"email": "lan@example.org", "phone": None},
                   now=NOW)
    session.flush()
    assert _stored(session, person.id) == {"name": "Lan", "phone": "+819012345678", "email": "lan@example.org"}
    row = session.exec(select(Contact).where(Contact.participant_id == person.id)).one()
    assert row.kinds == "email,phone"
    row.data_enc = b"not a token"
    session.add(row)
    session.flush()
    rows = list(contacts.study_rows(conn=session.connection(), study_id=study.id))
    assert rows == [(person.code, None, None, None, None, None)]


def test_erase_deletes_and_audits_only_when_asked(session: Session, make_study: Any) -> None:
    study = make_study()
    quiet = factories.participant(session, study, contact={"phone": "+819012345678"})
    told = factories.participant(session, study, contact={"phone": "+819012345679"})
    assert contacts.erase(session=session, participant=quiet) is True
    assert contacts.erase(session=session, participant=quiet) is False
    assert contacts.erase(session=session, participant=told, by="participant") is True
    session.flush()
    assert session.exec(select(Contact).where(Contact.participant_id.in_([quiet.id, told.id]))).all() == []  # type: ignore[union-attr]
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.delete")).all()
    assert [(e.target, e.detail) for e in events] == [(f"participant:{told.code}", {"by": "participant",
                                                                                    "kinds": "phone"})]


def test_owners_and_the_interviewer_of_a_live_interview_may_see(
    session: Session, make_study: Any
) -> None:
    study = make_study()
    person = factories.participant(session, study, contact={"email": "p@example.org"})
    interviewer = factories.user(session, study, "interviewer")
    other = factories.user(session, study, "interviewer")
    researcher = factories.user(session, study, "researcher")
    booking = factories.booking(session, person, interviewer, starts_at=NOW)

    def may(user: Any, role: str) -> bool:
        return contacts.may_see(session=session, participant=person, user_id=user.id, permissions=PERMISSIONS[role])

    assert may(researcher, "owner")
    assert not may(researcher, "researcher")
    assert may(interviewer, "interviewer")
    assert not may(other, "interviewer")
    booking.status = "cancelled"
    session.add(booking)
    session.flush()
    assert not may(interviewer, "interviewer")


def test_a_view_is_audited_without_the_values(session: Session, make_study: Any) -> None:
    study = make_study()
    person = factories.participant(session, study, contact={"email": "p@example.org", "_pending": {"x": "1"}})
    viewer = factories.user(session, study, "owner")
    shown = contacts.view(session=session, participant=person, user=viewer, detail={"booking": "b-1"})
    assert shown == {"email": "p@example.org"}
    session.flush()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.view")).one()
    assert (event.user_id, event.study_id, event.target) == (viewer.id, study.id, f"participant:{person.code}")
    assert event.detail == {"booking": "b-1", "found": True, "fields": ["email"]}
    assert "p@example.org" not in str(event.detail)


def test_the_contact_pages_show_a_former_app_name_under_its_name(
    client: FlaskClient, session: Session, make_study: Any, sign_in: Any
) -> None:
    study = make_study()
    person = factories.participant(session, study, contact={"messaging_app": "Messenger", "messaging_id": "lan.99"})
    interviewer = factories.user(session, study, "interviewer")
    booking = factories.booking(session, person, interviewer, starts_at=NOW)
    sign_in(interviewer)
    research = client.get(f"/studies/{study.slug}/participants/{person.code}/contact")
    assert research.status_code == 200
    assert "Facebook Messenger lan.99" in research.text
    schedule = client.get(f"/studies/{study.slug}/schedule/interviews/{booking.id}/contact")
    assert schedule.status_code == 200
    assert "Facebook Messenger: lan.99" in schedule.text
