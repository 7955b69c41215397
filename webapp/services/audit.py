"""The audit log: every view of personal data, every export and every deletion is written here."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from webapp.models import AuditEvent


def record(*, session: Session, action: str, actor: str, study_id: int | None = None, user_id: int | None = None,
           target: str = "", detail: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the session (committed with the caller's transaction).

    ``detail`` must never hold personal data: name what was seen, not its content.
    """
    event = AuditEvent(action=action, actor=actor, study_id=study_id, user_id=user_id, target=target,
                       detail=detail or {})
    session.add(event)
    return event


def actor_of(user: Any) -> str:
    """The actor string of a signed-in user (``user:<email>``)."""
    return f"user:{user.email}"
