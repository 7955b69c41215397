"""Outgoing mail: SMTP when ``KEIREKI_SMTP_URL`` is set, else ``.eml`` files in ``<data_dir>/outbox/``.

The embedded outbox needs no server: researchers browse it in the dashboard. A message may carry an
iCalendar attachment; its MIME type names the same METHOD as the calendar inside
(``text/calendar; method=REQUEST``), which calendar clients require to treat it as an invitation.
A ``key`` makes sending idempotent where it can be: the outbox file and the Message-ID are derived from
it, so a message sent again after a crash replaces its file instead of adding a second one.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from webapp.config import Settings

#: Names the study a message belongs to, so each study's researchers see only their own in the outbox.
STUDY_HEADER = "X-Keireki-Study"
#: The participant code a message is about, and who it is for (``participant`` or ``interviewer``): the
#: outbox shows a participant's address only to the roles that may see contacts, and a withdrawal finds the
#: participant's messages by it.
PARTICIPANT_HEADER = "X-Keireki-Participant"
AUDIENCE_HEADER = "X-Keireki-Audience"
_OUTBOX_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\.eml$")


class MailError(RuntimeError):
    """The message could not be handed to the mail server (the reason is in the message)."""


@dataclass(frozen=True)
class SentMail:
    transport: str  #: smtp | outbox
    message_id: str
    path: Path | None = None  #: the .eml file, for the outbox


@dataclass(frozen=True)
class OutboxItem:
    name: str
    at: datetime
    study: str
    to: str
    subject: str
    size: int
    participant: str = ""  #: the participant code the message is about ("" for older messages)
    audience: str = ""  #: participant | interviewer ("" for older messages)


def _settings(settings: Settings | None) -> Settings:
    return settings or current_app.config["KEIREKI"]


def outbox_dir(settings: Settings | None = None) -> Path:
    """The folder of the embedded outbox (created on demand)."""
    folder = _settings(settings).data_dir / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    ics: bytes | None = None,
    ics_method: str | None = None,
    message_id: str | None = None,
    study: str | None = None,
    about: tuple[str, str] | None = None,
) -> EmailMessage:
    """A plain-text message, with an ``.ics`` attachment whose Content-Type carries ``ics_method``;
    ``about`` is (participant code, audience) for :data:`PARTICIPANT_HEADER` and :data:`AUDIENCE_HEADER`."""
    msg = EmailMessage()
    if study:
        msg[STUDY_HEADER] = study
    if about:
        msg[PARTICIPANT_HEADER], msg[AUDIENCE_HEADER] = about
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=_domain(sender))
    msg.set_content(body, charset="utf-8")
    if ics is not None:
        if not ics_method:
            raise ValueError("an iCalendar attachment needs its METHOD")
        msg.add_attachment(
            ics.decode("utf-8"),
            subtype="calendar",
            charset="utf-8",
            params={"method": ics_method.upper()},
            filename="interview.ics",
        )
    return msg


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def send_mail(
    *,
    to: str,
    subject: str,
    body: str,
    ics: bytes | None = None,
    ics_method: str | None = None,
    key: str | None = None,
    study: str | None = None,
    about: tuple[str, str] | None = None,
    settings: Settings | None = None,
) -> SentMail:
    """Send one message; raises :class:`MailError` when the server refuses it or cannot be reached."""
    s = _settings(settings)
    digest = hashlib.sha256((key or os.urandom(16).hex()).encode()).hexdigest()[:16]
    message_id = f"<{digest}.keireki@{_domain(s.mail_from)}>"
    msg = build_message(
        sender=s.mail_from,
        to=to,
        subject=subject,
        body=body,
        ics=ics,
        ics_method=ics_method,
        message_id=message_id,
        study=study,
        about=about,
    )
    if s.smtp_url:
        _send_smtp(s.smtp_url, msg)
        return SentMail(transport="smtp", message_id=message_id)
    try:
        path = _write_outbox(s, msg, digest, key)
    except OSError as exc:  # a full or read-only disk: a delivery failure like a refusing server
        raise MailError(f"{type(exc).__name__}: {exc}"[:300]) from exc
    return SentMail(transport="outbox", message_id=message_id, path=path)


def _write_outbox(s: Settings, msg: EmailMessage, digest: str, key: str | None) -> Path:
    folder = outbox_dir(s)
    existing = sorted(folder.glob(f"*-{digest}.eml")) if key else []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = existing[0] if existing else folder / f"{stamp}-{digest}.eml"
    # Written to a temporary file and renamed: a reader never sees half a message, a resend replaces it.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes(policy=policy.SMTP))
    os.replace(tmp, path)
    return path


def _send_smtp(url: str, msg: EmailMessage) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    try:
        if parts.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                host, parts.port or 465, timeout=30, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(host, parts.port or 587, timeout=30)
        with server:
            if parts.scheme != "smtps" and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}"[:300]) from exc


def list_outbox(
    *, study: str | None = None, settings: Settings | None = None, limit: int = 200
) -> list[OutboxItem]:
    """The newest messages of the embedded outbox (headers only), of one study when ``study`` is given."""
    folder = outbox_dir(settings)
    items: list[OutboxItem] = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        if len(items) >= limit:
            break
        with path.open("rb") as fh:
            headers = BytesParser(policy=policy.default).parse(fh, headersonly=True)
        of = str(headers[STUDY_HEADER] or "")
        if study is not None and of != study:
            continue
        at = datetime.strptime(path.name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        items.append(
            OutboxItem(
                name=path.name,
                at=at,
                study=of,
                to=str(headers["To"] or ""),
                subject=str(headers["Subject"] or ""),
                size=path.stat().st_size,
                participant=str(headers[PARTICIPANT_HEADER] or ""),
                audience=str(headers[AUDIENCE_HEADER] or ""),
            )
        )
    return items


def read_outbox(name: str, *, settings: Settings | None = None) -> EmailMessage | None:
    """One message of the outbox by file name; None for an unknown or malformed name."""
    if not _OUTBOX_NAME.match(name):
        return None
    path = outbox_dir(settings) / name
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    return message


def _about(path: Path, study: str, participant: str, wanted: str) -> bool:
    with path.open("rb") as fh:
        headers = BytesParser(policy=policy.default).parse(fh, headersonly=True)
    if str(headers[STUDY_HEADER] or "") != study:
        return False
    if str(headers[PARTICIPANT_HEADER] or "") == participant:
        return True
    return bool(wanted) and str(headers["To"] or "").strip().lower() == wanted


def _redact_message(path: Path, *, address: str, to: str, attendee: str) -> None:
    """Rewrite one outbox message with ``address`` replaced: in To: by ``to``, in the ``.ics`` by ``attendee``."""
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    if str(msg.get("To", "")).strip().lower() == address:
        msg.replace_header("To", to)
    pattern = re.compile(r"mailto:" + re.escape(address), re.IGNORECASE)
    for part in msg.walk():
        if part.get_content_type() != "text/calendar":
            continue
        text = part.get_content()
        if pattern.search(text):
            method = part.get_param("method")
            filename = part.get_filename()
            part.set_content(pattern.sub(attendee, text), subtype="calendar", charset="utf-8",
                             disposition="attachment" if filename else None, filename=filename,
                             params={"method": method} if method else None)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes(policy=policy.SMTP))
    os.replace(tmp, path)


def remove_from_outbox(*, study: str, participant: str, address: str | None, erase: bool, to: str,
                       settings: Settings | None = None) -> int:
    """The study's outbox messages about ``participant`` (by header) or sent to ``address``: deleted with
    ``erase``, else rewritten with the address replaced (``to`` in To:, the participant's URN in the
    ``.ics``). Returns how many were changed."""
    wanted = (address or "").strip().lower()
    changed = 0
    for path in outbox_dir(settings).glob("*.eml"):
        if not _about(path, study, participant, wanted):
            continue
        if erase:
            path.unlink(missing_ok=True)
        elif wanted:
            _redact_message(path, address=wanted, to=to, attendee=f"urn:keireki:participant:{participant}")
        else:
            continue
        changed += 1
    return changed
