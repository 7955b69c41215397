"""Interview scheduling: availability, booking in the participant's zone and language, reminders.

Participant pages: ``/s/<study>/p/<token>/interview`` (book) and ``/i/<token>`` (reschedule or cancel).
Researcher pages: ``/studies/<study>/schedule/...`` (agenda, interviews, availability, types, outbox).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "schedule",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/schedule/static",
)


def init_app(app: Flask) -> None:
    """Register the scheduling blueprint (called by ``create_app``)."""
    from webapp.schedule import admin, debrief, participant, research  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
