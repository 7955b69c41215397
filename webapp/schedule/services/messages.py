"""Messages about an interview, in the reader's language, and the log of every delivery attempt.

The participant is told by their chosen channel: an e-mail (with the ``.ics``) is sent through
:mod:`webapp.services.mail`; for a phone number or a messaging id no gateway is configured, so a
``DeliveryAttempt`` with status ``manual`` lists the message for researchers to send by hand.
Interviewers are told by e-mail. Failures are logged, never raised to the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from webapp.extensions import UI_LANGUAGES
from webapp.models import Booking, DeliveryAttempt, InterviewType, Participant, Study, User, utcnow
from webapp.schedule.services.ics import Invitation, build_ics, method_of
from webapp.services import contacts
from webapp.services.mail import MailError, send_mail
from webapp.services.studies import study_title
from webapp.services.times import format_instant

log = logging.getLogger(__name__)
JAPAN = "Asia/Tokyo"
MODE_NAMES = {
    "in_person": _l("In person"),
    "video": _l("Video call"),
    "phone": _l("Phone call"),
    "messaging": _l("Call in a messaging app"),
}


_ZONES: frozenset[str] = frozenset()


def safe_zone(name: str | None) -> str:
    """``name`` if ``zoneinfo`` knows the zone, else Japan's (a stored zone is never trusted blindly)."""
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return name if name and name in _ZONES else JAPAN


def babel_locale(language: str) -> str:
    return UI_LANGUAGES.get(language, "en")


def format_when(instant: datetime, zone: str, language: str) -> str:
    """Date, time and zone of an instant, as a reader of ``language`` in ``zone`` writes them."""
    return format_instant(instant, zone=ZoneInfo(safe_zone(zone)), locale=babel_locale(language), fmt="full")


@dataclass(frozen=True)
class Parts:
    booking: Booking
    itype: InterviewType
    participant: Participant
    study: Study
    interviewer: User
    email: str | None  #: the participant's e-mail address when that is their channel


def load_parts(session: Session, booking: Booking) -> Parts:
    """The booking with its type, participant, study, interviewer (and e-mail address, decrypted)."""
    itype = session.get(InterviewType, booking.interview_type_id)
    participant = session.get(Participant, booking.participant_id)
    study = session.get(Study, booking.study_id)
    interviewer = session.get(User, booking.interviewer_id)
    assert itype
    assert participant
    assert study
    assert interviewer
    email = None
    if booking.contact_channel == "email":
        email = contacts.read(session=session, participant_id=booking.participant_id).get("email")
    return Parts(booking, itype, participant, study, interviewer, email)


def interviewer_name(user: User) -> str:
    """How the participant sees their interviewer: the name, else the e-mail address."""
    return user.name or user.email


def team_address() -> str:
    """The research team's address for participants (the sender of the study's mail, ``KEIREKI_MAIL_FROM``)."""
    return str(current_app.config["KEIREKI"].mail_from)


def _how(p: Parts) -> str:
    mode = str(MODE_NAMES.get(p.booking.mode, p.booking.mode))
    if p.booking.mode == "in_person" and p.itype.place:
        return _("%(mode)s: %(detail)s", mode=mode, detail=p.itype.place)
    if p.booking.mode == "video" and p.itype.video_link:
        return _("%(mode)s: %(detail)s", mode=mode, detail=p.itype.video_link)
    return mode


