"""Participant tasks: deleting drafts that expired (run by beat)."""

from __future__ import annotations

from celery import shared_task

from webapp.db import db_session
from webapp.models import utcnow
from webapp.services.responses import expire_drafts as expire


@shared_task(name="keireki.expire_drafts", acks_late=True)
def expire_drafts() -> int:
    """Delete drafts not saved for ``draft_expiry_days`` (the participant was told the date)."""
    return expire(session=db_session(), now=utcnow())
