"""Password hashing with argon2 (argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile:
t=3, m=64 MiB, p=4 — above OWASP's minimum of m=19 MiB, t=2, p=1).

One hash takes about 0.1 s of CPU and 64 MiB of memory. argon2-cffi releases the GIL while hashing, so
the web server's threads hash on every core; but 32 hashes at once on 2 cores take 9 s together (each
finishes last) and 2 GB of memory, and starve every other request (page saves) of CPU. So at most
:data:`HASH_SLOTS` hashes run at a time (a semaphore); the others queue for a slot, and each finishes in
turn. Callers hash outside a write transaction (``webapp.db.without_write_lock``) so the queue never
holds the SQLite write lock.
"""

from __future__ import annotations

import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
#: Hashes running at the same time in one process (one per core).
HASH_SLOTS = max(1, os.cpu_count() or 1)
_slots = threading.BoundedSemaphore(HASH_SLOTS)


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a malformed hash."""
    with _slots:
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
