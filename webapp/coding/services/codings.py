"""Applying codes to passages, and memos. Every refusal is a :class:`CodingError`; nothing is half-saved.

A skill-construction coding carries the contract's ``actor`` and ``skill_domain`` and, optionally, one of the
participant's own career episodes (``rec_episodes``) — any other episode is refused. Saving or removing a
coding queues the participant's records rebuild (coded skill events and coded segments).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from instruments.contract import vocabulary
from webapp.coding.core import paragraphs as para
from webapp.coding.services import CodingError
from webapp.coding.services import transcripts as sources
from webapp.models import RECORD_TABLES, Code, Coding, Memo, Transcript, User, utcnow
from webapp.models.coding import MEMO_TARGETS
from workers.jobs import enqueue_conversion

MAX_MEMO = 10000


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def episodes_of(*, session: Session, participant_id: int) -> list[int]:
    """Episode numbers of the participant's career records."""
    table = RECORD_TABLES["episodes"]
    rows = session.execute(sa.select(table.c.episode_no).where(table.c.participant_id == participant_id)
                           .order_by(table.c.episode_no)).scalars().all()
    return [int(n) for n in rows if n is not None]


def _skill_facts(session: Session, transcript: Transcript, code: Code, actor: str | None, domain: str | None,
                 episode_no: int | None, *, required: bool) -> tuple[str | None, str | None, int | None]:
    """Actor, domain and episode of a skill coding, checked (``required``: a coder must give actor and domain;
    an imported coding may lack them, but what it gives must be valid)."""
    if not code.skill_event:
        return None, None, None
    if (required or actor is not None) and actor not in vocabulary("skill_actor"):
        raise CodingError(_("Choose who did it (the actor)."))
    if (required or domain is not None) and domain not in vocabulary("skill_domain"):
        raise CodingError(_("Choose the skill domain."))
    own = episodes_of(session=session, participant_id=transcript.participant_id) if transcript.participant_id else []
    if episode_no is not None and episode_no not in own:
        raise CodingError(_("Choose one of this participant's own career episodes."))
    return actor, domain, episode_no


def span_of(*, transcript: Transcript, start: int | None = None, end: int | None = None,
            first_paragraph: int | None = None, last_paragraph: int | None = None) -> tuple[int, Span]:
    """``(paragraph, span)`` of a character span or of whole paragraphs; refuses spans outside paragraphs."""
    parts = sources.paragraphs(transcript)
    try:
        if first_paragraph is not None:
            s, e = para.whole(parts, first_paragraph, last_paragraph)
            return first_paragraph, Span(s, e)
        if start is None or end is None:
            raise para.SpanError("no span")
        first = para.check_span(parts, start, end)
    except para.SpanError as exc:
        raise CodingError(_("Select a passage inside the transcript's paragraphs.")) from exc
    return first.number, Span(start, end)


def _already(session: Session, transcript: Transcript, code: Code, span: Span, *, coder_id: int | None,
             consensus: bool, external: str | None) -> bool:
    """True when this coder (or the consensus) has coded exactly this passage with this code."""
    query = select(Coding.id).where(Coding.transcript_id == transcript.id, Coding.code_id == code.id,
                                    Coding.start == span.start, Coding.end == span.end,
                                    col(Coding.consensus).is_(consensus))
    query = query.where(col(Coding.coder_id).is_(None) if coder_id is None else Coding.coder_id == coder_id)
    query = query.where(col(Coding.external_coder).is_(None) if external is None else Coding.external_coder == external)
    return session.exec(query).first() is not None


