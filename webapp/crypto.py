"""Encryption of personal data at rest (Fernet, with key rotation through MultiFernet).

Keys come from ``KEIREKI_DATA_KEY`` (comma-separated, newest first). Contact details, interviewer notes
and transcripts are stored only as tokens made here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DecryptionError(RuntimeError):
    """The data cannot be decrypted with the configured keys."""


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a secret link or API token is stored (never the token itself)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _fernet() -> MultiFernet:
    keys = current_app.config["KEIREKI"].data_keys
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError("personal data cannot be decrypted with the configured KEIREKI_DATA_KEY") from exc


def encrypt_json(value: Any) -> bytes:
    return encrypt_bytes(json.dumps(value, ensure_ascii=False, sort_keys=True).encode())


def decrypt_json(token: bytes) -> Any:
    return json.loads(decrypt_bytes(token))


def rotate(token: bytes) -> bytes:
    """Re-encrypt with the newest key."""
    return _fernet().rotate(token)
