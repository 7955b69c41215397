"""The coding's files of an export bundle, written from plain rows (no database).

Every bundle: ``codes.csv`` (the codebook: code, parent, label, description, is_skill_event,
codebook_version; ``codes_labels.csv`` every translated label) and ``agreement_by_code.csv``. A bundle with
personal data also gets ``coded_segments.csv`` (the quotes) and the REFI-QDA project ``<study>.qdpx``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from instruments.contract import AGREEMENT_BY_CODE, CODED_SEGMENTS, CODES, Table
from workers.exports.cells import as_text

LABEL_COLUMNS = ("code", "language", "label")


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> bytes:
    """A CSV file (UTF-8, CRLF like the other tables), cells neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([as_text(v) for v in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def coding_files(*, codes: Iterable[Sequence[object]], labels: Iterable[Sequence[object]],
                 agreement: Iterable[Sequence[object]], segments: Iterable[Sequence[object]] | None,
                 qdpx: bytes | None, study: str, bom: bool = False) -> dict[str, bytes]:
    """File name -> bytes of the coding's part of a bundle (``segments``/``qdpx`` only with personal data)."""
    out = {
        f"{CODES.name}.csv": table_csv(CODES.column_names, codes, bom=bom),
        "codes_labels.csv": table_csv(LABEL_COLUMNS, labels, bom=bom),
        f"{AGREEMENT_BY_CODE.name}.csv": table_csv(AGREEMENT_BY_CODE.column_names, agreement, bom=bom),
    }
    if segments is not None:
        out[f"{CODED_SEGMENTS.name}.csv"] = table_csv(CODED_SEGMENTS.column_names, segments, bom=bom)
    if qdpx is not None:
        out[f"{study}.qdpx"] = qdpx
    return out


def tables() -> tuple[Table, ...]:
    """The contract tables these files follow (for the codebook documentation)."""
    return (CODES, AGREEMENT_BY_CODE, CODED_SEGMENTS)
