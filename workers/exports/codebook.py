"""``codebook.md`` and ``codebook.html``: every table, column, type, label and code list.

Code lists give code, SPSS/Stata integer and a label in every language of the study. The files other areas
add (the coding's codebook, agreement and coded segments) are described after the record tables, and the
study's own codes are a code list with their labels in every language of the study.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from instruments.contract import VOCABULARIES
from workers.exports.coding import NOTES, StudyCode
from workers.exports.labels import code_descriptions, code_labels, label_in
from workers.exports.schema import STS_GAP, STS_PAD, ExportTable
from workers.exports.tabular import month_columns

_KINDS = {
    "string": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean (true/false; 1/0 in SPSS and Stata)",
    "date": "partial date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "datetime": "timestamp (ISO 8601, UTC)",
    "code": "code",
}


def _vocabs(tables: list[ExportTable]) -> list[str]:
    seen: list[str] = []
    for table in tables:
        for col in table.columns:
            if col.vocab and col.vocab not in seen:
                seen.append(col.vocab)
    if "state" not in seen:
        seen.append("state")
    return seen


def _rows(table: ExportTable) -> list[tuple[str, str, str, str]]:
    return [(c.name, _KINDS[c.kind], c.label, c.vocab or "") for c in table.columns]


def _sts_note(width: int) -> str:
    months = month_columns(width)
    span = f"{months[0]} … {months[-1]}" if months else "(none)"
    return (
        f"Columns: participant_code, then {span}: the state in each month since the participant's "
        f"first episode (code list: state); `{STS_GAP}` marks a month no episode covers (a gap, TraMineR's "
        f"missing state) and `{STS_PAD}` pads after the end of a sequence."
    )


def _code_rows(vocab: str, languages: tuple[str, ...]) -> list[list[str]]:
    """code, number, then per language the label (with its description where the code list has them)."""
    labels, descriptions = code_labels(vocab), code_descriptions(vocab)

    def cell(code: str, lang: str) -> str:
        label = label_in(labels[code], lang)
        description = label_in(descriptions[code], lang) if descriptions.get(code) else ""
        return f"{label}: {description}" if description else label

    return [[code, str(i), *(cell(code, lang) for lang in languages)]
            for i, code in enumerate(VOCABULARIES[vocab], start=1)]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _study_code_rows(codes: Sequence[StudyCode], languages: tuple[str, ...]) -> list[list[str]]:
    """code, parent, a label per language, description."""
    return [[c.code, c.parent, *(c.label_in(lang) for lang in languages), c.description] for c in codes]


STUDY_CODES_NOTE = ("The codes of the study's qualitative coding (codes.csv), used in the code columns of codes, "
                    "codes_labels, agreement_by_code and coded_segments; recognise, cultivate, ascribe and "
                    "limit_deny are the skill-construction codes whose codings become skill_events.")


def codebook_markdown(
    *, title: str, tables: list[ExportTable], languages: tuple[str, ...], sts_width: int,
    extra_tables: Sequence[ExportTable] = (), study_codes: Sequence[StudyCode] = (),
) -> str:
    """The codebook as Markdown (``extra_tables``: the CSV files other areas add; ``study_codes``: the
    study's codes of the coding, a code list of their own)."""
    out = [
        f"# Codebook: {_md_cell(title)}",
        "",
        "Missing values are empty cells. Month indexes count months since 1900-01 (January 1900 = 1).",
        "",
    ]
    for table in tables:
        out += _md_table(table)
    out += [
        "## sequences_sts — State sequences, STS format",
        "",
        _sts_note(sts_width),
        "",
    ]
    for table in extra_tables:
        out += _md_table(table)
    out += [
        "# Code lists",
        "",
    ]
    for vocab in _vocabs(tables):
        out += [
            f"## {vocab}",
            "",
            "| Code | Integer | " + " | ".join(languages) + " |",
            "|---|---|" + "---|" * len(languages),
        ]
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in _code_rows(vocab, languages)]
        out.append("")
    if study_codes:
        out += [
            "## Study codes",
            "",
            STUDY_CODES_NOTE,
            "",
            "| Code | Parent | " + " | ".join(languages) + " | Description |",
            "|---|---|" + "---|" * len(languages) + "---|",
        ]
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in _study_code_rows(study_codes, languages)]
        out.append("")
    return "\n".join(out)


def _md_table(table: ExportTable) -> list[str]:
    note = [_md_cell(NOTES[table.name]), ""] if table.name in NOTES else []
    return [
        f"## {table.name} — {_md_cell(table.label)}",
        "",
        *note,
        f"Primary key: {', '.join(table.primary_key)}",
        "",
        "| Column | Type | Label | Code list |",
        "|---|---|---|---|",
        *(f"| {n} | {k} | {_md_cell(lbl)} | {v} |" for n, k, lbl, v in _rows(table)),
        "",
    ]


def _html_table(head: list[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def codebook_html(
    *, title: str, tables: list[ExportTable], languages: tuple[str, ...], sts_width: int,
    extra_tables: Sequence[ExportTable] = (), study_codes: Sequence[StudyCode] = (),
) -> str:
    """The codebook as a standalone HTML page (no scripts, no external resources)."""
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>Codebook: {escape(title)}</title>",
        "</head>",
        "<body>",
        f"<h1>Codebook: {escape(title)}</h1>",
        "<p>Missing values are empty cells. Month indexes count months since 1900-01 (January 1900 = 1).</p>",
    ]
    for table in tables:
        parts += _html_section(table)
    parts += [
        '<h2 id="sequences_sts">sequences_sts — State sequences, STS format</h2>',
        f"<p>{escape(_sts_note(sts_width))}</p>",
    ]
    for table in extra_tables:
        parts += _html_section(table)
    parts += ["<h2>Code lists</h2>"]
    for vocab in _vocabs(tables):
        parts += [
            f'<h3 id="vocab-{escape(vocab)}">{escape(vocab)}</h3>',
            _html_table(["Code", "Integer", *languages], _code_rows(vocab, languages)),
        ]
    if study_codes:
        parts += [
            '<h3 id="study-codes">Study codes</h3>',
            f"<p>{escape(STUDY_CODES_NOTE)}</p>",
            _html_table(["Code", "Parent", *languages, "Description"], _study_code_rows(study_codes, languages)),
        ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _html_section(table: ExportTable) -> list[str]:
    return [
        f'<h2 id="{escape(table.name)}">{escape(table.name)} — {escape(table.label)}</h2>',
        *([f"<p>{escape(NOTES[table.name])}</p>"] if table.name in NOTES else []),
        f"<p>Primary key: {escape(', '.join(table.primary_key))}</p>",
        _html_table(["Column", "Type", "Label", "Code list"], _rows(table)),
    ]
