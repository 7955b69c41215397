"""What an export holds: the contract's tables, minus what a de-identified bundle must not carry.

Everything about names, kinds, labels and code lists comes from :mod:`instruments.contract`; this
module only decides which columns go out (identifiers and free text are dropped unless allowed) and
adds the two sequence tables in their export shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments.contract import SEQUENCES_SPELL, TABLES, VOCABULARIES, Table
from workers.records.sequences import GAP

#: Tables written as CSV, XLSX and Parquet, in bundle order (the STS file is CSV only: it is wide).
TABULAR_TABLES = (
    "participants",
    "episodes",
    "transitions",
    "skill_events",
    "firms",
    "quality_flags",
    "sequences_spell",
)
#: The key of the firms table in a bundle (the contract's ``firm_ref`` repeats when two managers of
#: one firm take part).
FIRMS_KEY = ("firm_ref", "participant_code")
#: Tables also written for SPSS (.sav) and Stata (.dta).
STATS_TABLES = ("participants", "episodes")
#: Every table read from the records tables (``rec_<name>``).
SOURCE_TABLES = (*TABULAR_TABLES, "sequences_sts")
#: The pad of the STS format after a sequence's end (TraMineR's default ``void``).
STS_PAD = "%"
#: A month no episode covers (TraMineR's missing state ``nr``), as the records pipeline writes it.
STS_GAP = GAP


@dataclass(frozen=True)
class ExportColumn:
    name: str
    kind: str  #: string | integer | number | boolean | date | datetime | code
    label: str
    vocab: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return VOCABULARIES[self.vocab] if self.vocab else ()

    def code_number(self, code: str) -> int | None:
        """The SPSS/Stata integer of a code: its 1-based position in the vocabulary."""
        try:
            return self.codes.index(code) + 1
        except ValueError:
            return None


@dataclass(frozen=True)
class ExportTable:
    name: str
    label: str
    columns: tuple[ExportColumn, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


STS_SOURCE = ExportTable(
    name="sequences_sts",
    label="State sequences, STS format (one column per month)",
    columns=(
        ExportColumn("participant_code", "string", "Participant code"),
        ExportColumn("first_month", "integer", "Month index of m001 (Jan 1900 = 1)"),
        ExportColumn("states", "string", "Comma-separated states, one per month"),
    ),
    primary_key=("participant_code",),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
)


def _from_contract(table: Table, *, with_pii: bool, cleared: frozenset[str]) -> ExportTable:
    columns = tuple(
        ExportColumn(c.name, c.kind, c.label[:80], c.vocab)
        for c in table.columns
        if not c.pii and (not c.free_text or with_pii or f"{table.name}.{c.name}" in cleared)
    )
    return ExportTable(
        name=table.name,
        label=table.label,
        columns=columns,
        primary_key=table.primary_key,
        foreign_keys=table.foreign_keys,
    )


def export_tables(*, with_pii: bool = False, cleared: frozenset[str] = frozenset()) -> dict[str, ExportTable]:
    """The tables of a bundle, keyed by name, in bundle order.

    A de-identified bundle drops free-text columns (``free_text=True`` in the contract) except those
    named in ``cleared`` (``"episodes.job_title"``); a bundle with personal data keeps them all.
    Direct identifiers are never record columns (they live in ``contacts.csv``).
    """
    out = {name: _from_contract(TABLES[name], with_pii=with_pii, cleared=cleared) for name in TABLES}
    # Two managers of one firm describe it twice (same pseudonymous firm_ref): a row per firm and manager.
    firms = out["firms"]
    out["firms"] = ExportTable(name=firms.name, label=firms.label, columns=firms.columns,
                               primary_key=FIRMS_KEY, foreign_keys=firms.foreign_keys)
    out["sequences_spell"] = _from_contract(SEQUENCES_SPELL, with_pii=with_pii, cleared=cleared)
    out["sequences_spell"] = ExportTable(
        name="sequences_spell",
        label=SEQUENCES_SPELL.label,
        columns=out["sequences_spell"].columns,
        primary_key=SEQUENCES_SPELL.primary_key,
        foreign_keys=(("participant_code", "participants", "participant_code"),),
    )
    out["sequences_sts"] = STS_SOURCE
    return {name: out[name] for name in SOURCE_TABLES}


def free_text_columns() -> tuple[str, ...]:
    """Every free-text column a researcher may clear for de-identified exports (``table.column``)."""
    return tuple(f"{t.name}.{c.name}" for t in TABLES.values() for c in t.columns if c.free_text)


#: Columns of contacts.csv (bundles with personal data only).
CONTACT_COLUMNS = ("participant_code", "name", "phone", "email", "messaging_app", "messaging_id")
