"""REFI-QDA project exchange (``.qdpx``): the project as plain data, and writing it (QDA-XML 1.0).

A ``.qdpx`` is a zip holding ``project.qde`` (XML in ``urn:QDA-XML:project:1.0``) and ``Sources/<guid>.txt``.
Texts are written NFC with ``\\n`` line endings; selection offsets are code points into that text.
Keireki's own facts of a skill coding (actor, skill domain, episode) travel in the selection's
``Description`` as ``keireki:actor=…;skill_domain=…;episode=…`` so a round trip keeps them.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources

from lxml import etree

NS = "urn:QDA-XML:project:1.0"
_Q = f"{{{NS}}}"
#: Prefix of the machine-readable line in a selection's Description.
KEIREKI_PREFIX = "keireki:"
#: The file name inside the zip: texts live under this folder as ``<guid>.txt``.
SOURCES = "Sources"
PROJECT_FILE = "project.qde"


@dataclass
class QUser:
    guid: str
    name: str


@dataclass
class QCode:
    guid: str
    name: str
    codable: bool = True
    colour: str | None = None  #: #RRGGBB
    description: str = ""
    children: list[QCode] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: guids of notes on the code


@dataclass
class QVariable:
    guid: str
    name: str
    kind: str = "Text"  #: Text | Integer | Float | Boolean


@dataclass
class QCase:
    guid: str
    name: str
    values: dict[str, str | int | float | bool] = field(default_factory=dict)  #: variable guid -> value
    sources: list[str] = field(default_factory=list)


@dataclass
class QCoding:
    guid: str
    code: str  #: code guid
    user: str | None = None


@dataclass
class QSelection:
    guid: str
    start: int
    end: int
    name: str = ""
    user: str | None = None
    description: str = ""
    codings: list[QCoding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class QSource:
    guid: str
    name: str
    text: str
    selections: list[QSelection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class QNote:
    guid: str
    name: str
    text: str
    user: str | None = None


@dataclass
class QProject:
    name: str
    origin: str = "Keireki"
    created_at: datetime | None = None
    creating_user: str | None = None
    users: list[QUser] = field(default_factory=list)
    codes: list[QCode] = field(default_factory=list)
    variables: list[QVariable] = field(default_factory=list)
    cases: list[QCase] = field(default_factory=list)
    sources: list[QSource] = field(default_factory=list)
    notes: list[QNote] = field(default_factory=list)

    def all_codes(self) -> list[QCode]:
        out: list[QCode] = []
        stack = list(reversed(self.codes))
        while stack:
            code = stack.pop()
            out.append(code)
            stack.extend(reversed(code.children))
        return out


def keireki_description(facts: dict[str, str | int | None]) -> str:
    """The Description line carrying a skill coding's actor, domain and episode."""
    parts = [f"{k}={v}" for k, v in facts.items() if v is not None and v != ""]
    return KEIREKI_PREFIX + ";".join(parts) if parts else ""


def parse_keireki_description(text: str) -> dict[str, str]:
    for line in text.splitlines():
        if line.startswith(KEIREKI_PREFIX):
            pairs = (p.partition("=") for p in line[len(KEIREKI_PREFIX):].split(";"))
            return {k.strip(): v.strip() for k, _, v in pairs if k.strip()}
    return {}


@cache
def schema() -> etree.XMLSchema:
    """The QDA-XML 1.0 project schema (webapp/coding/schema/Project-mrt2019.xsd, MIT, REFI)."""
    data = resources.files("webapp.coding").joinpath("schema/Project-mrt2019.xsd").read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(data, parser))


def _el(parent: etree._Element, tag: str, **attrs: str | None) -> etree._Element:
    return etree.SubElement(parent, _Q + tag, {k: v for k, v in attrs.items() if v is not None})


