"""The coding's part of a study's export bundle: codebook and agreement always; quotes and .qdpx with PII."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from instruments.contract import CODED_SEGMENTS
from webapp.coding.core import qdpx
from webapp.coding.services import agreement, codebook, qdpx_export
from webapp.models import RECORD_TABLES, Codebook, Study
from workers.exports.coding import coding_files


def _number(text: str | int) -> float | None:
    return float(text) if text not in ("", None) else None


def files_for_export(study: Study, *, session: Session, with_pii: bool, bom: bool = False) -> dict[str, bytes]:
    """Receiver of :data:`webapp.exports.services.bundle_files`."""
    return files(session=session, study=study, with_pii=with_pii, bom=bom)


def files(*, session: Session, study: Study, with_pii: bool, bom: bool = False) -> dict[str, bytes]:
    """File name -> bytes for the bundle (see :mod:`workers.exports.coding`)."""
    book = session.exec(select(Codebook).where(Codebook.study_id == study.id)).first()
    if book is None:  # coding never used: the built-in codebook, no agreement, no quotes (and nothing written)
        builtin = [(name, None, label, description, True, 1)
                   for name, (_colour, label, description) in codebook.BUILTIN.items()]
        labels = [(name, "en", label) for name, (_colour, label, _d) in codebook.BUILTIN.items()]
        return coding_files(codes=builtin, labels=labels, agreement=[], segments=[] if with_pii else None,
                            qdpx=None, study=study.slug, bom=bom)
    codes = [c for c in codebook.codes(session=session, study=study, include_inactive=True) if c.status != "merged"]
    names = {c.id: c.name for c in codes}
    code_rows = [(c.name, names.get(c.parent_id) if c.parent_id else None,
                  c.labels.get(study.default_language) or codebook.label(c, study.default_language), c.description,
                  bool(c.skill_event), book.version) for c in codes]
    label_rows = [(c.name, lang, text) for c in codes for lang, text in sorted(c.labels.items())]
    report = agreement.report(session=session, study=study)
    agreement_rows = [(r["coder_a"], r["coder_b"], r["n_transcripts"], r["code"], r["n_units"], r["n_coders"],
                       _number(r["kappa"]), _number(r["alpha"]), _number(r["overlap"]))
                      for r in agreement.agreement_rows(report)]
    segments = None
    project = None
    if with_pii:
        table = RECORD_TABLES[CODED_SEGMENTS.name]
        columns = [table.c[name] for name in CODED_SEGMENTS.column_names]
        segments = [tuple(r) for r in session.execute(
            sa.select(*columns).where(table.c.study_id == study.id)
            .order_by(table.c.participant_code, table.c.segment_id)).all()]
        project = qdpx.write(qdpx_export.project(session=session, study=study))
    return coding_files(codes=code_rows, labels=label_rows, agreement=agreement_rows, segments=segments,
                        qdpx=project, study=study.slug, bom=bom)
