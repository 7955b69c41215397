"""The participant's contact details: the one module that reads, writes, erases and shows them.

The record is one encrypted JSON object per participant in ``Contact.data_enc`` (``webapp.crypto``),
never in the answers; ``Contact.kinds`` says which channels it has (``email``, ``phone``,
``messaging``) without decrypting it. Fields: :data:`FIELDS`, plus the intake's ``interview_ok`` and
``_pending`` (answers the participant has not confirmed yet). ``messaging_app`` is a code of
:data:`MESSAGING_APPS`; records written before there was one list (``"LINE"``, ``"Messenger"``) read
as the code (:func:`app_code`).

Who may see them: :func:`may_see` (``view_contact``, i.e. owners, and the interviewer of a
non-cancelled interview with the participant). Every view goes through :func:`view`, which audits
``contact.view``; :func:`read` is for the system's own use (messages to the participant, exports).
Input checking stays with the page that takes the input (the intake's contact questions in
``webapp.participate.contact``, the booking form in ``webapp.schedule.services.contact``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from webapp.crypto import DecryptionError, decrypt_json, encrypt_json
from webapp.models import Booking, Contact, Participant
from webapp.services import audit

#: The fields of the record, in the order they are shown and exported.
FIELDS = ("name", "phone", "email", "messaging_app", "messaging_id")
#: Channel -> the fields that give it.
KINDS = {"email": ("email",), "phone": ("phone",), "messaging": ("messaging_id",)}
#: The permission that shows every participant's contact details of a study.
PERMISSION = "view_contact"

#: Messaging apps participants use: code -> shown name (brands, not translated).
MESSAGING_APPS: dict[str, Any] = {
    "line": "LINE",
    "messenger": "Facebook Messenger",
    "facebook": "Facebook",
    "whatsapp": "WhatsApp",
    "viber": "Viber",
    "zalo": "Zalo",
    "telegram": "Telegram",
    "wechat": "WeChat",
    "kakaotalk": "KakaoTalk",
    "signal": "Signal",
    "imo": "imo",
    "other": _l("Another app"),
}
#: Names stored before the codes were one list.
_ALIASES = {"messenger": "messenger", "facebook messenger": "messenger", "kakao": "kakaotalk"}


def app_code(value: str | None) -> str | None:
    """The code of a messaging app given as a code or a name in any case (``"LINE"`` -> ``"line"``).

    A value that names no known app is returned as it is (stripped).
    """
    if value is None:
        return None
    text = str(value).strip()
    key = text.lower()
    if key in MESSAGING_APPS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    by_name = {str(name).lower(): code for code, name in MESSAGING_APPS.items() if code != "other"}
    return by_name.get(key, text)


def app_name(code: str | None) -> str:
    """The shown name of a messaging app code ('' for none; an unknown value as it is)."""
    if not code:
        return ""
    return str(MESSAGING_APPS.get(app_code(code) or "", code))


def _normalised(data: Any) -> dict[str, Any]:
    record = dict(data) if isinstance(data, dict) else {}
    if record.get("messaging_app"):
        record["messaging_app"] = app_code(record["messaging_app"])
    return record


def _row(session: Session, participant_id: int) -> Contact | None:
    return session.exec(select(Contact).where(Contact.participant_id == participant_id)).first()


def read(*, session: Session, participant_id: int) -> dict[str, Any]:
    """The decrypted record (``{}`` when there is none). Not audited: use :func:`view` to show it."""
    row = _row(session, participant_id)
    return _normalised(decrypt_json(row.data_enc)) if row is not None else {}


def kinds_of(record: dict[str, Any]) -> list[str]:
    """The channels the record gives (``email``, ``phone``, ``messaging``)."""
    return [kind for kind, keys in KINDS.items() if any(record.get(key) for key in keys)]


def write(*, session: Session, participant_id: int, record: dict[str, Any], now: datetime) -> Contact:
    """Store ``record`` as the participant's contact record (replacing it); commits with the caller."""
    if record.get("messaging_app"):
        record = {**record, "messaging_app": app_code(record["messaging_app"])}
    row = _row(session, participant_id)
    if row is None:
        row = Contact(participant_id=participant_id, data_enc=b"")
    row.data_enc = encrypt_json(record)
    row.kinds = ",".join(kinds_of(record))
    row.updated_at = now
    session.add(row)
    return row


