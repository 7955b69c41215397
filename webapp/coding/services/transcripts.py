"""Transcripts as coding sources: several per interview (original + translations), pasted or uploaded.

Text is stored encrypted under the data directory, NFC with ``\\n`` line endings, split into numbered
paragraphs (speaker turns) once when stored. Every read of a transcript's text is audited
(``transcript.view``); adding one is audited (``transcript.upload``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, col, func, select

from webapp.coding.core import paragraphs as para
from webapp.coding.services import CodingError
from webapp.crypto import decrypt_bytes, encrypt_bytes
from webapp.models import Booking, Transcript, User
from webapp.schedule.services import transcripts as uploads
from webapp.services import audit

FOLDER = "transcripts"
MAX_NAME = 200


def _root() -> Path:
    return Path(current_app.config["KEIREKI"].data_dir)


def text_from_upload(*, filename: str, data: bytes) -> str:
    """The text of an uploaded .txt/.docx (the interview page's extraction: size limits, UTF-8, .docx)."""
    try:
        return uploads.extract(filename, data)
    except uploads.TranscriptError as exc:
        raise CodingError(str(exc)) from exc


def _next_ref(session: Session, study_id: int) -> str:
    count = session.exec(select(func.count()).select_from(Transcript)
                         .where(Transcript.study_id == study_id)).one()
    ref = f"TR-{count + 1:04d}"
    while session.exec(select(Transcript.id).where(Transcript.study_id == study_id, Transcript.ref == ref)).first():
        count += 1
        ref = f"TR-{count + 1:04d}"
    return ref


def _write(text: str) -> str:
    folder = _root() / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{FOLDER}/src-{secrets.token_hex(12)}.bin"
    target = _root() / relative
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(encrypt_bytes(text.encode("utf-8")))
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return relative


def add(*, session: Session, booking: Booking, text: str, name: str, language: str, user: User | None,
        translation_of: Transcript | None = None, guid: str | None = None) -> Transcript:
    """Store a transcript of ``booking``; a translation names the transcript it translates."""
    if translation_of is not None and translation_of.booking_id != booking.id:
        raise CodingError(_("A translation must belong to the same interview."))
    return store(session=session, study_id=booking.study_id, booking_id=booking.id,
                 participant_id=booking.participant_id, text=text, name=name, language=language, user=user,
                 translation_of=translation_of, guid=guid)


def store(*, session: Session, study_id: int, booking_id: int | None, participant_id: int | None, text: str,
          name: str, language: str, user: User | None, translation_of: Transcript | None = None,
          guid: str | None = None) -> Transcript:
    """Normalise, split, encrypt and record a transcript (an interview's, or an imported source without one)."""
    text = para.normalise(text)
    if not text.strip():
        raise CodingError(_("The transcript has no text."))
    if len(text.encode("utf-8")) > int(current_app.config["KEIREKI"].upload_max_bytes):
        raise CodingError(_("The transcript is too long."))
    name = (name or "").strip()[:MAX_NAME] or _("Transcript")
    parts = para.split(text)
    transcript = Transcript(
        study_id=study_id, booking_id=booking_id, participant_id=participant_id, guid=guid or str(uuid.uuid4()),
        ref=_next_ref(session, study_id), language=(language or "und")[:16],
        role="translation" if translation_of else "original",
        translation_of_id=translation_of.id if translation_of else None, name=name, path=_write(text),
        sha256=sha256_of(text), n_chars=len(text),
        paragraphs=[[p.start, p.end, p.speaker] for p in parts], created_by=user.id if user else None)
    session.add(transcript)
    session.flush()
    audit.record(session=session, action="transcript.upload", actor=audit.actor_of(user) if user else "system",
                 study_id=study_id, user_id=user.id if user else None, target=f"transcript:{transcript.id}",
                 detail={"booking": booking_id, "language": transcript.language, "role": transcript.role})
    return transcript


def sha256_of(text: str) -> str:
    """The content hash a transcript is matched by (of its normalised text)."""
    return hashlib.sha256(para.normalise(text).encode("utf-8")).hexdigest()


def adopt_interview_upload(*, session: Session, booking: Booking, language: str, user: User) -> Transcript:
    """A coding source made from the transcript uploaded on the interview page (a copy of its text)."""
    if not booking.transcript_path:
        raise CodingError(_("This interview has no uploaded transcript."))
    text = uploads.read(booking.transcript_path)
    return add(session=session, booking=booking, text=text, name=booking.transcript_name or "", language=language,
               user=user)


def paragraphs(transcript: Transcript) -> list[para.Paragraph]:
    return [para.Paragraph(i + 1, int(p[0]), int(p[1]), str(p[2])) for i, p in enumerate(transcript.paragraphs)]


def read_text(transcript: Transcript) -> str:
    """The decrypted text (not audited: callers that show it to a person use :func:`view`)."""
    path = (_root() / transcript.path).resolve()
    if not path.is_relative_to(_root().resolve()):
        raise CodingError("transcript outside the data directory")
    return decrypt_bytes(path.read_bytes()).decode("utf-8")


def view(*, session: Session, transcript: Transcript, user: User, purpose: str = "coding") -> str:
    """The text, for a person: the read is audited."""
    text = read_text(transcript)
    audit.record(session=session, action="transcript.view", actor=audit.actor_of(user), study_id=transcript.study_id,
                 user_id=user.id, target=f"transcript:{transcript.id}", detail={"purpose": purpose})
    return text


def of_booking(*, session: Session, booking: Booking) -> list[Transcript]:
    return list(session.exec(select(Transcript).where(Transcript.booking_id == booking.id)
                             .order_by(col(Transcript.id))))


def translations(*, session: Session, transcript: Transcript) -> list[Transcript]:
    return list(session.exec(select(Transcript).where(Transcript.translation_of_id == transcript.id)
                             .order_by(col(Transcript.id))))


def delete_files(transcripts: list[Transcript]) -> int:
    """Remove the encrypted files of these transcripts (erasure); paths outside the data dir are left."""
    removed = 0
    root = _root().resolve()
    for transcript in transcripts:
        path = (root / transcript.path).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
            removed += 1
    return removed
