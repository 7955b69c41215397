"""Messages to send by hand: the text in the participant's language, and one-tap links that open the app.

A participant who chose a phone or a messaging app gets no automatic message (there is no gateway); the
outbox and the interview page list a ``manual`` delivery. To the users who may see contact details
(:func:`webapp.services.contacts.may_see`), each such message comes with the handle and links that open
the right app with the text filled in where the app supports it:

- phone: ``sms:<number>?body=<text>`` and ``tel:<number>``;
- LINE: ``https://line.me/R/msg/text/?<text>`` (the researcher picks the chat);
- WhatsApp: ``https://wa.me/<digits>?text=<text>`` (the handle must be a phone number);
- Viber: ``viber://forward?text=<text>``;
- other apps (Messenger, Zalo, Telegram, ...): no link fills in text; the handle and the text are shown to copy.

Each list of handles shown is one ``contact.view`` audit event per participant, through the contact module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask_babel import gettext as _
from sqlmodel import Session

from webapp.models import Booking, DeliveryAttempt, Participant
from webapp.schedule.services.messages import load_parts, participant_text
from webapp.services import contacts


@dataclass(frozen=True)
class Link:
    text: str  #: what the button says (an app or action name)
    href: str


@dataclass
class ByHand:
    """One message to send by hand, as shown to one user."""

    attempt: DeliveryAttempt
    booking: Booking
    participant: Participant
    subject: str
    body: str
    app: str = ""  #: the app's shown name ('' for a phone)
    handle: str = ""  #: number or ID ('' when the viewer may not see contacts)
    links: list[Link] = field(default_factory=list)


def _digits(value: str) -> str:
    return re.sub(r"\D+", "", value)


def links_for(*, channel: str, app: str | None, handle: str, phone: str, text: str) -> list[Link]:
    """The one-tap links for ``text`` to the participant (see the module's list); may be empty."""
    body = quote(text, safe="")
    if channel == "phone":
        number = phone or handle
        if not number:
            return []
        return [Link(_("Send as SMS"), f"sms:{number}?body={body}"), Link(_("Call"), f"tel:{number}")]
    code = contacts.app_code(app)
    if code == "line":
        return [Link(_("Open in %(app)s", app="LINE"), f"https://line.me/R/msg/text/?{body}")]
    if code == "whatsapp":
        number = _digits(handle) if _digits(handle) and not re.search(r"[A-Za-z]", handle) else _digits(phone)
        return [Link(_("Open in %(app)s", app="WhatsApp"), f"https://wa.me/{number}?text={body}")] if number else []
    if code == "viber":
        return [Link(_("Open in %(app)s", app="Viber"), f"viber://forward?text={body}")]
    return []


def build(*, session: Session, attempt: DeliveryAttempt, booking: Booking, participant: Participant,
          viewer: Any, may_see_contact: bool) -> ByHand:
    """The message of a ``manual`` attempt; with ``may_see_contact`` the handle and links (audited)."""
    subject, body = participant_text(load_parts(session, booking), purpose=attempt.purpose, manage_url=None)
    item = ByHand(attempt=attempt, booking=booking, participant=participant, subject=subject, body=body)
    if not may_see_contact:
        return item
    record = contacts.view(session=session, participant=participant, user=viewer,
                           detail={"booking": booking.id, "purpose": "send_by_hand"})
    phone = str(record.get("phone") or "")
    app = str(record.get("messaging_app") or "")
    item.handle = phone if attempt.channel == "phone" else str(record.get("messaging_id") or "")
    item.app = contacts.app_name(app) if attempt.channel != "phone" else ""
    item.links = links_for(channel=attempt.channel, app=app, handle=item.handle, phone=phone, text=body)
    return item
