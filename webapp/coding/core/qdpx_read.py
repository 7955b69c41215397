"""Reading a ``.qdpx`` from another tool, refusing anything hostile before it can do harm.

Refused with :class:`QdpxError` (a short English reason the service translates): a file that is not a
zip, too large, too many entries, an entry whose name climbs out (``..``, absolute, drive letters), a
compression ratio of a bomb, a DTD or entity in the XML (XXE, billion laughs: defusedxml screens, lxml
parses with entities unresolved and no network), a schema error, a selection outside its text, and a
source outside the archive (``absolute://`` / ``relative://`` paths are reported, never opened).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from lxml import etree

from webapp.coding.core import offsets
from webapp.coding.core.paragraphs import normalise
from webapp.coding.core.qdpx import (
    NS,
    QCase,
    QCode,
    QCoding,
    QNote,
    QProject,
    QSelection,
    QSource,
    QUser,
    QVariable,
    validate,
)

_Q = f"{{{NS}}}"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024  #: of the .qdpx and of everything it unpacks to
    max_entries: int = 5000
    max_ratio: int = 200  #: uncompressed / compressed of an entry larger than 1 MB
    max_offset: int = 50_000_000


class QdpxError(ValueError):
    """The file cannot be imported; ``reason`` says why (one of the codes below), ``detail`` where."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class ReadResult:
    project: QProject
    #: Sources that were not read (external paths, missing files): (name, why).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: How the selections' offsets were read (code points or UTF-16 units) and why.
    reading: offsets.Choice = offsets.Choice(offsets.CODEPOINTS, "same")


def _safe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or ":" in name.split("/")[0]:
        return False
    return ".." not in posixpath.normpath(name).split("/") and not posixpath.isabs(name)