def _code(parent: etree._Element, code: QCode) -> None:
    node = _el(parent, "Code", guid=code.guid, name=code.name, isCodable="true" if code.codable else "false",
               color=code.colour)
    if code.description:
        _el(node, "Description").text = code.description
    for note in code.notes:
        _el(node, "NoteRef", targetGUID=note)
    for child in code.children:
        _code(node, child)


def _value(parent: etree._Element, variable: QVariable, value: str | int | float | bool) -> None:
    holder = _el(parent, "VariableValue")
    _el(holder, "VariableRef", targetGUID=variable.guid)
    tag = {"Integer": "IntegerValue", "Float": "FloatValue", "Boolean": "BooleanValue"}.get(variable.kind,
                                                                                          "TextValue")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    _el(holder, tag).text = text


def _source(parent: etree._Element, source: QSource) -> None:
    node = _el(parent, "TextSource", guid=source.guid, name=source.name,
               plainTextPath=f"internal://{source.guid}.txt")
    for sel in source.selections:
        s = _el(node, "PlainTextSelection", guid=sel.guid, name=sel.name or None, startPosition=str(sel.start),
                endPosition=str(sel.end), creatingUser=sel.user)
        if sel.description:
            _el(s, "Description").text = sel.description
        for coding in sel.codings:
            c = _el(s, "Coding", guid=coding.guid, creatingUser=coding.user)
            _el(c, "CodeRef", targetGUID=coding.code)
        for note in sel.notes:
            _el(s, "NoteRef", targetGUID=note)
    for note in source.notes:
        _el(node, "NoteRef", targetGUID=note)


def _header(project: QProject) -> etree._Element:
    root = etree.Element(_Q + "Project", nsmap={None: NS})
    root.set("name", project.name)
    root.set("origin", project.origin)
    if project.creating_user:
        root.set("creatingUserGUID", project.creating_user)
    if project.created_at:
        root.set("creationDateTime", project.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return root


def _cases(root: etree._Element, project: QProject) -> None:
    variables = {v.guid: v for v in project.variables}
    if project.variables:
        holder = _el(root, "Variables")
        for variable in project.variables:
            _el(holder, "Variable", guid=variable.guid, name=variable.name, typeOfVariable=variable.kind)
    if project.cases:
        holder = _el(root, "Cases")
        for case in project.cases:
            node = _el(holder, "Case", guid=case.guid, name=case.name)
            for guid, value in case.values.items():
                _value(node, variables[guid], value)
            for source in case.sources:
                _el(node, "SourceRef", targetGUID=source)


def project_xml(project: QProject) -> bytes:
    """``project.qde`` of a project, in the schema's element order."""
    root = _header(project)
    if project.users:
        users = _el(root, "Users")
        for user in project.users:
            _el(users, "User", guid=user.guid, name=user.name)
    if project.codes:
        codes = _el(_el(root, "CodeBook"), "Codes")
        for code in project.codes:
            _code(codes, code)
    _cases(root, project)
    if project.sources:
        holder = _el(root, "Sources")
        for source in project.sources:
            _source(holder, source)
    if project.notes:
        holder = _el(root, "Notes")
        for note in project.notes:
            node = _el(holder, "Note", guid=note.guid, name=note.name, creatingUser=note.user)
            _el(node, "PlainTextContent").text = note.text
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def validate(xml: bytes) -> list[str]:
    """Schema errors of a ``project.qde`` (empty when valid)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    doc = etree.fromstring(xml, parser)
    checker = schema()
    if checker.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]


def write(project: QProject) -> bytes:
    """The ``.qdpx`` zip of a project (deterministic: fixed entry times, sorted sources)."""
    buffer = io.BytesIO()
    stamp = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(PROJECT_FILE, stamp), project_xml(project),
                         compress_type=zipfile.ZIP_DEFLATED)
        for source in sorted(project.sources, key=lambda s: s.guid):
            archive.writestr(zipfile.ZipInfo(f"{SOURCES}/{source.guid}.txt", stamp), source.text.encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
