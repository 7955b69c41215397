"""Spies on CPU-heavy work (argon2's hash, a photo's cleaning) that record, at each call, whether another SQLite
connection could take the write lock meanwhile (True) or found the database locked (False): the work is done
outside the write transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import argon2
import pytest


def spy_write_lock_during(monkeypatch: pytest.MonkeyPatch, database_url: str, owner: Any, name: str) -> list[bool]:
    """Replace ``owner.name`` by a function that looks at the write lock, then calls the real one."""
    path = database_url.removeprefix("sqlite:///")
    seen: list[bool] = []
    real = getattr(owner, name)

    def spying(*args: Any, **kwargs: Any) -> Any:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:  # database is locked: the caller holds the write lock
            seen.append(False)
        finally:
            other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spying)
    return seen


def spy_write_lock_during_hash(monkeypatch: pytest.MonkeyPatch, database_url: str) -> list[bool]:
    return spy_write_lock_during(monkeypatch, database_url, argon2.PasswordHasher, "hash")
