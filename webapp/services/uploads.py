"""Files participants send for upload questions (XLSForm ``image``/``photo``, ``audio``, ``video``, ``file``).

A page with an upload question is a ``multipart/form-data`` form (no JavaScript needed). What
:func:`take_page` does for each upload question of a posted page:

- a new file is read (at most ``KEIREKI_UPLOAD_MAX_BYTES``), its type detected from its first bytes
  (magic numbers, :mod:`filetype`; the name's extension decides nothing), refused when the question's
  type does not allow it; a picture (JPEG, PNG, WebP, AVIF, TIFF, BMP, a still GIF, HEIC) loses its hidden
  metadata — EXIF with the place and time it was taken, XMP, IPTC, comments — turned upright first, and
  is made smaller when the question's ``max-pixels`` asks (:func:`clean_picture`); a HEIC photo (iPhones',
  some Android cameras') is stored as a JPEG, which every researcher's browser shows; then it is
  encrypted with the data key (like transcripts) and written under
  ``<data dir>/uploads/``; an :class:`~webapp.models.Upload` row keeps its key, name, type and size, and the
  answer is the key (``<32 hex>.<ext>``);
- "remove" (a checkbox) clears the answer; a new file replaces the old one. The replaced or removed file
  is deleted after the transaction commits (a replayed request finds it still there);
- a refused file leaves the answer as it was and gives an error for the field; the page's other answers are
  saved as usual.

The answer's key is set by the server from its own records: a key posted by the browser is never taken.
Researchers download a file through an audited view (``upload.view``); exports list the files of submitted
answers in ``uploads.csv`` and hold the files themselves only in bundles with personal data
(:func:`bundle_files`). At submission a file no answer refers to any more — of a removed repeat entry, or
of a question left out as irrelevant — is deleted (:func:`forget_unanswered`): nothing of it is kept that
the participant took back. Withdrawal with erasure deletes them all (:func:`erase_of`).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import secrets
import struct
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import filetype
import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps
from sqlmodel import Session, col, select

from instruments.model import UPLOAD_KEY, UPLOAD_TYPES, Question, max_pixels
from webapp.crypto import decrypt_bytes, encrypt_bytes
from webapp.db import begin_write, without_write_lock
from webapp.models import Draft, Participant, Response, Study, Upload, utcnow
from workers.exports.bundle import ExtraFile

FOLDER = "uploads"

_IMAGES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif", "image/bmp",
           "image/tiff")
_AUDIO = ("audio/mpeg", "audio/mp4", "audio/ogg", "audio/x-flac", "audio/x-wav", "audio/amr", "audio/aac",
          "audio/x-aiff", "video/3gpp", "video/webm")  # phones record sound as 3GP/WebM too
_VIDEO = ("video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/3gpp", "video/x-m4v",
          "video/x-msvideo", "video/mpeg")
_DOCUMENTS = ("application/pdf", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
              "application/rtf", "application/vnd.oasis.opendocument.text",
              "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "application/vnd.openxmlformats-officedocument.presentationml.presentation")
#: Question type -> media types (detected from the content) it accepts; ``text/plain`` is UTF-8 text.
ALLOWED: dict[str, tuple[str, ...]] = {
    "image": _IMAGES, "audio": _AUDIO, "video": _VIDEO,
    "file": (*_DOCUMENTS, "text/plain", *_IMAGES, *_AUDIO, *_VIDEO),
}
_KEY = re.compile(UPLOAD_KEY)
#: Pictures :func:`clean_picture` rewrites, by detected media type -> Pillow's format name. An animated GIF (or
#: WebP, PNG) is kept as sent.
_CLEANED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/avif": "AVIF",
            "image/tiff": "TIFF", "image/bmp": "BMP", "image/gif": "GIF", "image/heic": "HEIF"}
#: Pictures stored in another format than they came in, by detected media type -> (media type, extension):
#: HEIC as JPEG (browsers other than Safari cannot show HEIC; its EXIF, depth maps and thumbnails go too).
STORED_AS = {"image/heic": ("image/jpeg", "jpg")}
#: A picture larger than this (width × height) is not decoded whole: a JPEG is read at a smaller scale (a 50 MP
#: photo at half its width), the others are refused. Phones' cameras give 12 MP by default; decoded, 25 MP
#: take 75 MB, and on PostgreSQL several pages may be saved at once.
MAX_PICTURE_PIXELS = 25_000_000
#: What a cleaned picture keeps besides its pixels: the colour profile and a PNG's transparent colour.
_INFO_KEPT = ("icc_profile", "transparency")


class UploadRefused(ValueError):
    """The file cannot be used: ``code`` is an error code of webapp/forms/messages.py."""

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code, self.params = code, params or {}


def max_bytes() -> int:
    return int(current_app.config["KEIREKI"].upload_max_bytes)


def _root() -> Path:
    return Path(current_app.config["KEIREKI"].data_dir)


def detect(data: bytes, *, kind: str, filename: str = "") -> tuple[str, str]:
    """``(media type, extension)`` of the content, or :class:`UploadRefused` (``file_empty``,
    ``file_too_large``, ``file_type``) when the question of type ``kind`` does not take it."""
    if not data:
        raise UploadRefused("file_empty")
    if len(data) > max_bytes():
        raise UploadRefused("file_too_large", {"mb": max(1, max_bytes() // (1024 * 1024))})
    guessed = filetype.guess(data[:8192])
    if guessed is not None:
        media, extension = str(guessed.mime), str(guessed.extension)
    elif b"\x00" not in data and _utf8(data):
        media, extension = "text/plain", "csv" if filename.lower().endswith(".csv") else "txt"
    else:
        media, extension = "application/octet-stream", "bin"
    if media not in ALLOWED.get(kind, ()):
        raise UploadRefused("file_type", {"kind": kind})
    return media, extension


@functools.cache
def _read_heif() -> None:
    """Let Pillow read HEIC/HEIF through pillow-heif (libheif): loaded on the first HEIC photo, not with the app
    (33 ms and 6.5 MB)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def clean_picture(data: bytes, media: str, *, longest: int | None = None) -> bytes:
    """A picture without its hidden metadata, upright, and at most ``longest`` pixels on its longest side.

    What is dropped: EXIF (the GPS position and time a phone writes), XMP, IPTC and comments; the colour
    profile is kept. A picture already upright and small enough with none of these is returned as sent; a
    JPEG that needs only its metadata dropped is saved again with its own quantisation tables and subsampling
    (``quality="keep"``): no second generation of loss, only rounding. :class:`UploadRefused`
    (``picture_unreadable``) when Pillow cannot decode it or it is over :data:`MAX_PICTURE_PIXELS` (and not a
    JPEG, which is read at a smaller scale instead). A HEIC picture is always returned as a JPEG (its primary
    image, turned upright by libheif; see :data:`STORED_AS`). Types outside ``_CLEANED`` are returned as sent.
    """
    fmt = _CLEANED.get(media)
    if fmt is None:
        return data
    if fmt == "HEIF":
        _read_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the bound is MAX_PICTURE_PIXELS
            source = Image.open(io.BytesIO(data), formats=[fmt])
            frames = getattr(source, "n_frames", 1)
            if frames > 1 and fmt not in ("JPEG", "HEIF"):
                return data  # an animation or a multi-page scan: kept whole, as sent
            width, height = source.size
            box = longest or 0
            if width * height > MAX_PICTURE_PIXELS:
                if fmt != "JPEG":
                    raise UploadRefused("picture_unreadable")
                scale = (MAX_PICTURE_PIXELS / (width * height)) ** 0.5
                box = min(box or 1 << 30, int(max(width, height) * scale))
            exif = source.getexif()
            upright = exif.get(0x0112, 1) == 1  # EXIF orientation 1: the pixels are stored upright
            # A JPEG of more than one frame is an MPO (phones' second pictures: depth maps, previews, each with
            # its EXIF): only the first is kept; so is a HEIC's primary image (a burst's first).
            hidden = (fmt == "HEIF" or bool(exif) or frames > 1 or _png_text(source)
                      or any(k in source.info for k in ("exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment")))
            smaller = bool(box) and max(width, height) > box
            if upright and not hidden and not smaller:
                return data
            if smaller and fmt == "JPEG":
                source.draft("RGB", (box, box))  # decoded at 1/2, 1/4 or 1/8 of the size: less memory and time
            picture = source if upright else ImageOps.exif_transpose(source)
            if smaller:
                picture = picture.copy() if picture is source else picture
                picture.thumbnail((box, box), Image.Resampling.LANCZOS)
            return _saved(picture, source, fmt)
    except UploadRefused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, struct.error, EOFError) as exc:
        raise UploadRefused("picture_unreadable") from exc