def invitation(p: Parts, *, manage_url: str | None = None, cancelled: bool = False) -> Invitation:
    """The calendar invitation of a booking, its texts in the participant's language."""
    b = p.booking
    language = p.participant.form_language
    settings = current_app.config["KEIREKI"]
    with force_locale(babel_locale(language)):
        title = study_title(p.study, language)
        lines = [
            _("Interview for the study: %(title)s", title=title),
            _how(p),
            _("Participant code: %(code)s", code=p.participant.code),
            _("Japan time: %(when)s", when=format_when(b.starts_at, JAPAN, language)),
        ]
        if b.interpreter:
            lines.append(_("An interpreter will join."))
        if manage_url:
            lines.append(_("To change or cancel: %(link)s", link=manage_url))
        email = p.email
        return Invitation(
            uid=b.uid,
            sequence=b.sequence,
            start=b.starts_at,
            end=b.ends_at,
            summary=_("Interview: %(title)s", title=title),
            description="\n".join(lines),
            location=(p.itype.place or "")
            if b.mode == "in_person"
            else (p.itype.video_link or "")
            if b.mode == "video"
            else "",
            organizer_email=settings.mail_from,
            organizer_name=title,
            attendee=f"mailto:{email}" if email else f"urn:keireki:participant:{p.participant.code}",
            attendee_name=p.participant.code,
            interviewer_email=p.interviewer.email,
            interviewer_name=p.interviewer.name or p.interviewer.email,
            alarm_text=_("Your interview starts in one hour."),
            cancelled=cancelled,
        )


def calendar(p: Parts, *, now: datetime, manage_url: str | None = None) -> tuple[bytes, str]:
    """The ``.ics`` bytes of the booking in its current state and their METHOD."""
    inv = invitation(p, manage_url=manage_url, cancelled=p.booking.status != "booked")
    return build_ics(inv, now=now), method_of(inv)


SUBJECTS = {
    "confirmation": _l("Your interview is booked"),
    "reschedule": _l("Your interview has moved to a new time"),
    "cancel": _l("Your interview is cancelled"),
    "reminder_24h": _l("Reminder: your interview is in 24 hours"),
    "reminder_2h": _l("Reminder: your interview is in 2 hours"),
}


def participant_text(p: Parts, *, purpose: str, manage_url: str | None) -> tuple[str, str]:
    """Subject and body of a message to the participant, in their language."""
    b, language = p.booking, p.participant.form_language
    with force_locale(babel_locale(language)):
        lines = [
            str(SUBJECTS[purpose]),
            "",
            _("Date and time: %(when)s", when=format_when(b.starts_at, b.participant_tz, language)),
            _("Japan time: %(when)s", when=format_when(b.starts_at, JAPAN, language)),
            _how(p),
            _("Your interviewer: %(name)s", name=interviewer_name(p.interviewer)),
            _("Participant code: %(code)s", code=p.participant.code),
            _("Questions: write to the research team at %(address)s", address=team_address()),
        ]
        if purpose == "cancel" and b.status == "rescheduled":
            lines.append(_("We need to find a new time for your interview. The research team will contact you."))
        elif purpose == "cancel":
            lines.append(
                _("This interview will not take place. If you did not ask for this, please contact the research team.")
            )
        elif manage_url:
            lines.append(_("To change or cancel: %(link)s", link=manage_url))
        return str(SUBJECTS[purpose]), "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Delivery:
    """The outcome of one attempt to deliver a message, before it is written to the log."""

    booking_id: int
    channel: str  #: email | phone | messaging
    purpose: str
    status: str  #: sent | failed | manual
    detail: dict[str, object]


def log_attempt(
    session: Session,
    delivery: Delivery,
    *,
    reminder_id: int | None = None,
    status: str | None = None,
    **extra: object,
) -> DeliveryAttempt:
    """Add a ``DeliveryAttempt`` for ``delivery`` to the session (not committed)."""
    attempt = DeliveryAttempt(
        booking_id=delivery.booking_id,
        reminder_id=reminder_id,
        channel=delivery.channel,
        purpose=delivery.purpose,
        status=status or delivery.status,
        detail={**delivery.detail, **extra},
        at=utcnow(),
    )
    session.add(attempt)
    return attempt


