"""Who may code or read which transcript.

Owners and researchers (``code_all``) code every transcript of their study; an interviewer (``code``)
codes the interviews they conducted (a booking not cancelled). Viewers see codes and agreement figures
(``view``) but never a transcript or a quote.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from webapp.auth.roles import can
from webapp.auth.transcripts import may_code, may_code_booking

__all__ = ["may_code", "may_code_booking", "may_lead"]


def may_lead(*, session: Session, user: Any, study_id: int) -> bool:
    """Owners and researchers record consensus codings and manage the codebook."""
    return can(session=session, user=user, study_id=study_id, permission="code_all")
