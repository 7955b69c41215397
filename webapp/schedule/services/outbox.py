"""The Messages pages' view of the outbox: a participant's address only for the roles that may see contacts,
each such view audited as ``contact.view``; everyone else sees the participant code and a redacted address.
Also what a withdrawal does to the participant's messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from sqlmodel import Session, col, select

from webapp.models import Booking, DeliveryAttempt, Participant, Study
from webapp.services import audit
from webapp.services.mail import (
    AUDIENCE_HEADER,
    PARTICIPANT_HEADER,
    OutboxItem,
    remove_from_outbox,
)

#: Delivery details kept after a withdrawal (an error text may quote the address).
KEPT_DETAIL = ("to", "transport", "by_hand", "sent_by", "sent_at")


def redact_address(address: str) -> str:
    """``p…@….org`` for ``pham.thi@example.org``: enough to tell messages apart, not to write to anyone."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return "…"
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}…@…{'.' + tld if tld else ''}"


def _to_participant(audience: str) -> bool:
    return audience != "interviewer"  # older messages without the header are treated as a participant's


@dataclass(frozen=True)
class Viewer:
    """Who looks at the Messages pages: for the audit, and whether contacts may be shown."""

    actor: str
    user_id: int
    study_id: int
    may_see_contacts: bool


def _audit_views(*, session: Session, viewer: Viewer, targets: set[str], where: str) -> None:
    for target in sorted(targets):
        audit.record(session=session, action="contact.view", actor=viewer.actor, study_id=viewer.study_id,
                     user_id=viewer.user_id, target=target, detail={"where": where})
    if targets:
        session.commit()


def outbox_items(*, session: Session, viewer: Viewer, items: list[OutboxItem]) -> list[OutboxItem]:
    """The outbox list as this viewer may see it (addresses redacted or audited)."""
    if not viewer.may_see_contacts:
        return [replace(i, to=redact_address(i.to)) if _to_participant(i.audience) else i for i in items]
    shown = {f"participant:{i.participant}" if i.participant else f"outbox:{i.name}"
             for i in items if _to_participant(i.audience)}
    _audit_views(session=session, viewer=viewer, targets=shown, where="outbox")
    return items


def message_recipient(*, session: Session, viewer: Viewer, name: str, message: EmailMessage) -> str:
    """The To: of one message as this viewer may see it (audited when a participant's address is shown)."""
    to = str(message.get("To", ""))
    if not _to_participant(str(message.get(AUDIENCE_HEADER, ""))):
        return to
    if not viewer.may_see_contacts:
        return redact_address(to)
    code = str(message.get(PARTICIPANT_HEADER, ""))
    _audit_views(session=session, viewer=viewer, targets={f"participant:{code}" if code else f"outbox:{name}"},
                 where="outbox message")
    return to


#: A participant's personal link in a message body (``/i/<token>``, the booking's manage page): a bearer token.
_MANAGE_LINK = re.compile(r"/i/[A-Za-z0-9_-]+")


def message_body(*, viewer: Viewer, message: EmailMessage) -> str:
    """The plain body of one message as this viewer may see it: a participant's manage link (a bearer token)
    only for roles that may see contacts (the view is audited with the To: by :func:`message_recipient`);
    others see ``/i/…``."""
    part = message.get_body(("plain",))
    body = str(part.get_content()) if part is not None else ""
    if viewer.may_see_contacts or not _to_participant(str(message.get(AUDIENCE_HEADER, ""))):
        return body
    return _MANAGE_LINK.sub("/i/…", body)


def erase_messages(*, session: Session, participant: Participant, address: str | None, erase: bool,
                   actor: str, user_id: int | None, now: datetime) -> dict[str, int]:
    """On withdrawal: the participant's address goes from their outbox messages (rewritten; with ``erase``
    the messages are deleted) and their delivery rows keep only what is not personal (with ``erase`` they
    are deleted). The caller commits."""
    study = session.get(Study, participant.study_id)
    files = remove_from_outbox(study=study.slug, participant=participant.code, address=address, erase=erase,
                               to="undisclosed-recipients:;") if study is not None else 0
    bookings = select(Booking.id).where(Booking.participant_id == participant.id)
    attempts = select(DeliveryAttempt).where(col(DeliveryAttempt.booking_id).in_(bookings))
    rows = 0
    if erase:
        result = session.execute(sa.delete(DeliveryAttempt).where(col(DeliveryAttempt.booking_id).in_(bookings)))
        rows = int(result.rowcount or 0)  # type: ignore[attr-defined]
    else:
        for attempt in session.exec(attempts):
            attempt.detail = {k: v for k, v in attempt.detail.items() if k in KEPT_DETAIL}
            session.add(attempt)
            rows += 1
    counts = {"files": files, "deliveries": rows}
    audit.record(session=session, action="message.delete", actor=actor, study_id=participant.study_id,
                 user_id=user_id, target=f"participant:{participant.code}",
                 detail={**counts, "reason": "erasure" if erase else "withdrawal", "at": now.isoformat()})
    return counts
