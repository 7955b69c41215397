"""Interview scheduling: interview types, interviewer availability, bookings and reminders."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from webapp.models.base import json_field, ts_field

BOOKING_STATUSES = ("booked", "cancelled", "completed", "no_show", "rescheduled")
#: Statuses whose time still counts as the interviewer's (overlap checks and per-day limits).
BUSY_STATUSES = ("booked", "completed", "no_show")
#: How a participant wants to be told: e-mail is sent; phone and messaging are listed for researchers.
CONTACT_CHANNELS = ("email", "phone", "messaging")


class InterviewType(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    name: dict[str, str] = json_field()  #: language tag -> name
    duration_min: int = 60
    buffer_before_min: int = 0
    buffer_after_min: int = 15
    min_notice_hours: int = 24  #: also the limit for participants' reschedule/cancel
    horizon_days: int = 30
    max_per_day: int = 3  #: per interviewer
    modes: list[str] = json_field(default_factory=list)  #: in_person | video | phone | messaging
    languages: list[str] = json_field(default_factory=list)
    interpreter_available: bool = False
    place: str | None = Field(default=None, max_length=300)  #: for in-person interviews
    video_link: str | None = Field(default=None, max_length=500)
    slot_step_min: int = 30  #: slots start every this many minutes from the start of a window
    active: bool = True
    created_at: datetime = ts_field(default_now=True)


class AvailabilityRule(SQLModel, table=True):
    """Weekly hours of an interviewer, in the interviewer's own time zone."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    weekday: int  #: 0 = Monday
    start_time: time
    end_time: time


class AvailabilityOverride(SQLModel, table=True):
    """A date whose hours differ from the weekly rule, or a blocked day (no hours)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    day: date
    start_time: time | None = None  #: None with blocked=True: the whole day is blocked
    end_time: time | None = None
    blocked: bool = False


class Booking(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: iCalendar UID (uuid4-based), the same through reschedules.
    uid: str = Field(max_length=80, unique=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    interview_type_id: int = Field(foreign_key="interviewtype.id")
    participant_id: int = Field(foreign_key="participant.id", index=True)
    interviewer_id: int = Field(foreign_key="user.id", index=True)
    starts_at: datetime = ts_field(index=True)
    ends_at: datetime = ts_field()
    #: The span the interviewer is busy, buffers included; what overlap checks compare.
    busy_from: datetime = ts_field(index=True)
    busy_until: datetime = ts_field()
    participant_tz: str = Field(max_length=64)
    language: str = Field(max_length=16)
    mode: str = Field(max_length=16)
    interpreter: bool = False
    #: How the participant is told about changes and reminded: one of CONTACT_CHANNELS.
    contact_channel: str = Field(default="email", max_length=16)
    status: str = Field(default="booked", max_length=16, index=True)  #: one of BOOKING_STATUSES
    sequence: int = 0  #: iCalendar SEQUENCE, +1 on each change
    #: sha256 of the random manage token (reschedule/cancel link) and its expiry.
    manage_token_hash: str = Field(max_length=64, unique=True)
    manage_token_expires_at: datetime = ts_field()
    notes_enc: bytes | None = Field(default=None, sa_type=sa.LargeBinary)  #: encrypted interviewer notes
    transcript_path: str | None = Field(default=None, max_length=500)  #: encrypted file under the data dir
    transcript_name: str | None = Field(default=None, max_length=200)  #: the uploaded file's name
    #: Earlier start times (ISO, UTC) of a booking that was moved, oldest first.
    previous_starts: list[str] = json_field(default_factory=list)
    cancelled_at: datetime | None = ts_field(nullable=True)
    cancelled_by: str | None = Field(default=None, max_length=16)  #: participant | researcher | withdrawal
    outcome_at: datetime | None = ts_field(nullable=True)
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)


class Reminder(SQLModel, table=True):
    """A reminder due for a booking; claimed atomically so it is sent exactly once."""

    __table_args__ = (sa.UniqueConstraint("booking_id", "kind", "booking_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    kind: str = Field(max_length=8)  #: 24h | 2h
    booking_sequence: int = 0  #: the booking's SEQUENCE it was planned for
    due_at: datetime = ts_field(index=True)
    status: str = Field(default="pending", max_length=16, index=True)  #: pending|sending|sent|failed|void
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = ts_field(nullable=True)
    sent_at: datetime | None = ts_field(nullable=True)
    error: str | None = Field(default=None, max_length=500)  #: the last failure, for researchers


class DeliveryAttempt(SQLModel, table=True):
    """Every attempt to deliver a message (confirmation, change, reminder): sent, failed, retried."""

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    reminder_id: int | None = Field(default=None, foreign_key="reminder.id", index=True)
    channel: str = Field(max_length=16)  #: email | phone | messaging | outbox
    purpose: str = Field(max_length=32)  #: confirmation | reschedule | cancel | reminder_24h | reminder_2h
    status: str = Field(max_length=16)  #: sent | failed | retried | manual
    detail: dict[str, Any] = json_field()
    at: datetime = ts_field(default_now=True)
