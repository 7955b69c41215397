"""Agreement among a study's coders, per code and overall, and where they disagree (paragraph by paragraph).

Coders are users with codings (consensus codings are not a coder); a transcript counts when every chosen
coder coded it at least once — there, a paragraph a coder left uncoded is a deliberate "no". The report
is downloadable as CSV and as a short HTML page (figures and code names only: no quote).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from webapp.coding.core import agreement as core
from webapp.coding.core import paragraphs as para
from webapp.coding.services import codebook
from webapp.coding.services import transcripts as sources
from webapp.models import Code, Coding, Study, Transcript
from workers.records import coded


def coder_ref(coding: Coding) -> str:
    """The pseudonymous coder reference of the records and exports."""
    return coded.coder_ref(coder_id=coding.coder_id, consensus=coding.consensus, external=coding.external_coder)


@dataclass
class Disagreement:
    transcript: Transcript
    paragraph: int
    by_coder: dict[str, list[str]]  #: coder ref -> code names applied to the paragraph


@dataclass
class Report:
    coders: list[str]
    transcripts: list[Transcript]
    rows: list[core.CodeAgreement]
    overall: core.CodeAgreement | None
    disagreements: list[Disagreement] = field(default_factory=list)


def _applied(codings: list[Coding], transcripts: dict[int, Transcript], names: dict[int, str]) -> list[core.Applied]:
    out = []
    for c in codings:
        parts = sources.paragraphs(transcripts[c.transcript_id])
        out.append(core.Applied(coder=coder_ref(c), transcript=c.transcript_id, code=names[c.code_id],
                                start=c.start, end=c.end, paragraphs=tuple(para.paragraphs_of(parts, c.start, c.end))))
    return out


def report(*, session: Session, study: Study, coders: list[str] | None = None,
           transcript_ids: list[int] | None = None) -> Report:
    """Agreement of ``coders`` (refs, default: every coder) on the transcripts they all coded."""
    codes = codebook.codes(session=session, study=study, include_inactive=True)
    names = {c.id: c.name for c in codes if c.id is not None}
    query = select(Coding).where(Coding.study_id == study.id, col(Coding.consensus).is_(False))
    if transcript_ids:
        query = query.where(col(Coding.transcript_id).in_(transcript_ids))
    codings = list(session.exec(query.order_by(col(Coding.id))))
    by_transcript: dict[int, set[str]] = defaultdict(set)
    for c in codings:
        by_transcript[c.transcript_id].add(coder_ref(c))
    chosen = sorted(coders or {ref for refs in by_transcript.values() for ref in refs})
    shared = sorted(t for t, refs in by_transcript.items() if set(chosen) <= refs)
    if len(chosen) < 2 or not shared:
        return Report(coders=chosen, transcripts=[], rows=[], overall=None)
    transcripts = {t.id: t for t in session.exec(select(Transcript).where(col(Transcript.id).in_(shared)))}
    codings = [c for c in codings if c.transcript_id in transcripts and coder_ref(c) in chosen]
    applied = _applied(codings, transcripts, names)  # type: ignore[arg-type]
    units = [(t, n) for t in shared for n in range(1, len(transcripts[t].paragraphs) + 1)]
    used = [c.name for c in codes if c.status != "merged"]
    rows, overall = core.by_code(applied=applied, coders=chosen, units=units, codes=used)
    return Report(coders=chosen, transcripts=[transcripts[t] for t in shared], rows=rows, overall=overall,
                  disagreements=_disagreements(applied, chosen, transcripts))  # type: ignore[arg-type]


def _disagreements(applied: list[core.Applied], coders: list[str],
                   transcripts: dict[int, Transcript]) -> list[Disagreement]:
    marks: dict[tuple[int, int], dict[str, set[str]]] = defaultdict(lambda: {c: set() for c in coders})
    for a in applied:
        for p in a.paragraphs:
            marks[(int(a.transcript), p)][a.coder].add(a.code)  # type: ignore[call-overload]
    out = []
    for (tid, number), by_coder in sorted(marks.items()):
        if len({frozenset(v) for v in by_coder.values()}) > 1:
            out.append(Disagreement(transcripts[tid], number, {k: sorted(v) for k, v in by_coder.items()}))
    return out


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def agreement_rows(result: Report) -> list[dict[str, str | int]]:
    """``agreement_by_code`` rows (contract columns plus ``overlap``); the overall row has code ``_overall``."""
    rows = list(result.rows) + ([result.overall] if result.overall else [])
    return [{"code": r.code or "_overall", "n_units": r.n_units, "n_coders": r.n_coders, "kappa": _fmt(r.kappa),
             "alpha": _fmt(r.alpha), "overlap": _fmt(r.overlap)} for r in rows]


def to_csv(result: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["code", "n_units", "n_coders", "kappa", "alpha", "overlap"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(agreement_rows(result))
    return buffer.getvalue()


def code_names(*, session: Session, study: Study) -> dict[str, Code]:
    return {c.name: c for c in codebook.codes(session=session, study=study, include_inactive=True)}
