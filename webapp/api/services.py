"""Per-study API tokens: made by owners, shown once, stored only as a SHA-256, revocable, audited."""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from webapp.crypto import hash_token
from webapp.models import ApiToken, Study, utcnow
from webapp.services import audit

#: Tokens start with this, so leaked ones are easy to find (secret scanners, logs).
TOKEN_PREFIX = "kei_"  # noqa: S105 - a public marker, not a secret
NAME_MAX = 100


def create_token(*, session: Session, study: Study, name: str, user: object) -> tuple[ApiToken, str]:
    """Make a token for ``study``; returns the row and the token itself (shown once, never stored)."""
    assert study.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(study_id=study.id, name=name.strip()[:NAME_MAX], prefix=token[:12],
                   token_hash=hash_token(token), created_by=user.id)  # type: ignore[attr-defined]
    session.add(row)
    session.flush()
    audit.record(session=session, action="token.create", actor=audit.actor_of(user), study_id=study.id,
                 user_id=user.id, target=f"token:{row.prefix}", detail={"token": row.id, "name": row.name})  # type: ignore[attr-defined]
    session.commit()
    return row, token


def revoke_token(*, session: Session, study: Study, token_id: int, user: object) -> ApiToken | None:
    """Revoke a token of ``study`` (idempotent); None when there is no such token in the study."""
    row = session.get(ApiToken, token_id) if 0 < token_id <= 2**31 - 1 else None
    if row is None or row.study_id != study.id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session=session, action="token.revoke", actor=audit.actor_of(user), study_id=study.id,
                     user_id=user.id, target=f"token:{row.prefix}", detail={"token": row.id})  # type: ignore[attr-defined]
        session.commit()
    return row


def tokens_of(*, session: Session, study_id: int) -> list[ApiToken]:
    """A study's tokens, newest first."""
    return list(session.exec(
        select(ApiToken).where(ApiToken.study_id == study_id).order_by(col(ApiToken.id).desc())
    ).all())


def authenticate(*, session: Session, token: str) -> ApiToken | None:
    """The live token row for a bearer token, or None; records when it was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    session.commit()
    return row
