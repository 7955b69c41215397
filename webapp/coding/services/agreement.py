"""Agreement among a study's coders, per pair of coders, per code and overall, and where they disagree.

Coders are users with codings (consensus codings are not a coder). Coders are compared two by two: every
pair of the chosen coders (default: every coder) who coded at least one same transcript, each pair on the
transcripts both coded — there, a paragraph a coder left uncoded is a deliberate "no". A coder who shares
no transcript with another is listed but compared with nobody. The report is downloadable as CSV and as a
short HTML page (figures and code names only: no quote).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from sqlmodel import Session, col, select

from webapp.coding.core import agreement as core
from webapp.coding.core import paragraphs as para
from webapp.coding.services import codebook
from webapp.coding.services import transcripts as sources
from webapp.models import Code, Coding, Study, Transcript
from workers.records import coded

#: Columns of ``agreement.csv`` and of the bundle's ``agreement_by_code.csv``.
COLUMNS = ["coder_a", "coder_b", "n_transcripts", "code", "n_units", "n_coders", "kappa", "alpha", "overlap"]


def coder_ref(coding: Coding) -> str:
    """The pseudonymous coder reference of the records and exports."""
    return coded.coder_ref(coder_id=coding.coder_id, consensus=coding.consensus, external=coding.external_coder)


@dataclass
class Disagreement:
    transcript: Transcript
    paragraph: int
    by_coder: dict[str, list[str]]  #: coder ref -> code names applied to the paragraph


@dataclass
class Pair:
    """Two coders compared on the transcripts both coded."""

    coders: tuple[str, str]
    transcripts: list[Transcript]
    rows: list[core.CodeAgreement]
    overall: core.CodeAgreement


@dataclass
class Report:
    available: list[str]  #: every coder of the study (on the chosen transcripts)
    coders: list[str]  #: the coders chosen (default: every coder)
    pairs: list[Pair]  #: the chosen coders two by two, those who coded at least one same transcript
    transcripts: list[Transcript]  #: transcripts in at least one pair
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def compared(self) -> list[str]:
        """The chosen coders who are in at least one pair."""
        return sorted({c for pair in self.pairs for c in pair.coders})


def _applied(codings: list[Coding], transcripts: dict[int, Transcript], names: dict[int, str]) -> list[core.Applied]:
    out = []
    for c in codings:
        parts = sources.paragraphs(transcripts[c.transcript_id])
        out.append(core.Applied(coder=coder_ref(c), transcript=c.transcript_id, code=names[c.code_id],
                                start=c.start, end=c.end, paragraphs=tuple(para.paragraphs_of(parts, c.start, c.end))))
    return out


def report(*, session: Session, study: Study, coders: list[str] | None = None,
           transcript_ids: list[int] | None = None) -> Report:
    """Agreement of ``coders`` (refs, default: every coder), pair by pair, each pair on the transcripts both
    coded (narrowed to ``transcript_ids`` when given)."""
    codes = codebook.codes(session=session, study=study, include_inactive=True)
    names = {c.id: c.name for c in codes if c.id is not None}
    query = select(Coding).where(Coding.study_id == study.id, col(Coding.consensus).is_(False))
    if transcript_ids:
        query = query.where(col(Coding.transcript_id).in_(transcript_ids))
    codings = list(session.exec(query.order_by(col(Coding.id))))
    by_transcript: dict[int, set[str]] = defaultdict(set)
    for c in codings:
        by_transcript[c.transcript_id].add(coder_ref(c))
    available = sorted({ref for refs in by_transcript.values() for ref in refs})
    chosen = sorted(set(coders) & set(available)) if coders else available
    shared = {pair: sorted(t for t, refs in by_transcript.items() if set(pair) <= refs)
              for pair in combinations(chosen, 2)}
    shared = {pair: ids for pair, ids in shared.items() if ids}
    compared = sorted({t for ids in shared.values() for t in ids})
    if not compared:
        return Report(available=available, coders=chosen, pairs=[], transcripts=[])
    transcripts = {t.id: t for t in session.exec(select(Transcript).where(col(Transcript.id).in_(compared)))}
    codings = [c for c in codings if c.transcript_id in transcripts and coder_ref(c) in chosen]
    applied = _applied(codings, transcripts, names)  # type: ignore[arg-type]
    used = [c.name for c in codes if c.status != "merged"]
    pairs = []
    for pair, ids in shared.items():
        units = [(t, n) for t in ids for n in range(1, len(transcripts[t].paragraphs) + 1)]
        mine = [a for a in applied if a.transcript in ids]
        rows, overall = core.by_code(applied=mine, coders=list(pair), units=units, codes=used)
        pairs.append(Pair(coders=pair, transcripts=[transcripts[t] for t in ids], rows=rows, overall=overall))
    coded_by = {t: by_transcript[t] & set(chosen) for t in compared}
    return Report(available=available, coders=chosen, pairs=pairs, transcripts=[transcripts[t] for t in compared],
                  disagreements=_disagreements(applied, coded_by, transcripts))  # type: ignore[arg-type]


def _disagreements(applied: list[core.Applied], coded_by: dict[int, set[str]],
                   transcripts: dict[int, Transcript]) -> list[Disagreement]:
    """Paragraphs where the chosen coders of a transcript (those who coded it) applied different codes."""
    marks: dict[tuple[int, int], dict[str, set[str]]] = {}
    for tid, refs in coded_by.items():
        for number in range(1, len(transcripts[tid].paragraphs) + 1):
            marks[(tid, number)] = {c: set() for c in sorted(refs)}
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
    """``agreement_by_code`` rows, pair by pair: per code, then the overall row (code ``_overall``), each with
    the number of transcripts both coders coded."""
    out: list[dict[str, str | int]] = []
    for pair in result.pairs:
        for r in [*pair.rows, pair.overall]:
            out.append({"coder_a": pair.coders[0], "coder_b": pair.coders[1], "n_transcripts": len(pair.transcripts),
                        "code": r.code or "_overall", "n_units": r.n_units, "n_coders": r.n_coders,
                        "kappa": _fmt(r.kappa), "alpha": _fmt(r.alpha), "overlap": _fmt(r.overlap)})
    return out


def to_csv(result: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(agreement_rows(result))
    return buffer.getvalue()


def code_names(*, session: Session, study: Study) -> dict[str, Code]:
    return {c.name: c for c in codebook.codes(session=session, study=study, include_inactive=True)}
