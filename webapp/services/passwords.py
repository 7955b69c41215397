"""Password hashing with argon2 (argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    if not password_hash:
        _hasher.hash(password)  # spend the same time as a real check
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A strong random password to show once (e.g. the first admin's)."""
    return secrets.token_urlsafe(15)
