"""A withdrawal reaches every copy: the participant's messages (outbox files, delivery rows) and the stored
export bundles that hold them, each deletion audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.webapp.exports.conftest import insert_records
from tests.webapp.research import factories as f
from webapp.exports import services
from webapp.models import AuditEvent, DeliveryAttempt, Job
from webapp.services.mail import send_mail
from webapp.services.withdrawal import withdraw

ADDRESS = "nguyen.van.a@example.org"


def _bundle(session: Session, study: Any, *, with_pii: bool) -> Job:
    job = services.start_cli_export(session=session, study=study, request=services.ExportRequest(
        with_pii=with_pii, reason="contacting for the follow-up" if with_pii else ""), actor="user:owner")
    services.run_export_job(session=session, job=job)
    session.commit()
    assert services.downloadable(job) is not None
    return job


@pytest.fixture
def study_with_copies(app: Flask, session: Session, make_study: Any, make_user: Any) -> Any:
    def _build(choice: str) -> dict[str, Any]:
        study = make_study()
        insert_records(session, study)  # other participants' records: every table has rows to export
        interviewer = make_user(study=study, role="interviewer")
        person = f.participant(session, study, withdrawal_data=choice,
                               contact={"name": "Nguyen Van A", "email": ADDRESS})
        other = f.participant(session, study, withdrawal_data=choice, contact={"name": "B", "email": "b@example.org"})
        booking = f.booking(session, person, interviewer, starts_at=f.NOW - timedelta(days=2), status="completed")
        session.add(DeliveryAttempt(booking_id=booking.id, channel="email", purpose="confirmation", status="failed",
                                    detail={"to": "participant", "error": f"SMTPRecipientsRefused: {ADDRESS}"}))
        session.commit()
        settings = app.config["KEIREKI"]
        mine = send_mail(to=ADDRESS, subject="Your interview", body="x", study=study.slug,
                         about=(person.code, "participant"), settings=settings)
        old = send_mail(to=ADDRESS, subject="Before the header", body="x", study=study.slug, settings=settings)
        ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\n"
               f"ATTENDEE;CN=Participant:mailto:{ADDRESS}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
        about_them = send_mail(to=interviewer.email, subject=f"New interview: {person.code}", body="x",
                               ics=ics, ics_method="REQUEST", study=study.slug,
                               about=(person.code, "interviewer"), settings=settings)
        theirs = send_mail(to="b@example.org", subject="Your interview", body="x", study=study.slug,
                           about=(other.code, "participant"), settings=settings)
        return {"study": study, "person": person, "booking": booking, "owner": make_user(study=study, role="owner"),
                "mine": [mine.path, old.path, about_them.path], "theirs": theirs.path,
                "pii": _bundle(session, study, with_pii=True), "plain": _bundle(session, study, with_pii=False)}

    return _build


def _deletions(session: Session, study: Any, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.study_id == study.id,
                                                      AuditEvent.action == action)).all())


def test_erasure_removes_messages_and_every_bundle(session: Session, study_with_copies: Any) -> None:
    data = study_with_copies("erase")
    person, study, owner = data["person"], data["study"], data["owner"]
    withdraw(session=session, participant=person, actor=f"user:{owner.email}", now=f.NOW, user_id=owner.id)
    session.commit()
    assert [p.exists() for p in data["mine"]] == [False, False, False]
    assert Path(data["theirs"]).exists()  # another participant's message stays
    assert session.exec(select(DeliveryAttempt).where(DeliveryAttempt.booking_id == data["booking"].id)).all() == []
    for job in (data["pii"], data["plain"]):
        session.refresh(job)
        assert services.downloadable(job) is None
        assert not Path(job.result["path"]).exists()
    deleted = _deletions(session, study, "export.delete")
    assert sorted(e.target for e in deleted) == sorted(f"job:{j.id}" for j in (data["pii"], data["plain"]))
    assert {e.detail["reason"] for e in deleted} == {"erasure"}
    assert {e.user_id for e in deleted} == {owner.id}
    [messages] = _deletions(session, study, "message.delete")
    assert messages.detail["files"] == 3
    assert messages.detail["reason"] == "erasure"
    assert ADDRESS not in repr([e.detail for e in [*deleted, messages]])
    for path in [*data["mine"], data["theirs"]]:
        Path(path).unlink(missing_ok=True)


def test_withdrawal_keeping_data_still_removes_contact_copies(session: Session, study_with_copies: Any) -> None:
    data = study_with_copies("keep")
    person, study = data["person"], data["study"]
    withdraw(session=session, participant=person, actor=f"participant:{person.code}", now=f.NOW)
    session.commit()
    # The messages stay (what was sent), without the address: To: and the .ics's ATTENDEE are rewritten.
    for path in data["mine"]:
        text = Path(path).read_text()
        assert ADDRESS not in text
        assert "nguyen.van.a" not in text
    assert "undisclosed-recipients" in Path(data["mine"][0]).read_text()
    calendar = Path(data["mine"][2]).read_text()
    assert f"urn:keireki:participant:{person.code}" in calendar.replace("\r\n ", "")
    assert "method=REQUEST" in calendar or 'method="REQUEST"' in calendar
    [attempt] = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.booking_id == data["booking"].id)).all()
    assert attempt.detail == {"to": "participant"}  # the error text quoting the address is gone
    session.refresh(data["pii"])
    session.refresh(data["plain"])
    assert services.downloadable(data["pii"]) is None  # it held the contact row
    assert services.downloadable(data["plain"]) is not None  # de-identified, and the data are kept
    [deleted] = _deletions(session, study, "export.delete")
    assert deleted.detail == {"job": data["pii"].id, "reason": "withdrawal", "participant": person.code,
                              "with_pii": True}
    for path in [*data["mine"], data["theirs"]]:
        Path(path).unlink(missing_ok=True)