def apply(*, session: Session, transcript: Transcript, code: Code, coder: User | None, span: Span,
          actor: str | None = None, skill_domain: str | None = None, episode_no: int | None = None,
          consensus: bool = False, external_coder: str | None = None, recorded_by: User | None = None,
          memo: str | None = None, guid: str | None = None, queue: bool = True, imported: bool = False) -> Coding:
    """Save one coding of ``span`` with ``code`` by ``coder`` (or the consensus); returns it."""
    if code.study_id != transcript.study_id or code.status != "active":
        raise CodingError(_("This code cannot be applied."))
    paragraph, _span = span_of(transcript=transcript, start=span.start, end=span.end)
    actor, skill_domain, episode_no = _skill_facts(session, transcript, code, actor, skill_domain, episode_no,
                                                   required=not imported)
    coder_id = None if consensus or coder is None else coder.id
    if _already(session, transcript, code, span, coder_id=coder_id, consensus=consensus, external=external_coder):
        raise CodingError(_("This coder has already applied this code to this passage."))
    coding = Coding(study_id=transcript.study_id, transcript_id=transcript.id, code_id=code.id,  # type: ignore[arg-type]
                    guid=guid or str(uuid.uuid4()), coder_id=coder_id,
                    consensus=consensus, external_coder=external_coder, paragraph=paragraph, start=span.start,
                    end=span.end, actor=actor, skill_domain=skill_domain, episode_no=episode_no,
                    recorded_by=(recorded_by or coder).id if (recorded_by or coder) else None)  # type: ignore[union-attr]
    session.add(coding)
    session.flush()
    if memo and memo.strip():
        add_memo(session=session, study_id=transcript.study_id, target="coding", target_id=coding.id,  # type: ignore[arg-type]
                 author=recorded_by or coder, text=memo)
    if queue and transcript.participant_id is not None:
        enqueue_conversion(session=session, participant_id=transcript.participant_id, study_id=transcript.study_id)
    return coding


def remove(*, session: Session, coding: Coding, user: User, lead: bool) -> None:
    """Delete a coding: a coder their own, the lead (owner, researcher) a consensus one."""
    own = coding.coder_id == user.id
    if not (own or (lead and coding.consensus)):
        raise CodingError(_("You can remove only your own codings."))
    transcript = session.get(Transcript, coding.transcript_id)
    for memo in session.exec(select(Memo).where(Memo.target == "coding", Memo.target_id == coding.id)):
        session.delete(memo)
    session.delete(coding)
    session.flush()
    if transcript is not None and transcript.participant_id is not None:
        enqueue_conversion(session=session, participant_id=transcript.participant_id, study_id=transcript.study_id)


def of_transcript(*, session: Session, transcript: Transcript, coder: User | None = None,
                  consensus: bool | None = None) -> list[Coding]:
    """Codings of a transcript in text order; only ``coder``'s, or only consensus ones, when asked."""
    query = select(Coding).where(Coding.transcript_id == transcript.id)
    if coder is not None:
        query = query.where(Coding.coder_id == coder.id, col(Coding.consensus).is_(False))
    if consensus is not None:
        query = query.where(col(Coding.consensus).is_(consensus))
    return list(session.exec(query.order_by(col(Coding.start), col(Coding.end), col(Coding.id))))


def add_memo(*, session: Session, study_id: int, target: str, target_id: int, author: User | None,
             text: str, guid: str | None = None) -> Memo:
    if target not in MEMO_TARGETS:
        raise CodingError("unknown memo target")
    text = para.normalise(text).strip()
    if not text:
        raise CodingError(_("The memo is empty."))
    if len(text) > MAX_MEMO:
        raise CodingError(_("A memo has at most 10000 characters."))
    memo = Memo(study_id=study_id, target=target, target_id=target_id, guid=guid or str(uuid.uuid4()),
                author_id=author.id if author else None, text=text, updated_at=utcnow())
    session.add(memo)
    session.flush()
    return memo


def memos(*, session: Session, target: str, target_ids: list[int]) -> dict[int, list[Memo]]:
    out: dict[int, list[Memo]] = {}
    if not target_ids:
        return out
    for memo in session.exec(select(Memo).where(Memo.target == target, col(Memo.target_id).in_(target_ids))
                             .order_by(col(Memo.id))):
        out.setdefault(memo.target_id, []).append(memo)
    return out
