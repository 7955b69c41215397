"""Password hashing with argon2.

Researchers' passwords: argon2-cffi's defaults (Argon2id, RFC 9106 low-memory profile: t=3, m=64 MiB, p=4 —
above OWASP's minimum). Participants' resume codes (:func:`hash_code`): Argon2id with OWASP's minimum
configuration (m=19 MiB, t=2, p=1), about a quarter of the CPU and memory: every screening hashes one, a
burst of 32 screenings at once hashed 64 MiB × 32 with the defaults, and the code is only a second factor
beside the participant code, locked after 10 wrong tries. :func:`verify_password` reads the parameters
from the stored hash, so codes hashed with the defaults before still verify.

argon2-cffi releases the GIL while hashing, so the web server's threads hash on every core. Callers hash
outside a write transaction where they can (``webapp.db.without_write_lock``; ``demo seed`` hashes before
it takes the lock), so a burst of hashes never holds SQLite's write lock. The time is counted as the
request's ``hash`` timing (``webapp.db.timed``; the ``Server-Timing`` header).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from webapp.db import timed

_hasher = PasswordHasher()
#: OWASP's minimum Argon2id configuration (m=19 MiB, t=2, p=1), for resume codes.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    with timed("hash"):
        return _hasher.hash(password)


def hash_code(code: str) -> str:
    """A participant's resume code, hashed with OWASP's minimum Argon2id configuration."""
    with timed("hash"):
        return _code_hasher.hash(code)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    with timed("hash"):
        if not password_hash:
            _hasher.hash(password)  # spend the same time as a real check
            return False
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def verify_code(code_hash: str | None, code: str) -> bool:
    """:func:`verify_password` for a resume code: without a hash it spends a code hash's time."""
    if not code_hash:
        hash_code(code)
        return False
    return verify_password(code_hash, code)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A strong random password to show once (e.g. the first admin's)."""
    return secrets.token_urlsafe(15)
