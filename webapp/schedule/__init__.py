"""Interview scheduling: availability, booking in the participant's zone and language, reminders.

Participant pages: ``/s/<study>/p/<token>/interview`` (book) and ``/i/<token>`` (reschedule or cancel).
Researcher pages: ``/studies/<study>/schedule/...`` (agenda, interviews, availability, types, outbox).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from webapp.schedule.services.booking import cancel_for_withdrawal
from webapp.services.withdrawal import bookings_cancelled

bp = Blueprint(
    "schedule",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/schedule/static",
)


def _labels() -> dict[str, Any]:
    from flask_babel import lazy_gettext as _l

    names = {
        "booked": _l("Booked"),
        "cancelled": _l("Cancelled"),
        "completed": _l("Completed"),
        "no_show": _l("Did not come"),
        "rescheduled": _l("To be booked again"),
        "sent": _l("Sent"),
        "failed": _l("Failed"),
        "retried": _l("Will be retried"),
        "manual": _l("To send by hand"),
        "confirmation": _l("Confirmation"),
        "reschedule": _l("Moved"),
        "cancel": _l("Cancellation"),
        "reminder_24h": _l("Reminder, 24 hours before"),
        "reminder_2h": _l("Reminder, 2 hours before"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "messaging": _l("Messaging app"),
        "participant": _l("Participant"),
        "interviewer": _l("Interviewer"),
    }

    def label(code: str) -> str:
        """A status, purpose, channel or recipient code in the reader's language."""
        return str(names.get(code, code))

    return {"label": label}


bp.context_processor(_labels)


def init_app(app: Flask) -> None:
    """Register the scheduling blueprint (called by ``create_app``)."""
    from webapp.schedule.routes import admin, debrief, interviews, participant  # noqa: F401  (routes register)
    from webapp.schedule.services.messages import MODE_NAMES
    from webapp.services.withdrawal import participant_withdrawn

    app.register_blueprint(bp)
    app.jinja_env.globals["MODE_NAMES"] = MODE_NAMES
    bookings_cancelled.connect(_cancel_for_withdrawal)
    participant_withdrawn.connect(_erase_messages)


def _cancel_for_withdrawal(participant: Any, **kwargs: Any) -> None:
    """Receiver of :data:`webapp.services.withdrawal.bookings_cancelled` (the participant is the sender)."""
    cancel_for_withdrawal(participant=participant, **kwargs)


def _erase_messages(participant: Any, **kw: Any) -> None:
    """Receiver of :data:`webapp.services.withdrawal.participant_withdrawn`: the participant's messages go."""
    from webapp.schedule.services.outbox import erase_messages

    erase_messages(session=kw["session"], participant=participant, address=kw.get("address"),
                   erase=bool(kw.get("erase")), actor=str(kw.get("actor", "system")), user_id=kw.get("user_id"),
                   now=kw["now"])
