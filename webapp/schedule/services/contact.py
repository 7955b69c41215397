"""The participant's contact for interview messages, as typed on the booking page: validated, then merged into
the contact record (``webapp.services.contacts``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from instruments.errors import AnswerError
from instruments.normalise import normalise_email
from webapp.models import utcnow
from webapp.services.contacts import MESSAGING_APPS, merge


@dataclass(frozen=True)
class ContactChoice:
    """How to reach the participant about the interview: one channel and its value."""

    channel: str  #: email | phone | messaging
    email: str | None = None
    phone: str | None = None  #: E.164
    messaging_app: str | None = None
    messaging_id: str | None = None


class ContactInvalid(ValueError):
    """The contact cannot be used; ``field`` names the input and ``message`` is translated text."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def parse_contact(
    *,
    channel: str,
    email: str = "",
    phone: str = "",
    messaging_app: str = "",
    messaging_id: str = "",
    region: str = "JP",
) -> ContactChoice:
    """Validate what the participant typed; raises :class:`ContactInvalid` with a translated message."""
    email, phone, messaging_id = email.strip(), phone.strip(), messaging_id.strip()
    if channel == "email":
        try:
            email = normalise_email(email)
        except AnswerError:
            raise ContactInvalid("email", _l("Please enter an e-mail address like name@example.com.")) from None
        return ContactChoice(channel="email", email=email)
    if channel == "phone":
        try:
            number = phonenumbers.parse(phone, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ContactInvalid(
                "phone", _l("Please enter a phone number, for example 090-1234-5678 or +84 91 234 5678.")
            )
        return ContactChoice(
            channel="phone", phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        )
    if channel == "messaging":
        if messaging_app not in MESSAGING_APPS:
            raise ContactInvalid("messaging_app", _l("Please choose the messaging app."))
        if not messaging_id or len(messaging_id) > 100:
            raise ContactInvalid("messaging_id", _l("Please enter your ID or number in that app."))
        return ContactChoice(channel="messaging", messaging_app=messaging_app, messaging_id=messaging_id)
    raise ContactInvalid("channel", _l("Please choose how we should contact you."))


def store_contact(*, session: Session, participant_id: int, choice: ContactChoice) -> None:
    """Merge the choice into the participant's contact record (other details are kept)."""
    values = {key: getattr(choice, key) for key in ("email", "phone", "messaging_app", "messaging_id")}
    merge(session=session, participant_id=participant_id, values=values, now=utcnow())