def _entries(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise QdpxError("too_many_entries", str(len(infos)))
    total = 0
    out: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not _safe_name(info.filename):
            raise QdpxError("unsafe_path", info.filename)
        total += info.file_size
        if total > limits.max_bytes:
            raise QdpxError("too_large", info.filename)
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise QdpxError("zip_bomb", info.filename)
        out[info.filename.lower()] = info
    return out


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """An entry's bytes, reading at most the limit (a header may lie about the size)."""
    with archive.open(info) as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes or len(data) > info.file_size:
        raise QdpxError("zip_bomb", info.filename)
    return data


def _project_entry(entries: dict[str, zipfile.ZipInfo]) -> zipfile.ZipInfo:
    if "project.qde" in entries:
        return entries["project.qde"]
    top = [info for name, info in entries.items() if name.endswith(".qde") and "/" not in name]
    if len(top) != 1:
        raise QdpxError("no_project", "project.qde")
    return top[0]  # ATLAS.ti names it after the project


def _parse_xml(data: bytes) -> etree._Element:
    try:
        safe_xml.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise QdpxError("unsafe_xml", type(exc).__name__) from exc
    except safe_xml.ParseError as exc:
        raise QdpxError("bad_xml", str(exc)) from exc
    errors = validate(data)
    if errors:
        raise QdpxError("schema", errors[0])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _codes(parent: etree._Element) -> list[QCode]:
    out = []
    for node in parent.findall(_Q + "Code"):
        description = node.findtext(_Q + "Description") or ""
        out.append(QCode(guid=node.get("guid", ""), name=node.get("name", ""),
                         codable=node.get("isCodable") in ("true", "1"), colour=node.get("color"),
                         description=description, children=_codes(node),
                         notes=[r.get("targetGUID", "") for r in node.findall(_Q + "NoteRef")]))
    return out


def _code_ref(coding: etree._Element) -> str:
    ref = coding.find(_Q + "CodeRef")
    return ref.get("targetGUID", "") if ref is not None else ""


def _map_offset(raw: str, offset: int) -> int:
    """A code-point offset into the file's text, as an offset into its normalised text."""
    return len(normalise(raw[:offset]))


def _position(sel: etree._Element, name: str) -> int:
    try:
        return int(sel.get(name, "0"))
    except ValueError as exc:  # the schema says integer; a huge or odd one still must not pass
        raise QdpxError("bad_offset", sel.get(name, "")) from exc


def _marks(node: etree._Element) -> list[offsets.Marked]:
    return [offsets.Marked(_position(sel, "startPosition"), _position(sel, "endPosition"), sel.get("name", ""))
            for sel in node.findall(_Q + "PlainTextSelection")]


def _source(node: etree._Element, text_of: dict[str, str], limits: Limits, mode: str) -> QSource:
    raw = text_of[node.get("guid", "")]
    text = normalise(raw)
    same = raw == text
    units = offsets.reading_map(mode, raw)
    selections = []
    for sel in node.findall(_Q + "PlainTextSelection"):
        start, end = _position(sel, "startPosition"), _position(sel, "endPosition")
        if end > limits.max_offset:
            raise QdpxError("bad_offset", f"{node.get('name', '')}: {start}-{end}")
        if units is not None:  # UTF-16 units or ATLAS.ti's line breaks as code points (a pair's middle: outside)
            first, after = units.to_codepoint(start), units.to_codepoint(end)
            start, end = -1 if first is None else first, -1 if after is None else after
        if not 0 <= start < end <= len(raw):
            raise QdpxError("bad_offset", f"{node.get('name', '')}: {start}-{end}")
        if not same:
            start, end = _map_offset(raw, start), _map_offset(raw, end)
        selections.append(QSelection(
            guid=sel.get("guid", ""), start=start, end=end, name=sel.get("name", ""), user=sel.get("creatingUser"),
            description=sel.findtext(_Q + "Description") or "",
            codings=[QCoding(guid=c.get("guid", ""), code=_code_ref(c),
                             user=c.get("creatingUser") or sel.get("creatingUser"))
                     for c in sel.findall(_Q + "Coding")],
            notes=[r.get("targetGUID", "") for r in sel.findall(_Q + "NoteRef")]))
    return QSource(guid=node.get("guid", ""), name=node.get("name", ""), text=text, selections=selections,
                   notes=[r.get("targetGUID", "") for r in node.findall(_Q + "NoteRef")])


def _texts(root: etree._Element, archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo],
           limits: Limits, skipped: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in root.iter(_Q + "TextSource"):
        guid, name = node.get("guid", ""), node.get("name", "")
        inline = node.findtext(_Q + "PlainTextContent")
        path = node.get("plainTextPath")
        if inline is not None:
            out[guid] = inline
            continue
        if not path or not path.startswith("internal://"):
            skipped.append((name, "external_source"))
            continue
        file_name = path[len("internal://"):]
        if "/" in file_name or not _safe_name(file_name):
            raise QdpxError("unsafe_path", path)
        info = entries.get(f"sources/{file_name}".lower())
        if info is None:
            skipped.append((name, "missing_file"))
            continue
        try:
            out[guid] = _read(archive, info, limits).decode("utf-8-sig")
        except UnicodeDecodeError:
            skipped.append((name, "not_utf8"))
    return out


def _cases(root: etree._Element) -> tuple[list[QVariable], list[QCase]]:
    variables = [QVariable(guid=v.get("guid", ""), name=v.get("name", ""), kind=v.get("typeOfVariable", "Text"))
                 for v in root.iter(_Q + "Variable")]
    cases = []
    for node in root.iter(_Q + "Case"):
        values: dict[str, str | int | float | bool] = {}
        for holder in node.findall(_Q + "VariableValue"):
            ref = holder.find(_Q + "VariableRef")
            value = next((child.text for child in holder if child.tag != _Q + "VariableRef"), None)
            if ref is not None and value is not None:
                values[ref.get("targetGUID", "")] = value
        cases.append(QCase(guid=node.get("guid", ""), name=node.get("name", ""), values=values,
                           sources=[r.get("targetGUID", "") for r in node.findall(_Q + "SourceRef")]))
    return variables, cases


def read(data: bytes, *, limits: Limits | None = None, offset_mode: str = offsets.AUTO) -> ReadResult:
    """The project in a ``.qdpx``; raises :class:`QdpxError` for anything unsafe or malformed.

    ``offset_mode``: ``codepoints``, ``utf16``, ``lines`` or ``auto`` (decided from the file, see
    :func:`webapp.coding.core.offsets.choose`; refused as ``ambiguous_offsets`` when nothing decides).
    """
    limits = limits or Limits()
    if offset_mode not in offsets.MODES:
        raise ValueError(offset_mode)
    if len(data) > limits.max_bytes:
        raise QdpxError("too_large")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise QdpxError("not_zip") from exc
    with archive:
        entries = _entries(archive, limits)
        root = _parse_xml(_read(archive, _project_entry(entries), limits))
        skipped: list[tuple[str, str]] = []
        texts = _texts(root, archive, entries, limits, skipped)
    project = QProject(name=root.get("name", ""), origin=root.get("origin", ""),
                       creating_user=root.get("creatingUserGUID"))
    project.users = [QUser(guid=u.get("guid", ""), name=u.get("name", "")) for u in root.iter(_Q + "User")]
    codebook = root.find(f"{_Q}CodeBook/{_Q}Codes")
    project.codes = _codes(codebook) if codebook is not None else []
    project.variables, project.cases = _cases(root)
    nodes = [node for node in root.iter(_Q + "TextSource") if node.get("guid", "") in texts]
    choice = offsets.choose(((texts[node.get("guid", "")], _marks(node)) for node in nodes), asked=offset_mode,
                            origin=project.origin)
    if choice.mode == offsets.AUTO:
        raise QdpxError("ambiguous_offsets")
    project.sources = [_source(node, texts, limits, choice.mode) for node in nodes]
    notes = root.find(_Q + "Notes")
    if notes is not None:
        project.notes = [QNote(guid=n.get("guid", ""), name=n.get("name", ""),
                               text=n.findtext(_Q + "PlainTextContent") or "", user=n.get("creatingUser"))
                         for n in notes.findall(_Q + "Note")]
    return ReadResult(project=project, skipped=skipped, reading=choice)
