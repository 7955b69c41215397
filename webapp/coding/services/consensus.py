"""The consensus coding: what the lead (an owner or researcher) records after comparing coders.

A consensus coding is a coding without a coder (``consensus`` set). It is what becomes a skill event in
the records, unless the study's codebook says codings of a single coder count (``single_coder``).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from webapp.coding.services import CodingError, codings
from webapp.models import Code, Codebook, Coding, Study, Transcript, User


def adopt(*, session: Session, coding: Coding, lead: User) -> Coding:
    """Record a coder's coding as the consensus (a copy; the coder's own stays theirs)."""
    if coding.consensus:
        raise CodingError(_("This is already a consensus coding."))
    existing = session.exec(select(Coding).where(
        Coding.transcript_id == coding.transcript_id, Coding.code_id == coding.code_id,
        col(Coding.consensus).is_(True), Coding.start == coding.start, Coding.end == coding.end)).first()
    if existing is not None:
        return existing
    transcript = session.get(Transcript, coding.transcript_id)
    code = session.get(Code, coding.code_id)
    assert transcript is not None
    assert code is not None
    return codings.apply(session=session, transcript=transcript, code=code, coder=None,
                         span=codings.Span(coding.start, coding.end), actor=coding.actor,
                         skill_domain=coding.skill_domain, episode_no=coding.episode_no, consensus=True,
                         recorded_by=lead)


def set_single_coder(*, session: Session, study: Study, single: bool) -> Codebook:
    from webapp.coding.services.codebook import codebook

    book = codebook(session=session, study=study)
    book.single_coder = single
    session.add(book)
    session.flush()
    return book
