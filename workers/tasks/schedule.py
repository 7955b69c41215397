"""Scheduling tasks: the beat job that sends due interview reminders."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from webapp.db import db_session
from webapp.schedule.services.reminders import send_due_reminders as send_due


@shared_task(name="keireki.send_due_reminders", acks_late=True, reject_on_worker_lost=True)
def send_due_reminders() -> dict[str, Any]:
    """Claim and send every due reminder (24 h and 2 h before). Safe to run in several processes at once:
    each reminder row is claimed atomically, so it is sent once (see :mod:`webapp.schedule.services.reminders`).
    """
    summary = send_due(session=db_session())
    return {"claimed": summary.claimed, "statuses": summary.statuses}
