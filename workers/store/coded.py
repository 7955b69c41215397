"""Loading the coded passages of participants for the records converter (set-based, decrypts quotes).

Skill-construction codings count as skill events when they are consensus codings, or — in a study whose
codebook says ``single_coder`` — when any coder made them. Every coding becomes a ``coded_segments`` row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import current_app
from sqlmodel import Session, col, select

from webapp.crypto import decrypt_bytes
from webapp.db import ids_in
from webapp.models import Code, Codebook, Coding, Memo, Transcript
from workers.records import CodingInput
from workers.records.coded import coder_ref

_TRANSCRIPT_PARTICIPANT = Transcript.__table__.c.participant_id  # type: ignore[attr-defined]


def _text(root: Path, transcript: Transcript) -> str:
    path = (root / transcript.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return ""
    return decrypt_bytes(path.read_bytes()).decode("utf-8")


def load_codings(session: Session, participant_ids: Sequence[int]) -> dict[int, tuple[CodingInput, ...]]:
    """participant id -> their codings as :class:`CodingInput`."""
    dialect = session.get_bind().dialect.name
    transcripts = {t.id: t for t in session.exec(
        select(Transcript).where(ids_in(_TRANSCRIPT_PARTICIPANT, participant_ids, dialect)))}
    if not transcripts:
        return {}
    codings = list(session.exec(select(Coding).where(col(Coding.transcript_id).in_(list(transcripts)))))
    if not codings:
        return {}
    study_ids = {t.study_id for t in transcripts.values()}
    single = {b.study_id: b.single_coder for b in session.exec(
        select(Codebook).where(col(Codebook.study_id).in_(study_ids)))}
    codes = {c.id: c for c in session.exec(select(Code).where(col(Code.study_id).in_(study_ids)))}
    memos: dict[int, list[str]] = {}
    for memo in session.exec(select(Memo).where(Memo.target == "coding",
                                                col(Memo.target_id).in_([c.id for c in codings]))
                             .order_by(col(Memo.id))):
        memos.setdefault(memo.target_id, []).append(memo.text)
    root = Path(current_app.config["KEIREKI"].data_dir).resolve()
    texts = {tid: _text(root, t) for tid, t in transcripts.items()}
    out: dict[int, list[CodingInput]] = {}
    for c in codings:
        transcript = transcripts[c.transcript_id]
        code = codes[c.code_id]
        counts = c.consensus or bool(single.get(transcript.study_id))
        out.setdefault(transcript.participant_id or 0, []).append(CodingInput(
            transcript_ref=transcript.ref, language=transcript.language, paragraph=c.paragraph, start=c.start,
            end=c.end, code=code.name, coder=coder_ref(coder_id=c.coder_id, consensus=c.consensus,
                                                       external=c.external_coder),
            event=code.skill_event, actor=c.actor, skill_domain=c.skill_domain, episode_no=c.episode_no,
            counts=counts, quote=texts[c.transcript_id][c.start:c.end],
            memo="\n\n".join(memos.get(c.id or 0, [])) or None))
    return {pid: tuple(items) for pid, items in out.items()}
