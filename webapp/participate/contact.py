"""The intake's contact questions and the contact record (``webapp.services.contacts``, encrypted, never in
the answers): which question fills which field, the record as answers, and the page's answers stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from instruments.model import Question
from webapp.models import Participant
from webapp.services import contacts


def contact_key(question: Question) -> str:
    """Which field of the contact record a contact question fills."""
    name = question.name
    if question.type in ("phone", "email"):
        return question.type
    if question.type == "select_one" and (name.endswith("_app") or question.choices == "messaging_app"):
        return "messaging_app"
    if name.endswith("app_id") or "messaging" in name:
        return "messaging_id"
    if "name" in name:
        return "name"
    return name


def load(*, session: Session, participant: Participant) -> dict[str, Any]:
    """The participant's own contact record (``{}`` if none), to show their answers again."""
    return contacts.read(session=session, participant_id=participant.id or 0)


def values_for(record: dict[str, Any], contact_questions: list[Question]) -> dict[str, Any]:
    """The contact record as answers to the contact questions (for showing the page again)."""
    out: dict[str, Any] = {}
    pending = record.get("_pending", {})
    for question in contact_questions:
        key = contact_key(question)
        if question.name in pending:
            out[question.name] = pending[question.name]
        elif (
            key == "messaging_id"
            and record.get("messaging_id")
            and not any(contact_key(q) == "messaging_app" for q in contact_questions)
        ):
            out[question.name] = " ".join(
                x for x in (contacts.app_name(record.get("messaging_app")), record["messaging_id"]) if x
            )
        elif record.get(key):
            out[question.name] = record[key]
    return out


def save(
    *,
    session: Session,
    participant: Participant,
    questions: list[Question],
    values: dict[str, Any],
    pending: dict[str, Any],
    now: datetime,
) -> None:
    """Store the page's contact answers (a None value clears a field); commits with the caller."""
    record = load(session=session, participant=participant)
    record.pop("_pending", None)
    by_name = {q.name: q for q in questions}
    for name, value in values.items():
        question = by_name.get(name)
        if question is None:
            continue
        key = contact_key(question)
        if key == "messaging_id" and not any(contact_key(q) == "messaging_app" for q in questions):
            record.pop("messaging_app", None)
            if value:
                first, _, rest = str(value).partition(" ")
                app = first.strip(":").lower()
                if app in contacts.MESSAGING_APPS and app != "other" and rest.strip():
                    record["messaging_app"], value = app, rest.strip()
        if value in (None, ""):
            record.pop(key, None)
        else:
            record[key] = value
    if pending:
        record["_pending"] = {k: v for k, v in pending.items() if k in by_name}
    if not any(k for k in record if not k.startswith("_")) and not pending:
        contacts.erase(session=session, participant=participant, by="participant")
        return
    contacts.write(session=session, participant_id=participant.id or 0, record=record, now=now)