def merge(*, session: Session, participant_id: int, values: dict[str, Any], now: datetime) -> Contact:
    """Add the non-empty ``values`` to the record (other details are kept); commits with the caller."""
    record = read(session=session, participant_id=participant_id)
    record.update({key: value for key, value in values.items() if value})
    return write(session=session, participant_id=participant_id, record=record, now=now)


def erase(*, session: Session, participant: Participant, by: str | None = None) -> bool:
    """Delete the participant's contact record (True if there was one); commits with the caller.

    With ``by`` (who asked: ``"participant"``, ...) the deletion is audited as ``contact.delete``.
    """
    row = _row(session, participant.id or 0)
    if row is None:
        return False
    session.delete(row)
    if by is not None:
        audit.record(
            session=session,
            action="contact.delete",
            actor=f"participant:{participant.code}",
            study_id=participant.study_id,
            target=f"participant:{participant.code}",
            detail={"by": by, "kinds": row.kinds},
        )
    return True


def is_assigned_interviewer(*, session: Session, participant_id: int, user_id: int) -> bool:
    """Whether the user interviews (or interviewed) the participant in a booking that was not cancelled."""
    booking = session.exec(
        select(Booking.id).where(
            Booking.participant_id == participant_id,
            Booking.interviewer_id == user_id,
            Booking.status != "cancelled",
        )
    ).first()
    return booking is not None


def may_see(*, session: Session, participant: Participant, user_id: int, permissions: Collection[str]) -> bool:
    """Whether a user with ``permissions`` in the participant's study may see the contact details.

    Owners (``view_contact``) may, and the interviewer of a booking with the participant that is not
    cancelled (:func:`is_assigned_interviewer`).
    """
    return PERMISSION in permissions or is_assigned_interviewer(
        session=session, participant_id=participant.id or 0, user_id=user_id
    )


def view(
    *, session: Session, participant: Participant, user: Any, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The record for ``user`` to see (the caller checked :func:`may_see`), audited as ``contact.view``.

    The audit event names the participant, the fields that were shown (never their values) and
    ``detail`` (e.g. the booking). Commits with the caller.
    """
    record = read(session=session, participant_id=participant.id or 0)
    shown = {key: value for key, value in record.items() if not key.startswith("_")}
    audit.record(
        session=session,
        action="contact.view",
        actor=audit.actor_of(user),
        study_id=participant.study_id,
        user_id=user.id,
        target=f"participant:{participant.code}",
        detail={**(detail or {}), "found": bool(shown), "fields": sorted(k for k, v in shown.items() if v)},
    )
    return shown


def study_rows(*, conn: sa.Connection, study_id: int, order: Any = None) -> Iterator[tuple[str | None, ...]]:
    """``(participant_code, *FIELDS)`` for each participant of the study with contact details (exports).

    ``order`` is the SQL expression to order by (default: the participant code). A record that no key
    decrypts gives empty fields.
    """
    query = (
        sa.select(col(Participant.code), col(Contact.data_enc))
        .join(Contact, col(Contact.participant_id) == col(Participant.id))
        .where(col(Participant.study_id) == study_id)
        .order_by(order if order is not None else col(Participant.code))
        .execution_options(yield_per=1000)
    )
    for code, token in conn.execute(query):
        try:
            record = _normalised(decrypt_json(token))
        except DecryptionError:
            record = {}
        yield (code, *(record.get(key) for key in FIELDS))