def deliver_to_participant(
    p: Parts,
    *,
    purpose: str,
    now: datetime,
    manage_url: str | None = None,
    key: str | None = None,
    raise_errors: bool = False,
) -> Delivery:
    """Send a message to the participant by their channel (no database work).

    E-mail goes out with the ``.ics``; a phone or messaging channel gives a ``manual`` delivery for
    researchers to send by hand. With ``raise_errors`` a mail failure raises :class:`MailError`.
    """
    b = p.booking
    booking_id = b.id or 0
    if b.contact_channel != "email":
        return Delivery(booking_id, b.contact_channel, purpose, "manual", {"to": "participant"})
    if not p.email:
        return Delivery(
            booking_id,
            "email",
            purpose,
            "failed",
            {"to": "participant", "error": "no e-mail address on file"},
        )
    subject, body = participant_text(p, purpose=purpose, manage_url=manage_url)
    ics, method = calendar(p, now=now, manage_url=manage_url)
    try:
        sent = send_mail(
            to=p.email,
            subject=subject,
            body=body,
            ics=ics,
            ics_method=method,
            study=p.study.slug,
            about=(p.participant.code, "participant"),
            key=key or f"{b.uid}:{b.sequence}:{purpose}",
        )
    except MailError as exc:
        log.warning("mail to participant of booking %s failed: %s", b.id, exc)
        if raise_errors:
            raise
        return Delivery(booking_id, "email", purpose, "failed", {"to": "participant", "error": str(exc)})
    return Delivery(
        booking_id,
        "email",
        purpose,
        "sent",
        {"to": "participant", "transport": sent.transport, "message_id": sent.message_id},
    )


def deliver_to_interviewer(p: Parts, *, purpose: str, now: datetime, interviewer: User | None = None) -> Delivery:
    """E-mail an interviewer (the booking's, or ``interviewer``, e.g. the one it moved away from)."""
    b = p.booking
    user = interviewer or p.interviewer
    language = user.ui_language if user.ui_language in UI_LANGUAGES else "en"
    with force_locale(babel_locale(language)):
        subjects = {
            "confirmation": _("New interview: %(code)s", code=p.participant.code),
            "reschedule": _("Interview moved: %(code)s", code=p.participant.code),
            "cancel": _("Interview cancelled: %(code)s", code=p.participant.code),
        }
        subject = subjects.get(purpose, subjects["confirmation"])
        lines = [
            subject,
            "",
            _("Date and time: %(when)s", when=format_when(b.starts_at, user.timezone, language)),
            _("Language: %(language)s", language=b.language),
            str(MODE_NAMES.get(b.mode, b.mode)),
        ]
        if b.interpreter:
            lines.append(_("An interpreter is needed."))
    cancelled = (
        purpose == "cancel" or b.status != "booked" or (interviewer is not None and interviewer.id != b.interviewer_id)
    )
    ics = build_ics(invitation(p, cancelled=cancelled), now=now)
    try:
        sent = send_mail(
            to=user.email,
            subject=subject,
            body="\n".join(lines) + "\n",
            ics=ics,
            ics_method="CANCEL" if cancelled else "REQUEST",
            study=p.study.slug,
            about=(p.participant.code, "interviewer"),
            key=f"{b.uid}:{b.sequence}:{purpose}:interviewer:{user.id}",
        )
    except MailError as exc:
        return Delivery(b.id or 0, "email", purpose, "failed", {"to": "interviewer", "error": str(exc)})
    return Delivery(
        b.id or 0,
        "email",
        purpose,
        "sent",
        {"to": "interviewer", "transport": sent.transport, "message_id": sent.message_id},
    )


def to_participant(
    session: Session,
    p: Parts,
    *,
    purpose: str,
    now: datetime,
    manage_url: str | None = None,
    reminder_id: int | None = None,
    key: str | None = None,
) -> DeliveryAttempt:
    """Deliver to the participant and log the attempt in ``session`` (the caller commits)."""
    delivery = deliver_to_participant(p, purpose=purpose, now=now, manage_url=manage_url, key=key)
    return log_attempt(session, delivery, reminder_id=reminder_id)


def to_interviewer(
    session: Session, p: Parts, *, purpose: str, now: datetime, interviewer: User | None = None
) -> DeliveryAttempt:
    """Deliver to an interviewer and log the attempt in ``session`` (the caller commits)."""
    return log_attempt(session, deliver_to_interviewer(p, purpose=purpose, now=now, interviewer=interviewer))