def _saved(picture: Image.Image, source: Image.Image, fmt: str) -> bytes:
    """``picture`` (``source`` itself, or turned or made smaller from it) written with nothing but its pixels,
    the colour profile and a PNG's transparent colour."""
    kept: dict[str, Any] = {k: source.info[k] for k in _INFO_KEPT if k in source.info}
    picture.info = {k: v for k, v in kept.items()}  # noqa: C416 - Pillow's writers fall back on the picture's own comment, XMP...
    out = io.BytesIO()
    if picture is source and fmt == "JPEG":  # only metadata to drop: the same coding, no detail lost
        picture.save(out, "JPEG", quality="keep", subsampling="keep", **kept)
    elif fmt in ("JPEG", "WEBP", "AVIF", "HEIF"):
        fmt = "JPEG" if fmt == "HEIF" else fmt  # see STORED_AS
        if fmt == "JPEG" and picture.mode not in ("RGB", "L", "CMYK"):
            picture = picture.convert("RGB")
        picture.save(out, fmt, quality=90, **kept)
    else:
        picture.save(out, fmt, **kept)
    return out.getvalue()


def _png_text(picture: Image.Image) -> bool:
    """True when a PNG carries text chunks (tEXt, zTXt, iTXt: authors, software, dates, anything)."""
    return bool(getattr(picture, "text", None)) if picture.format == "PNG" else False


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _after_commit(session: Session, path: str) -> None:
    """Delete a stored file once the transaction that dropped its row has committed."""

    def unlink(_session: Any) -> None:
        _unlink(path)

    sa.event.listen(session, "after_commit", unlink, once=True)


