"""Taking part, as services: a participant is created, consents, saves drafts page by page, submits once.

Used by the participant's web pages (``webapp.participate``) and by anything that creates participants
programmatically (the demo seeder). Every function is keyword-only and takes the session; the ones that
end a step commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from instruments import engine
from instruments.model import Instrument
from webapp.crypto import hash_token
from webapp.db import begin_serialised, note_written, without_write_lock
from webapp.models import Channel, Consent, Draft, InstrumentVersion, Participant, Response, Study
from webapp.services import careers, uploads
from webapp.services.passwords import hash_code, verify_code
from webapp.services.studies import current_version, instrument_of, version_by_id

log = logging.getLogger(__name__)

#: Participant code prefixes by participant type.
CODE_PREFIXES = {"ti": "TI", "sie": "SIE", "manager": "MGR"}
#: The resume code's alphabet: no 0/O, 1/I/L, 5/S or 8/B to confuse on paper.
CODE_ALPHABET = "2346789ACDEFGHJKMNPQRTUVWXYZ"
#: Wrong resume codes after which the code stops working for that participant (the link still works).
MAX_RESUME_FAILURES = 10


class IncompleteError(ValueError):
    """A submission misses required answers; ``missing`` holds their paths (``jobs[0].start``)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"required answers missing: {', '.join(missing)}")
        self.missing = missing


@dataclass(frozen=True)
class NewParticipant:
    """A created participant with its secrets, which exist only here: show them once, then forget."""

    participant: Participant
    token: str  #: the resume link's token
    code: str  #: the short resume code, grouped ("K7QM-3XPD")


def _id(value: int | None) -> int:
    """The id of a stored row (rows reach services flushed, so it is set)."""
    assert value is not None
    return value


