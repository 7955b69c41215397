"""Contact details from the intake's contact questions: encrypted in ``Contact``, never in the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from instruments.model import Question
from webapp.crypto import decrypt_json, encrypt_json
from webapp.models import Contact, Participant
from webapp.services import audit

#: Messaging apps recognised at the start of a "messaging app and ID" answer.
MESSAGING_APPS = {
    "line": "LINE",
    "whatsapp": "WhatsApp",
    "viber": "Viber",
    "zalo": "Zalo",
    "messenger": "Messenger",
    "facebook": "Facebook",
    "telegram": "Telegram",
    "wechat": "WeChat",
    "kakaotalk": "KakaoTalk",
    "signal": "Signal",
    "imo": "imo",
}
_KINDS = ("email", "phone", "messaging")


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
    """The decrypted contact record (``{}`` if none)."""
    row = session.exec(select(Contact).where(Contact.participant_id == participant.id)).first()
    return dict(decrypt_json(row.data_enc)) if row is not None else {}


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
                x for x in (record.get("messaging_app"), record["messaging_id"]) if x
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
                app = MESSAGING_APPS.get(first.strip(":").lower())
                if app and rest.strip():
                    record["messaging_app"], value = app, rest.strip()
        if value in (None, ""):
            record.pop(key, None)
        else:
            record[key] = value
    if pending:
        record["_pending"] = {k: v for k, v in pending.items() if k in by_name}
    row = session.exec(select(Contact).where(Contact.participant_id == participant.id)).first()
    if not any(k for k in record if not k.startswith("_")) and not pending:
        if row is not None:
            session.delete(row)
            audit.record(session=session, action="contact.delete", actor=f"participant:{participant.code}",
                         study_id=participant.study_id, target=f"participant:{participant.code}",
                         detail={"by": "participant", "kinds": row.kinds})
        return
    kinds = ",".join(k for k in _KINDS if record.get(k) or record.get(f"{k}_id"))
    if row is None:
        row = Contact(
            participant_id=participant.id or 0,
            data_enc=encrypt_json(record),
            kinds=kinds,
            updated_at=now,
        )
    else:
        row.data_enc, row.kinds, row.updated_at = encrypt_json(record), kinds, now
    session.add(row)
