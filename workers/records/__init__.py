"""Career records: the pure, versioned conversion of a participant's responses into the contract tables.

No database, no Celery: :func:`build_records` takes plain inputs and returns plain rows
(``instruments/contract.py`` column order). The Celery tasks in ``workers/tasks/records.py`` load,
call it and write. A new :data:`PIPELINE_VERSION` is rolled out by ``keireki records rebuild``.
"""

from .build import PIPELINE_VERSION, build_records
from .dates import PartialDate, month_index, parse_partial_date
from .sme import employer_size, is_sme
from .types import TABLE_NAMES, Cell, CodingInput, ParticipantInput, ParticipantRecords, ResponseInput, Row
from .values import pseudonym, to_bool

__all__ = [
    "PIPELINE_VERSION", "TABLE_NAMES", "Cell", "CodingInput", "ParticipantInput", "ParticipantRecords", "PartialDate",
    "ResponseInput", "Row", "build_records", "employer_size", "is_sme", "month_index", "parse_partial_date",
    "pseudonym", "to_bool",
]