def new_resume_code() -> str:
    """Eight characters from an alphabet that survives handwriting, grouped by four."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_resume_code(typed: str) -> str:
    """What a participant typed, as the canonical code: upper case, grouped, spaces and dashes ignored."""
    import unicodedata

    text = "".join(ch for ch in unicodedata.normalize("NFKC", typed).upper() if ch.isalnum())[:32]
    return f"{text[:4]}-{text[4:]}"


def normalise_participant_code(typed: str) -> str:
    """A participant code as typed (``ti0039``, ``TI 0039``, ``ＴＩ－００３９``) as stored (``TI-0039``):
    any case, spaces and dashes ignored, digits of any script read."""
    import re
    import unicodedata

    text = "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
        for ch in unicodedata.normalize("NFKC", typed).upper()
        if ch.isalnum()
    )[:16]
    match = re.fullmatch(r"([A-Z]+)([0-9]+)", text)
    return f"{match[1]}-{match[2]}" if match else text


def _next_code(session: Session, study_id: int, prefix: str) -> str:
    codes = session.exec(
        select(Participant.code).where(Participant.study_id == study_id, Participant.code.like(f"{prefix}-%"))  # type: ignore[attr-defined]
    ).all()
    numbers = [int(tail) for c in codes if (tail := c.partition("-")[2]).isascii() and tail.isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def hashed_resume_code() -> tuple[str, str]:
    """A new resume code and its argon2 hash (``(code, hash)``): CPU work to do before a write lock."""
    code = new_resume_code()
    return code, hash_code(code)


def create_participant(
    *,
    session: Session,
    study: Study,
    participant_type: str,
    language: str,
    channel_code: str | None,
    now: datetime,
    resume_code: tuple[str, str] | None = None,
) -> NewParticipant:
    """Create an eligible person as a participant (status ``screened``) with a sequential code per type,
    a resume token and a resume code (``resume_code``: one from :func:`hashed_resume_code`, made before a
    caller's write lock). Commits; retries on a code taken concurrently."""
    prefix = CODE_PREFIXES[participant_type]
    channel_id = None
    if channel_code:
        channel = session.exec(
            select(Channel).where(Channel.study_id == study.id, Channel.code == channel_code)
        ).first()
        channel_id = channel.id if channel else None
    study_id = _id(study.id)
    token = secrets.token_urlsafe(32)
    code, code_hash = resume_code or without_write_lock(session, hashed_resume_code)  # CPU, not under the lock
    for _attempt in range(20):
        participant = Participant(
            study_id=study_id,
            code=_next_code(session, study_id, prefix),
            participant_type=participant_type,
            form_language=language,
            channel_id=channel_id,
            resume_token_hash=hash_token(token),
            resume_code_hash=code_hash,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(participant)
        except sa.exc.IntegrityError:
            continue
        session.commit()
        return NewParticipant(participant, token, code)
    raise RuntimeError("could not allocate a participant code")  # pragma: no cover


def count_ineligible(*, session: Session, study: Study, channel_code: str | None) -> None:
    """Count an ineligible screening for its channel (a number only). Commits."""
    if not channel_code:
        return
    session.execute(
        sa.update(Channel)
        .where(Channel.study_id == study.id, Channel.code == channel_code)  # type: ignore[arg-type]
        .values(ineligible_count=Channel.ineligible_count + 1)
    )
    session.commit()


def participant_by_token(*, session: Session, study: Study, token: str) -> Participant | None:
    if not token or len(token) > 128:
        return None
    return session.exec(
        select(Participant).where(
            Participant.study_id == study.id, Participant.resume_token_hash == hash_token(token)
        )
    ).first()


def check_resume_code(
    *, session: Session, study: Study, participant_code: str, code: str
) -> Participant | None:
    """The participant whose code matches, or None (wrong code, unknown participant, or locked after
    :data:`MAX_RESUME_FAILURES` wrong codes). Counts failures; commits."""
    participant = session.exec(
        select(Participant).where(
            Participant.study_id == study.id,
            Participant.code == normalise_participant_code(participant_code),
        )
    ).first()
    if participant is None or participant.status == "withdrawn":
        verify_code(None, code)  # the same time as a real check
        return None
    if participant.resume_failures >= MAX_RESUME_FAILURES:
        return None
    if not verify_code(participant.resume_code_hash, normalise_resume_code(code)):
        participant.resume_failures += 1
        session.add(participant)
        session.commit()
        return None
    participant.resume_failures = 0
    session.add(participant)
    session.commit()
    return participant


def new_token(*, session: Session, participant: Participant, now: datetime) -> str:
    """Give the participant a new resume link (the old one stops working). Commits."""
    token = secrets.token_urlsafe(32)
    participant.resume_token_hash = hash_token(token)
    participant.resume_failures = 0
    participant.updated_at = now
    session.add(participant)
    session.commit()
    return token


def consent_text(*, instrument: Instrument, language: str) -> str:
    """The consent text as shown: the consent instrument's notes, in order, in ``language``."""
    return "\n\n".join(instrument.text(q.label, language) for q in instrument.questions() if q.type == "note")


def record_consent(
    *,
    session: Session,
    participant: Participant,
    version: InstrumentVersion,
    language: str,
    withdrawal_data: str,
    now: datetime,
) -> Consent:
    """Store the consent to the text shown in ``language`` (version, time, SHA-256 of the text) and set
    the participant ``consented``. Commits."""
    instrument = instrument_of(version)
    text = consent_text(instrument=instrument, language=language)
    consent = Consent(
        participant_id=participant.id,  # type: ignore[arg-type]
        instrument_version_id=version.id,  # type: ignore[arg-type]
        consent_version=str(instrument.settings.get("consent_version", version.version)),
        language=language,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        agreed_at=now,
        withdrawal_data=withdrawal_data if withdrawal_data in ("keep", "erase") else "keep",
    )
    session.add(consent)
    if participant.status == "screened":
        participant.status = "consented"
    participant.form_language = language
    participant.updated_at = now
    session.add(participant)
    session.commit()
    return consent


def intake_id(study: Study, participant_type: str) -> str | None:
    intake = study.steps.get("intake")
    return intake.get(participant_type) if isinstance(intake, dict) else None


def open_draft(*, session: Session, participant: Participant, now: datetime) -> Draft | None:
    """The participant's intake draft, created (pinned to the current instrument version) if needed;
    None when the intake was already submitted or the study has no intake for the type."""
    study = session.get(Study, participant.study_id)
    assert study is not None
    instrument_id = intake_id(study, participant.participant_type)
    if instrument_id is None:
        return None
    draft = session.exec(
        select(Draft).where(Draft.participant_id == participant.id, Draft.instrument_id == instrument_id)
    ).first()
    if draft is not None:
        return draft
    if session.exec(
        select(Response.id).where(
            Response.participant_id == participant.id, Response.instrument_id == instrument_id
        )
    ).first():
        return None
    version = current_version(
        session=session,
        study_id=study.id,  # type: ignore[arg-type]
        instrument_id=instrument_id,
    )
    if version is None:
        return None
    draft = Draft(
        participant_id=_id(participant.id),
        instrument_id=instrument_id,
        instrument_version_id=_id(version.id),
        answers={},
        meta={},
        updated_at=now,
        expires_at=now + timedelta(days=study.draft_expiry_days),
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except sa.exc.IntegrityError:  # opened concurrently (a double tap)
        return session.exec(
            select(Draft).where(Draft.participant_id == participant.id, Draft.instrument_id == instrument_id)
        ).first()
    session.commit()
    return draft


#: A draft's saved state, one statement built once (an ORM flush of the loaded draft costs more than the page).
_SAVE_DRAFT = (
    sa.update(Draft)
    .where(col(Draft.id) == sa.bindparam("draft_id"))
    .values({name: sa.bindparam(name) for name in ("answers", "meta", "page", "updated_at", "expires_at")})
)


_DRAFT_STAMP = sa.select(col(Draft.updated_at)).where(col(Draft.id) == sa.bindparam("draft_id")).with_for_update()


def lock_draft(*, session: Session, draft: Draft) -> Draft:
    """``draft`` read again inside a write transaction, its row locked until the save commits.

    For a read-modify-write of the draft (a page or an entry posted): two saves of one participant at the
    same moment (two tabs, two phones, a double tap) then run one after the other, the second starting from
    what the first saved, instead of both starting from the same answers (the second would drop the first's
    entry). On SQLite a request that posts holds the write lock from its first statement (``BEGIN
    IMMEDIATE``, :mod:`webapp.db`), so the draft it loaded is the latest and stays so: nothing to do. On
    PostgreSQL the row is locked ``FOR UPDATE`` reading only its ``updated_at`` (every save sets it); the
    whole draft is read again only when another save changed it since it was loaded (refreshed in place and
    returned): a page save costs one small statement more, not a second load of the answers.
    """
    if session.get_bind().dialect.name == "sqlite":
        return draft
    stamp = session.execute(_DRAFT_STAMP, {"draft_id": draft.id}).scalar()
    if stamp is None or stamp == draft.updated_at:
        return draft
    found = session.exec(
        select(Draft).where(col(Draft.id) == draft.id).with_for_update().execution_options(populate_existing=True)
    ).first()
    return found if found is not None else draft


def save_page(
    *,
    session: Session,
    draft: Draft,
    answers: dict[str, Any],
    meta: dict[str, Any],
    page: str | None,
    now: datetime,
) -> Draft:
    """Save a page's state into the draft and push its expiry ``draft_expiry_days`` past now. Commits.

    One UPDATE of the draft's row (the loaded ``draft`` then holds what was written, as committed state);
    the participant and the study are in the session already (the page loaded them), so they cost no query.
    """
    participant = session.get(Participant, draft.participant_id)
    study = session.get(Study, participant.study_id) if participant else None
    days = study.draft_expiry_days if study else 30
    values = {"answers": answers, "meta": meta, "page": page, "updated_at": now,
              "expires_at": now + timedelta(days=days)}
    if draft.id is None or draft in session.new:  # not yet written: the ORM inserts it
        for key, value in values.items():
            setattr(draft, key, value)
        session.add(draft)
    else:
        session.connection().execute(_SAVE_DRAFT, {"draft_id": draft.id, **values})
        note_written(session)
        for key, value in values.items():
            set_committed_value(draft, key, value)
    session.commit()
    return draft


def submit_response(
    *, session: Session, participant: Participant, draft: Draft | None, now: datetime
) -> Response:
    """Submit the draft once: prune irrelevant answers, check required ones, store the immutable
    response, set the participant ``submitted``, delete the draft and the uploads no answer refers to any
    more (:func:`webapp.services.uploads.forget_unanswered`), and queue the career-records job.

    Runs as a serialised transaction (concurrent submits of one participant queue up), so a second
    call — a double tap, a retry, the back button, at the same moment or later — returns the response
    already stored. Raises :class:`IncompleteError` when required answers are missing and
    ``LookupError`` when there is neither a draft nor a response. Commits.
    """
    instrument_id = draft.instrument_id if draft is not None else None
    session.commit()
    begin_serialised(session)
    person = session.exec(select(Participant).where(Participant.id == participant.id).with_for_update()).one()
    query = select(Response).where(Response.participant_id == person.id)
    if instrument_id is not None:
        query = query.where(Response.instrument_id == instrument_id)
    existing = session.exec(query.order_by(col(Response.id).desc())).first()
    current = None
    if instrument_id is not None:
        current = session.exec(
            select(Draft).where(Draft.participant_id == person.id, Draft.instrument_id == instrument_id)
        ).first()
    if existing is not None or current is None:
        session.commit()
        if existing is None:
            raise LookupError("nothing to submit")
        return existing
    version = version_by_id(session=session, version_id=current.instrument_version_id)
    assert version is not None
    instrument = instrument_of(version)
    today = now.date()
    answers = engine.prune_irrelevant(instrument, current.answers, today)
    missing = engine.required_missing(instrument, answers, today)
    if missing:
        session.rollback()
        raise IncompleteError(missing)
    meta = _kept_meta(current.meta or {}, answers)
    verdict = careers.timeline_verdict(instrument=instrument, answers=answers, meta=current.meta or {}, today=today)
    if verdict is not None:
        meta["timeline_confirmed"] = verdict
    answers = {**answers, **engine.metadata_answers(instrument, start=person.created_at, end=now,
                                                    username=person.code)}
    response = Response(
        participant_id=_id(person.id),
        instrument_id=current.instrument_id,
        instrument_version_id=_id(version.id),
        answers=answers,
        meta=meta,
        submitted_at=now,
    )
    session.add(response)
    session.delete(current)
    uploads.forget_unanswered(session=session, participant_id=_id(person.id))
    if person.status != "withdrawn":
        person.status = "submitted"
    person.updated_at = now
    session.add(person)
    session.commit()
    from kombu.exceptions import KombuError

    from workers.jobs import enqueue_conversion

    try:
        enqueue_conversion(session=session, participant_id=_id(person.id), study_id=person.study_id)
    except (KombuError, OSError):
        # The job row is committed before its message is sent: beat's sweeper sends it again later.
        # The participant's submission has succeeded and must not turn into an error page.
        log.warning("conversion of participant %s queued, but the broker is unreachable", person.id)
    return response


def answer_at(answers: dict[str, Any], path: str) -> bool:
    """Whether ``path`` (``jobs[1].start``) names an answer in ``answers``."""
    scope: Any = answers
    for part in re.split(r"(?<=\])\.", path):  # names may hold dots: only "]." separates steps
        name, _, index = part.partition("[")
        if not isinstance(scope, dict) or name not in scope:
            return False
        scope = scope[name]
        if index:
            number = index.rstrip("]")
            if not (number.isascii() and number.isdigit()) or not isinstance(scope, list) or int(number) >= len(scope):
                return False
            scope = scope[int(number)]
    return True


def _kept_meta(meta: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The draft's ``raw`` and ``flags`` for the answers that are submitted (pending values are dropped)."""
    raw = {p: v for p, v in (meta.get("raw") or {}).items() if answer_at(answers, p)}
    flags = [
        f for f in meta.get("flags") or [] if isinstance(f, dict) and answer_at(answers, str(f.get("path")))
    ]
    return {"raw": raw, "flags": flags}


def expire_drafts(*, session: Session, now: datetime) -> int:
    """Delete drafts whose expiry passed (participants who started and never came back). Commits."""
    result = session.execute(sa.delete(Draft).where(Draft.expires_at < now))  # type: ignore[arg-type]
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
