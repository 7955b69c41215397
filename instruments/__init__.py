"""The instrument language of Keireki: load, check and evaluate multilingual XLSForm-like instruments.

Pure Python (no Flask, no database). See docs/instruments.md for the file format.
"""

from instruments.checker import CheckReport, Finding, check_paths
from instruments.errors import AnswerError, Error, ExpressionError, InstrumentError
from instruments.loader import bundled_dir, bundled_paths, load, load_bundled, load_text
from instruments.model import (
    CONTACT_TYPES,
    QUESTION_TYPES,
    Choice,
    Group,
    Instrument,
    Location,
    Question,
    Text,
)
from instruments.serialise import canonical_json, fingerprint, from_dict, to_dict
from instruments.study import Study, load_study

__all__ = [
    "CONTACT_TYPES", "QUESTION_TYPES", "AnswerError", "CheckReport", "Choice", "Error", "ExpressionError",
    "Finding", "Group", "check_paths",
    "Instrument", "InstrumentError", "Location", "Question", "Study", "Text", "bundled_dir", "bundled_paths",
    "canonical_json", "fingerprint", "from_dict", "load", "load_bundled", "load_study", "load_text",
    "to_dict",
]