def _unlink(relative: str) -> None:
    path = (_root() / relative).resolve()
    if path.is_relative_to(_root().resolve()):
        path.unlink(missing_ok=True)


def store(*, session: Session, participant: Participant, question: str, filename: str, data: bytes,
          kind: str, longest: int | None = None) -> Upload:
    """Check, clean (a picture: :func:`clean_picture`, at most ``longest`` pixels on its longest side),
    encrypt and write one file; returns its new row (added to the session)."""
    media, extension = detect(data, kind=kind, filename=filename)
    # Decoding and saving a photo takes 0.1-0.2 s: outside SQLite's write lock when nothing is written yet.
    data = without_write_lock(session, functools.partial(clean_picture, data, media, longest=longest))
    name = os.path.basename(filename.replace("\\", "/")).strip()[:200]
    if media in STORED_AS:  # a HEIC photo, now a JPEG
        media, extension = STORED_AS[media]
        name = _renamed(name, extension)
    key = f"{secrets.token_hex(16)}.{extension}"
    relative = f"{FOLDER}/{key}.bin"
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(encrypt_bytes(data))
    os.replace(tmp, target)
    name = name or key
    upload = Upload(participant_id=participant.id, key=key, path=relative, name=name, media_type=media,  # type: ignore[arg-type]
                    size=len(data), question=question[:200], created_at=utcnow())
    session.add(upload)
    return upload


