"""The instrument model: what a parsed instrument is, whatever file it came from.

An instrument is a tree: an :class:`Instrument` holds top-level :class:`Group` s (one group = one page
on a phone); a group holds :class:`Question` s and nested groups; a group with ``repeat=True`` is a
repeat group (a job history) whose entries each hold the group's children.

**Answers** (what a draft and a response store, JSON-serialisable)::

    {"nationality": "VNM",                       # select_one -> the choice name (a code)
     "skills": ["welding", "forklift"],           # select_multiple -> list of choice names
     "birth_year": 1998,                          # integer -> int; decimal -> str of the decimal
     "arrival": "2019-04",                        # partial_date -> "YYYY" | "YYYY-MM" | "YYYY-MM-DD"
     "jobs": [ {"employer": "...", "start": "2019-04", ...}, ... ]}   # repeat -> list of entry dicts

Text is stored NFC. Unanswered questions are absent (never ``None`` placeholders). ``note``,
``calculate`` and ``hidden`` values are not stored from the page; calculations are re-evaluated.

**Answer metadata** (kept beside the answers, same nesting, by path ``"jobs[1].start"``,
0-based entry index): ``{"raw": {path: what was typed}, "flags": [{"path": p, "flag": code,
"detail": str}]}`` where ``flag`` is a ``quality_flag`` code of the records contract
(``era_date_parsed``, ``zawgyi_converted``) and ``raw`` keeps the original text (e.g. Zawgyi) for
every answer that was normalised into something else.

**Record mappings** (how the pipeline is driven by the instrument, see contract.py):

- ``Question.record = "participants.nationality"``: the answer is that column of the participant's
  row (or ``firms.<col>`` for the manager's firm row).
- ``Group.record = "episodes"`` on a repeat group: each entry is one episode row; questions inside map
  ``episodes.<col>`` (or an ``inputs`` field of the table such as ``episodes.employer_name``).
  ``Group.record_with`` gives constant columns for every row (e.g. ``{"kind": "job"}``), and a
  question mapped to ``episodes.kind`` overrides it.
- A ``select_multiple`` question mapped to a column of *another* table (``skill_events.actor``)
  fans out: one row of that table per selected choice, tied to the enclosing entry's row (its
  ``episode_no``), with ``Question.record_with`` constants (e.g. ``{"event": "recognise",
  "skill_domain": "technical", "source": "intake"}``).
- A repeat group with ``record = "skill_events"`` makes one skill event per entry (the debrief).
- Choice names of a question mapped to a ``code`` column must be codes of its vocabulary, or the
  question gives ``record_codes = {choice_name: code}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Question types of the language.
QUESTION_TYPES = (
    "text", "integer", "decimal", "date", "partial_date", "select_one", "select_multiple", "note",
    "acknowledge", "phone", "email", "calculate", "hidden", "geopoint", "geotrace", "geoshape",
    "image", "audio", "video", "file",
)

#: Uploads (XLSForm ``image``/``photo``, ``audio``, ``video``, ``file``): the answer is the stored file's key
#: (``<32 hex>.<extension>``, see :data:`UPLOAD_KEY`); the file itself is kept encrypted by the web app.
UPLOAD_TYPES = ("image", "audio", "video", "file")
#: What an upload answer looks like: a random name and the extension of the detected file type.
UPLOAD_KEY = r"[0-9a-f]{32}\.[a-z0-9]{1,8}"


def max_pixels(question: Question) -> int | None:
    """An image question's XLSForm ``max-pixels`` (the longest side of a picture, in pixels; ``parameters``
    as the XLSForm wrote it, ``max-pixels=1024``, or as JSON), None when not asked."""
    given = question.xlsform.get("parameters") or ""
    try:
        parsed = json.loads(given)
    except ValueError:
        parsed = dict(item.partition("=")[::2] for item in given.split())
    value = parsed.get("max-pixels") if isinstance(parsed, dict) else None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


#: Geographic types: ``"lat lon [alt [acc]]"`` (geopoint) or points joined by ``;`` (geotrace, geoshape).
GEO_TYPES = ("geopoint", "geotrace", "geoshape")

#: Types whose answers are personal contact data: stored apart from answers, encrypted.
CONTACT_TYPES = ("phone", "email")

#: A translated text: language tag -> text. Resolve with :func:`Instrument.text`.
Text = dict[str, str]


@dataclass(frozen=True)
class Location:
    """Where something was written: a file and a line, or a sheet and a row of a workbook."""

    file: str
    line: int | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.file}:{self.sheet}:{self.line}"
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Choice:
    name: str
    label: Text
    #: Extra columns of the choices sheet, used by ``choice_filter`` expressions.
    extra: dict[str, str] = field(default_factory=dict)
    location: Location | None = None


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    label: Text = field(default_factory=dict)
    hint: Text = field(default_factory=dict)
    #: Name of a choice list (select_one / select_multiple).
    choices: str | None = None
    choice_filter: str | None = None
    required: bool | str = False  #: True, or an expression
    required_message: Text = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text = field(default_factory=dict)
    calculation: str | None = None
    default: str | None = None
    #: Appearance hints for the page (e.g. ``"minimal"``, ``"multiline"``).
    appearance: str | None = None
    #: True when the answer is personal data that must be stored apart from answers (names,
    #: messaging ids); phone and email questions are always contact data.
    contact: bool = False
    record: str | None = None  #: "table.column", see the module docstring
    record_with: dict[str, str] = field(default_factory=dict)
    record_codes: dict[str, str] = field(default_factory=dict)
    #: XLSForm details kept for the export (the original ``type``, ``parameters``, ``media``,
    #: ``guidance_hint``, ``read_only``, ``trigger``); see instruments/xlsform_map.py.
    xlsform: dict[str, str] = field(default_factory=dict)
    location: Location | None = None

    @property
    def is_contact(self) -> bool:
        return self.contact or self.type in CONTACT_TYPES


@dataclass(frozen=True)
class Group:
    name: str
    label: Text = field(default_factory=dict)
    children: tuple[Question | Group, ...] = ()
    relevant: str | None = None
    repeat: bool = False
    min_count: int | None = None  #: repeat groups only
    max_count: int | None = None
    #: For repeat groups: an expression giving the number of entries (XLSForm ``repeat_count``).
    repeat_count: str | None = None
    record: str | None = None  #: table name for repeat groups, see the module docstring
    record_with: dict[str, str] = field(default_factory=dict)
    #: XLSForm details kept for the export (``appearance``, ``page`` = "implicit" for a page Keireki
    #: made around top-level questions, which the export leaves out).
    xlsform: dict[str, str] = field(default_factory=dict)
    location: Location | None = None

    def walk(self) -> Iterator[Question | Group]:
        for child in self.children:
            yield child
            if isinstance(child, Group):
                yield from child.walk()


@dataclass(frozen=True)
class Instrument:
    id: str  #: e.g. "ti_intake"
    version: str  #: e.g. "2026.1"; a loaded version is immutable
    title: Text
    default_language: str
    languages: tuple[str, ...]  #: BCP 47 tags, default language first
    groups: tuple[Group, ...]
    choice_lists: dict[str, tuple[Choice, ...]]
    #: Free settings (e.g. ``{"audience": "ti"}``, ``{"kind": "consent"}``).
    settings: dict[str, str] = field(default_factory=dict)
    source: str | None = None  #: the file it was read from
    #: XLSForm details kept for the export (``language_names``: JSON tag -> the header as written).
    xlsform: dict[str, str] = field(default_factory=dict)
    #: What the reader noticed: (severity, location, field, message), reported by the checker.
    import_findings: tuple[tuple[str, Location | None, str, str], ...] = ()

    def walk(self) -> Iterator[Question | Group]:
        for group in self.groups:
            yield group
            yield from group.walk()

    def questions(self) -> Iterator[Question]:
        for node in self.walk():
            if isinstance(node, Question):
                yield node

    def text(self, value: Text, language: str) -> str:
        """Resolve a translated text for ``language`` with a fallback chain to the default language.

        ``zh-Hans-CN`` falls back to ``zh-Hans``, then ``zh``, then the default language, then any
        language that has a text, so a participant never sees a blank label.
        """
        tag = language
        while tag:
            if value.get(tag):
                return value[tag]
            tag = tag.rpartition("-")[0]
        if value.get(self.default_language):
            return value[self.default_language]
        return next((v for v in value.values() if v), "")
