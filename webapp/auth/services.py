"""Accounts: sign-in, invitations, memberships, password changes and signing out everywhere."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from instruments.errors import AnswerError
from instruments.normalise import normalise_email
from webapp.crypto import hash_token
from webapp.models import ROLES, Membership, SignInSession, User
from webapp.services import audit
from webapp.services.passwords import hash_password, needs_rehash, verify_password

#: How long an invitation link can be used.
INVITE_DAYS = 7
#: Password length bounds (argon2 takes any length; the upper bound stops abuse).
PASSWORD_MIN, PASSWORD_MAX = 12, 256


class AccountError(ValueError):
    """An account operation that cannot be done; ``code`` says why (for a translated message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_email(raw: str) -> str:
    """The canonical form of a researcher's e-mail address (NFKC, lower case); AccountError if invalid."""
    try:
        return normalise_email(raw).lower()
    except AnswerError as exc:
        raise AccountError("email") from exc


def sign_in_address(raw: str) -> str:
    """The address to look an account up by: the canonical form, or for addresses that are not valid for
    the Internet, such as the first admin's ``admin@localhost``, the typed text in NFKC and lower case."""
    try:
        return clean_email(raw)
    except AccountError:
        text = unicodedata.normalize("NFKC", raw).strip().lower()
        return text if "@" in text and len(text) <= 254 and "\x00" not in text else ""


def authenticate(*, session: Session, email: str, password: str, now: datetime) -> User | None:
    """The active user with this e-mail and password, else None (same work either way: no enumeration)."""
    address = sign_in_address(email)
    user = session.exec(select(User).where(User.email == address)).first() if address else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(user)
    session.commit()
    return user


def invite_user(*, session: Session, email: str, now: datetime, actor: str, actor_id: int | None = None,
                name: str = "", is_admin: bool = False, study_id: int | None = None,
                role: str | None = None) -> tuple[User, str | None]:
    """Create (or find) the user and optionally give a role in a study.

    Returns the user and a new invitation token when the user has not set a password yet (a fresh
    token replaces an older one), else None. Audited as ``user.invite``.
    """
    address = clean_email(email)
    if role is not None and role not in ROLES:
        raise AccountError("role")
    user = session.exec(select(User).where(User.email == address)).first()
    if user is None:
        user = User(email=address, name=name.strip()[:200], is_admin=is_admin)
    elif is_admin:
        user.is_admin = True
    token: str | None = None
    if user.password_hash is None:
        token = secrets.token_urlsafe(32)
        user.invite_token_hash = hash_token(token)
        user.invite_expires_at = now + timedelta(days=INVITE_DAYS)
    session.add(user)
    session.flush()
    if study_id is not None and role is not None:
        set_membership(session=session, user_id=user.id, study_id=study_id, role=role)  # type: ignore[arg-type]
    audit.record(session=session, action="user.invite", actor=actor, user_id=actor_id, study_id=study_id,
                 target=f"user:{user.id}",
                 detail={"role": role, "admin": user.is_admin, "new_link": bool(token)})
    session.commit()
    return user, token


def invited_user(*, session: Session, token: str, now: datetime) -> User | None:
    """The user a valid, unexpired invitation token belongs to."""
    if not token or len(token) > 100:
        return None
    user = session.exec(select(User).where(User.invite_token_hash == hash_token(token))).first()
    if user is None or user.invite_expires_at is None or user.invite_expires_at < now or not user.is_active:
        return None
    return user


def check_new_password(password: str, confirm: str) -> None:
    """AccountError("short"/"long"/"mismatch") when the new password cannot be used."""
    if len(password) < PASSWORD_MIN:
        raise AccountError("short")
    if len(password) > PASSWORD_MAX:
        raise AccountError("long")
    if password != confirm:
        raise AccountError("mismatch")


def accept_invite(*, session: Session, token: str, password: str, confirm: str, name: str,
                  now: datetime) -> User:
    """Set the password of an invited user; the token is used up."""
    user = invited_user(session=session, token=token, now=now)
    if user is None:
        raise AccountError("invite")
    check_new_password(password, confirm)
    user.password_hash = hash_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    if name.strip():
        user.name = name.strip()[:200]
    user.session_version += 1
    session.add(user)
    session.commit()
    return user


def change_password(*, session: Session, user: User, current: str, new: str, confirm: str) -> None:
    """Change a password after checking the current one; other sessions are signed out."""
    if not verify_password(user.password_hash, current):
        raise AccountError("current")
    check_new_password(new, confirm)
    user.password_hash = hash_password(new)
    session.execute(sa.delete(SignInSession).where(SignInSession.user_id == user.id))  # type: ignore[arg-type]
    user.session_version += 1
    session.add(user)
    session.commit()


def start_session(*, session: Session, user: User) -> str:
    """A new server-side sign-in session of the user; returns the random id its cookie carries."""
    sid = secrets.token_urlsafe(32)
    session.add(SignInSession(user_id=user.id, sid_hash=hash_token(sid)))  # type: ignore[arg-type]
    session.commit()
    return sid


def session_is_open(*, session: Session, user_id: int, sid: str) -> bool:
    """True while the sign-in session ``sid`` of this user has not been ended."""
    if not sid or len(sid) > 100:
        return False
    row = session.exec(select(SignInSession).where(SignInSession.sid_hash == hash_token(sid))).first()
    return row is not None and row.user_id == user_id


def end_session(*, session: Session, sid: str | None) -> None:
    """End one sign-in session: every copy of its cookie stops working."""
    if sid:
        session.execute(sa.delete(SignInSession).where(col(SignInSession.sid_hash) == hash_token(sid)))
        session.commit()


def sign_out_everywhere(*, session: Session, user: User) -> None:
    """End every session of the user: their rows are deleted and the session version moves on."""
    session.execute(sa.delete(SignInSession).where(SignInSession.user_id == user.id))  # type: ignore[arg-type]
    user.session_version += 1
    session.add(user)
    session.commit()


def set_membership(*, session: Session, user_id: int, study_id: int, role: str | None) -> None:
    """Give the user ``role`` in the study, or remove the membership with ``role=None``."""
    if role is not None and role not in ROLES:
        raise AccountError("role")
    membership = session.exec(
        select(Membership).where(Membership.user_id == user_id, Membership.study_id == study_id)
    ).first()
    if role is None:
        if membership is not None:
            session.delete(membership)
    elif membership is None:
        session.add(Membership(user_id=user_id, study_id=study_id, role=role))
    else:
        membership.role = role
        session.add(membership)
    session.flush()
