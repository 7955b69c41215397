"""The coding's files of an export bundle, written from plain rows (no database), and their description.

Every bundle: ``codes.csv`` (the codebook: code, parent, label, description, is_skill_event,
codebook_version; ``codes_labels.csv`` every translated label) and ``agreement_by_code.csv``. A bundle with
personal data also gets ``coded_segments.csv`` (the quotes) and the REFI-QDA project ``<study>.qdpx``.
:data:`TABLES` describes each CSV file for ``datapackage.json`` and the codebook; :func:`study_codes` reads
the study's codes back from the files for the codebook's code list (labels in every study language).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from instruments.contract import AGREEMENT_BY_CODE, CODED_SEGMENTS, CODES, VOCABULARIES, Table
from workers.exports.cells import as_text
from workers.exports.labels import code_labels, label_in
from workers.exports.schema import ExportColumn, ExportTable


def _table(table: Table, *, key: tuple[str, ...] | None = None,
           foreign_keys: tuple[tuple[str, str, str], ...] | None = None) -> ExportTable:
    """Every column of a contract table (the coding's quotes only ever leave in a bundle with personal data)."""
    return ExportTable(name=table.name, label=table.label[:80],
                       columns=tuple(ExportColumn(c.name, c.kind, c.label[:80]) for c in table.columns),
                       primary_key=key or table.primary_key,
                       foreign_keys=table.foreign_keys if foreign_keys is None else foreign_keys)


LABELS = ExportTable(
    name="codes_labels",
    label="Labels of the study's codes in its languages",
    columns=(ExportColumn("code", "string", "Code (see codes)"),
             ExportColumn("language", "string", "Language of the label (BCP 47)"),
             ExportColumn("label", "string", "Label of the code in that language")),
    primary_key=("code", "language"),
    foreign_keys=(("code", "codes", "code"),),
)
LABEL_COLUMNS = LABELS.column_names

#: The coding's CSV files (name without ``.csv``) as tables, in bundle order.
TABLES: dict[str, ExportTable] = {t.name: t for t in (
    _table(CODES), LABELS, _table(AGREEMENT_BY_CODE), _table(CODED_SEGMENTS))}

#: What the codebook says of each file, below its heading.
NOTES: dict[str, str] = {
    "codes": "The study's codebook, one row per code (merged codes are left out; retired ones stay). "
             "The labels in every study language are in codes_labels and in the code list Study codes below.",
    "codes_labels": "Every label a code has, one row per code and language.",
    "agreement_by_code": "Agreement between coders, two by two: every pair of coders who coded at least one same "
                         "transcript, on the transcripts both coded (n_transcripts), per code and, in the row "
                         "_overall, every code pooled. Units are paragraphs; an empty cell is undefined "
                         "(no variation).",
    "coded_segments": "Every coded passage with its quote and memo: personal data, only in a bundle with "
                      "personal data. Offsets count characters (Unicode code points) of the transcript in NFC "
                      "with \\n line endings; paragraphs are numbered from 1.",
}


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
        f"{LABELS.name}.csv": table_csv(LABEL_COLUMNS, labels, bom=bom),
        f"{AGREEMENT_BY_CODE.name}.csv": table_csv(AGREEMENT_BY_CODE.column_names, agreement, bom=bom),
    }
    if segments is not None:
        out[f"{CODED_SEGMENTS.name}.csv"] = table_csv(CODED_SEGMENTS.column_names, segments, bom=bom)
    if qdpx is not None:
        out[f"{study}.qdpx"] = qdpx
    return out


def described(name: str, header: Sequence[str]) -> ExportTable | None:
    """The description of a CSV file another area added, when it is one of the coding's (same columns)."""
    table = TABLES.get(name)
    return table if table is not None and list(table.column_names) == list(header) else None


@dataclass(frozen=True)
class StudyCode:
    code: str
    parent: str
    label: str  #: in the study's default language
    description: str
    is_skill_event: bool
    labels: dict[str, str] = field(default_factory=dict)  #: language -> label (codes_labels)

    def label_in(self, language: str) -> str:
        """The code's label in ``language``: its own, else (a built-in code) the skill-event code list's, else
        the default-language label."""
        if self.labels.get(language):
            return self.labels[language]
        if self.is_skill_event and self.code in VOCABULARIES["skill_event"]:
            builtin = code_labels("skill_event")[self.code]
            if builtin.get(language):
                return builtin[language]
        return self.label or label_in(self.labels, language) or self.code


def _rows(data: bytes | None) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))) if data else []


def study_codes(files: Mapping[str, bytes]) -> list[StudyCode]:
    """The study's codes as written into ``codes.csv`` and ``codes_labels.csv`` (none when they are absent)."""
    labels: dict[str, dict[str, str]] = {}
    for row in _rows(files.get(f"{LABELS.name}.csv")):
        labels.setdefault(row["code"], {})[row["language"]] = row["label"]
    return [StudyCode(code=r["code"], parent=r["parent"], label=r["label"], description=r["description"],
                      is_skill_event=r["is_skill_event"] == "true", labels=labels.get(r["code"], {}))
            for r in _rows(files.get(f"{CODES.name}.csv"))]
