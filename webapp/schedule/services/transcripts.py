"""Interview transcripts: UTF-8 text or .docx in, encrypted UTF-8 text at rest under the data directory."""

from __future__ import annotations

import os
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from webapp.crypto import decrypt_bytes, encrypt_bytes
from webapp.models import Booking
from webapp.schedule.services.docx_text import DocxError, docx_text

FOLDER = "transcripts"


class TranscriptError(ValueError):
    """The upload cannot be used; the message is translated text for the uploader."""


def max_bytes() -> int:
    return int(current_app.config["KEIREKI"].upload_max_bytes)


def extract(filename: str, data: bytes) -> str:
    """The text of an upload: a UTF-8 ``.txt`` (a BOM is dropped) or a ``.docx`` (paragraphs and tables)."""
    if len(data) > max_bytes():
        raise TranscriptError(_("The file is too large (at most %(mb)s MB).", mb=max_bytes() // (1024 * 1024)))
    if not data:
        raise TranscriptError(_("The file is empty."))
    name = filename.lower()
    if name.endswith(".docx"):
        text = _docx_text(data)
    elif name.endswith((".txt", ".text", ".md")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TranscriptError(
                _("The text file is not UTF-8. Please save it as UTF-8 and upload it again.")
            ) from exc
    else:
        raise TranscriptError(_("Please upload a UTF-8 text file (.txt) or a Word document (.docx)."))
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    if not text.strip():
        raise TranscriptError(_("The file has no text."))
    return text


def _docx_text(data: bytes) -> str:
    try:
        return docx_text(data)
    except DocxError as exc:
        if exc.reason == "too_large":
            raise TranscriptError(_("This Word document unpacks to too much text. Please split it into smaller "
                                    "documents, or save it as a UTF-8 text file (.txt).")) from None
        raise TranscriptError(_("This Word document cannot be read. Please save it again as .docx.")) from None


def _root() -> Path:
    return Path(current_app.config["KEIREKI"].data_dir)


def store(*, booking: Booking, text: str) -> str:
    """Encrypt and write the transcript; returns its path relative to the data directory.

    A new upload gets a new random file name (the old file is removed), written atomically.
    """
    folder = _root() / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{FOLDER}/{booking.id}-{secrets.token_hex(8)}.bin"
    target = _root() / relative
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(encrypt_bytes(text.encode("utf-8")))
    os.replace(tmp, target)
    if booking.transcript_path and booking.transcript_path != relative:
        old = (_root() / booking.transcript_path).resolve()
        if old.is_relative_to(_root().resolve()) and old.is_file():
            old.unlink()
    return relative


def read(relative: str) -> str:
    """The decrypted text of a stored transcript."""
    path = (_root() / relative).resolve()
    if not path.is_relative_to(_root().resolve()):
        raise TranscriptError("transcript outside the data directory")
    return decrypt_bytes(path.read_bytes()).decode("utf-8")
