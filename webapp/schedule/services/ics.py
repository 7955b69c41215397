"""iCalendar (RFC 5545/5546) for interviews, built with ``icalendar``.

One UID per booking (``Booking.uid``) for its whole life; SEQUENCE grows by one with each change;
METHOD:REQUEST for a new or moved interview, METHOD:CANCEL with STATUS:CANCELLED for a cancelled one.
Times are UTC. The MIME type of a download or attachment names the same method (:func:`content_type`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

PRODID = "-//Keireki//Interview scheduling//EN"


@dataclass(frozen=True)
class Invitation:
    """What goes into one calendar object; texts already in the participant's language."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    organizer_email: str
    organizer_name: str
    attendee: str  #: mailto: or urn: address of the participant
    attendee_name: str
    interviewer_email: str | None
    interviewer_name: str
    alarm_text: str
    cancelled: bool = False


def method_of(invitation: Invitation) -> str:
    return "CANCEL" if invitation.cancelled else "REQUEST"


def content_type(method: str) -> str:
    """The MIME type of a calendar file with ``method``."""
    return f"text/calendar; method={method}; charset=utf-8"


def _address(value: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(value)
    address.params["CN"] = vText(name)
    for key, param in params.items():
        address.params[key] = vText(param)
    return address


def build_ics(invitation: Invitation, *, now: datetime) -> bytes:
    """The calendar object (bytes, UTF-8) of an interview, with METHOD, ORGANIZER, ATTENDEEs and a VALARM."""
    method = method_of(invitation)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invitation.start.astimezone(UTC))
    event.add("dtend", invitation.end.astimezone(UTC))
    event.add("summary", invitation.summary)
    event.add("description", invitation.description)
    if invitation.location:
        event.add("location", invitation.location)
    event.add("status", "CANCELLED" if invitation.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(f"mailto:{invitation.organizer_email}", invitation.organizer_name))
    partstat = "DECLINED" if invitation.cancelled else "ACCEPTED"
    event.add(
        "attendee",
        _address(
            invitation.attendee,
            invitation.attendee_name,
            ROLE="REQ-PARTICIPANT",
            PARTSTAT=partstat,
            CUTYPE="INDIVIDUAL",
        ),
    )
    if invitation.interviewer_email:
        event.add(
            "attendee",
            _address(
                f"mailto:{invitation.interviewer_email}",
                invitation.interviewer_name,
                ROLE="CHAIR",
                PARTSTAT=partstat,
                CUTYPE="INDIVIDUAL",
            ),
        )
    if not invitation.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", invitation.alarm_text)
        alarm.add("trigger", timedelta(hours=-1))
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()
