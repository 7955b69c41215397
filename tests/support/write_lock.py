"""A spy on argon2's hash that records, at each call, whether another SQLite connection could take the write
lock meanwhile (True) or found the database locked (False): the work is done outside the write transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import argon2
import pytest


def spy_write_lock_during_hash(monkeypatch: pytest.MonkeyPatch, database_url: str) -> list[bool]:
    path = database_url.removeprefix("sqlite:///")
    seen: list[bool] = []
    real_hash = argon2.PasswordHasher.hash

    def spying_hash(hasher: argon2.PasswordHasher, password: str, **kwargs: Any) -> str:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:  # database is locked: the caller holds the write lock
            seen.append(False)
        finally:
            other.close()
        return real_hash(hasher, password, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", spying_hash)
    return seen
