"""The data layer: every table of Keireki, registered on ``SQLModel.metadata`` when imported."""

from webapp.models.accounts import ROLES, ApiToken, AuditEvent, Membership, SignInSession, User
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.coding import Code, Codebook, Coding, Memo, Transcript
from webapp.models.jobs import Job
from webapp.models.participant import Consent, Contact, Draft, Participant, Response, Upload
from webapp.models.records import RECORD_TABLES
from webapp.models.schedule import (
    AvailabilityOverride,
    AvailabilityRule,
    Booking,
    DeliveryAttempt,
    InterviewType,
    Reminder,
)
from webapp.models.study import Channel, InstrumentVersion, Study

__all__ = [
    "RECORD_TABLES", "ROLES", "ApiToken", "AuditEvent", "AvailabilityOverride", "AvailabilityRule", "Booking",
    "Channel", "Code", "Codebook", "Coding", "Consent", "Contact", "DeliveryAttempt", "Draft",
    "InstrumentVersion", "InterviewType", "Job", "Membership", "Memo", "Participant", "Reminder", "Response",
    "SignInSession", "Study", "Transcript", "Upload", "User", "UTCDateTime", "utcnow",
]
