"""The career-records tables, generated from the contract (instruments/contract.py).

They are plain SQLAlchemy Core tables on the same metadata, so the pipeline bulk-inserts rows and the
exports stream them without ORM overhead; their columns are the contract's, in the contract's order,
after ``id``, ``study_id`` and ``participant_id``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from instruments.contract import PII_TABLES, TABLES, Column
from webapp.models.base import UTCDateTime

_TYPES: dict[str, Any] = {
    "string": sa.Text,
    "integer": sa.Integer,
    "number": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.String(10),
    "datetime": UTCDateTime,
    "code": sa.String(32),
}


def _column(col: Column) -> sa.Column[object]:
    return sa.Column(col.name, _TYPES[col.kind], nullable=True)


def _table(name: str, columns: list[sa.Column[object]]) -> sa.Table:
    return sa.Table(
        f"rec_{name}",
        SQLModel.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("study.id"), nullable=False, index=True),
        sa.Column(
            "participant_id", sa.Integer, sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        *columns,
    )


#: contract table name -> Core table (``rec_<name>``).
RECORD_TABLES: dict[str, sa.Table] = {
    name: _table(name, [_column(c) for c in table.columns]) for name, table in {**TABLES, **PII_TABLES}.items()
}
#: SPELL sequences, and the monthly state sequence (STS) of each participant as one string.
RECORD_TABLES["sequences_spell"] = _table(
    "sequences_spell",
    [sa.Column("participant_code", sa.Text), sa.Column("begin", sa.Integer), sa.Column("end", sa.Integer),
     sa.Column("status", sa.String(32)), sa.Column("first_episode", sa.Integer),
     sa.Column("last_episode", sa.Integer)],
)
RECORD_TABLES["sequences_sts"] = _table(
    "sequences_sts",
    [sa.Column("participant_code", sa.Text), sa.Column("first_month", sa.Integer),
     sa.Column("states", sa.Text)],  #: comma-separated states, one per month from first_month
)