def _renamed(name: str, extension: str) -> str:
    """The participant's file name with the extension of the format it is stored in (``IMG_0042.HEIC`` ->
    ``IMG_0042.jpg``): what a researcher downloads opens as what it is."""
    stem, dot, _ = name.rpartition(".")
    return f"{stem if dot and stem else name}.{extension}"[:200] if name else name


def owned(*, session: Session, participant_id: int, key: Any) -> Upload | None:
    """The participant's upload with this key (None for anything else)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        return None
    return session.exec(select(Upload).where(Upload.key == key, Upload.participant_id == participant_id)).first()


def _drop(session: Session, upload: Upload) -> None:
    session.delete(upload)
    _after_commit(session, upload.path)


def take_page(*, session: Session, participant: Participant, questions: Iterable[Question], raw: dict[str, Any],
              scope: Mapping[str, Any], prefix: str, files: Mapping[str, Any], form: Mapping[str, Any]
              ) -> dict[str, dict[str, Any]]:
    """Set ``raw[name]`` of every upload question of a posted page (the stored file's key, or ``""``) from
    the files sent, the "remove" boxes and the answers so far (``scope``); returns the refused files'
    errors by question name (``{"code", "message": None, "params"}``)."""
    errors: dict[str, dict[str, Any]] = {}
    for question in questions:
        if question.type not in UPLOAD_TYPES:
            continue
        name = question.name
        current = owned(session=session, participant_id=participant.id, key=scope.get(name))  # type: ignore[arg-type]
        raw[name] = current.key if current is not None else ""
        sent = files.get(name)
        if sent is not None and getattr(sent, "filename", None):
            try:
                sent.stream.seek(0)  # a replayed request reads the file again
                data = sent.stream.read(max_bytes() + 1)
                upload = store(session=session, participant=participant, question=prefix + name,
                               filename=str(sent.filename), data=data, kind=question.type,
                               longest=max_pixels(question) if question.type == "image" else None)
            except UploadRefused as exc:
                errors[name] = {"code": exc.code, "message": None, "params": exc.params}
                continue
            if current is not None:
                _drop(session, current)
            raw[name] = upload.key
        elif str(form.get(f"{name}__remove", "")) == "1" and current is not None:
            _drop(session, current)
            raw[name] = ""
    return errors


def describe(*, session: Session, participant_id: int, keys: Iterable[Any]) -> dict[str, Upload]:
    """The participant's uploads among ``keys``, by key (for "file received: name, size")."""
    wanted = [k for k in keys if isinstance(k, str) and _KEY.fullmatch(k)]
    if not wanted:
        return {}
    rows = session.exec(select(Upload).where(Upload.participant_id == participant_id, col(Upload.key).in_(wanted)))
    return {u.key: u for u in rows}


def read(upload: Upload) -> bytes:
    """The decrypted content of a stored upload."""
    path = (_root() / upload.path).resolve()
    if not path.is_relative_to(_root().resolve()):
        raise FileNotFoundError(upload.path)
    return decrypt_bytes(path.read_bytes())


def clean_stored(*, session: Session) -> dict[str, int]:
    """Run :func:`clean_picture` over the pictures stored before it existed (their EXIF, XMP, comments go; they
    are turned upright; sizes are left as they are). Each file is rewritten in place (encrypted, atomically) in
    a write transaction of its own that still finds its row; a picture that cannot be read is left as it is.
    Returns counts: ``checked``, ``cleaned``, ``unreadable``. Running it again changes nothing."""
    counts = {"checked": 0, "cleaned": 0, "unreadable": 0}
    ids = list(session.exec(select(Upload.id).where(col(Upload.media_type).in_(list(_CLEANED)))
                            .order_by(col(Upload.id))))
    session.commit()
    for upload_id in ids:
        begin_write(session)
        upload = session.exec(select(Upload).where(Upload.id == upload_id).with_for_update()).first()
        if upload is None:  # deleted meanwhile
            session.commit()
            continue
        counts["checked"] += 1
        try:
            data = read(upload)
            cleaned = clean_picture(data, upload.media_type)
        except (UploadRefused, FileNotFoundError):
            counts["unreadable"] += 1
            session.commit()
            continue
        if cleaned != data:
            target = _root() / upload.path
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(encrypt_bytes(cleaned))
            os.replace(tmp, target)
            upload.size = len(cleaned)
            if upload.media_type in STORED_AS:  # the key keeps its extension: answers refer to it
                upload.media_type, extension = STORED_AS[upload.media_type]
                upload.name = _renamed(upload.name, extension)
            session.add(upload)
            counts["cleaned"] += 1
        session.commit()
    return counts


def erase_of(*, session: Session, participant_id: int) -> int:
    """Delete every upload of a participant (rows now, files after the commit); returns how many."""
    rows = list(session.exec(select(Upload).where(Upload.participant_id == participant_id)))
    for upload in rows:
        _drop(session, upload)
    return len(rows)


def forget_unanswered(*, session: Session, participant_id: int) -> int:
    """Delete the participant's uploads that none of their responses or drafts refers to (rows now, files
    after the commit); returns how many. Called in the submission's serialised transaction, after the
    response is added and its draft deleted (both flushed by the queries here)."""
    stored = list(session.exec(select(Upload).where(Upload.participant_id == participant_id)))
    if not stored:
        return 0
    referenced: set[str] = set()
    for query in (select(Response.answers).where(Response.participant_id == participant_id),
                  select(Draft.answers).where(Draft.participant_id == participant_id)):
        for answers in session.exec(query):
            referenced.update(keys_in(answers))
    gone = [upload for upload in stored if upload.key not in referenced]
    for upload in gone:
        _drop(session, upload)
    return len(gone)


def keys_in(value: Any) -> Iterator[str]:
    """Every upload key inside stored answers (nested repeats included)."""
    if isinstance(value, str):
        if _KEY.fullmatch(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from keys_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_in(item)


def bundle_name(key: str) -> str:
    """The file's name inside an export bundle."""
    return f"upload-{key}"


def bundle_files(study: Study, *, session: Session, with_pii: bool, **_: Any) -> dict[str, ExtraFile]:
    """``uploads.csv`` (one row per file of a submitted answer: participant, question, file name in the
    bundle, type, size) and, only with personal data, the files themselves and their original names.
    Connected to ``webapp.exports.services.bundle_files``. A file is decrypted only when the bundle writes
    it (:func:`_write_into`): one at a time, never all of a study's files in memory."""
    query = (select(Upload, Participant.code, Response.answers)
             .join(Participant, col(Participant.id) == Upload.participant_id)
             .join(Response, col(Response.participant_id) == Upload.participant_id)
             .where(Participant.study_id == study.id)
             .order_by(Participant.code, Upload.question, Upload.key))
    rows: list[tuple[Upload, str]] = []
    seen: set[str] = set()
    for upload, code, answers in session.exec(query):
        if upload.key in seen or upload.key not in set(keys_in(answers)):
            continue
        seen.add(upload.key)
        rows.append((upload, code))
    if not rows:
        return {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["participant_code", "question", "file", "media_type", "size_bytes", "uploaded_at",
                     *(["original_name"] if with_pii else [])])
    files: dict[str, ExtraFile] = {}
    for upload, code in rows:
        writer.writerow([code, upload.question, bundle_name(upload.key), upload.media_type, upload.size,
                         upload.created_at.isoformat(timespec="seconds"), *([upload.name] if with_pii else [])])
        if with_pii:
            files[bundle_name(upload.key)] = functools.partial(_write_into, upload)
    return {"uploads.csv": out.getvalue().encode("utf-8"), **files}


def _write_into(upload: Upload, fh: BinaryIO) -> None:
    fh.write(read(upload))
