"""Password hashing with argon2 (argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile:
t=3, m=64 MiB, p=4 — above OWASP's minimum of m=19 MiB, t=2, p=1).

One hash takes about 0.1 s of CPU and 64 MiB of memory; argon2-cffi releases the GIL while hashing, so the
web server's threads hash on every core. Callers hash outside a write transaction where they can
(``webapp.db.without_write_lock``), so a burst of hashes never holds SQLite's write lock. The number of
hashes at once is deliberately not bounded by a semaphore here: a holder of the write lock (``demo seed``
seeds a person as one transaction) waiting for a hashing slot behind a queue of screenings held every other
writer past the 30 s busy timeout (bench/README.md, soak).
Each hash's time is counted as the request's ``hash`` timing (``webapp.db.timed``; ``Server-Timing``).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from webapp.db import timed

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    with timed("hash"):
        return _hasher.hash(password)


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


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A strong random password to show once (e.g. the first admin's)."""
    return secrets.token_urlsafe(15)
