"""The text of a .docx, read with bounded work: sizes checked in the zip directory, XML streamed with limits.

A .docx is a zip; its text is ``word/document.xml``. A small upload can unpack to a huge document (a
"zip bomb") or hold one enormous text node, so before anything is parsed the zip directory is checked — the
document's unpacked size and its compression ratio — and the XML is then read as a stream (``lxml.iterparse``:
no tree is kept, no DTD is loaded, no entity is resolved, libxml2's size limits stay on). Paragraphs come out
one per line in document order, a table row as its cells joined by tabs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import IO

from lxml import etree

DOCUMENT = "word/document.xml"
#: The unpacked document.xml may be this large (a 10 MB transcript's text is far smaller).
MAX_DOCUMENT_BYTES = 40 * 1024 * 1024
#: All members of the zip together, unpacked.
MAX_UNPACKED_BYTES = 80 * 1024 * 1024
#: Unpacked / packed size of a member above which it is taken for a bomb (text XML packs ~5-20x).
MAX_RATIO = 100
#: Members smaller than this may have any ratio (tiny parts pack very well).
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 2000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DocxError(ValueError):
    """The file is no readable .docx (``reason``: ``damaged`` or ``too_large``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_directory(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The document's entry, after checking every member's declared sizes; DocxError("too_large") if not."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise DocxError("too_large")
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise DocxError("too_large")
    try:
        document = archive.getinfo(DOCUMENT)
    except KeyError:
        raise DocxError("damaged") from None
    if document.file_size > MAX_DOCUMENT_BYTES:
        raise DocxError("too_large")
    return document


def _events(stream: IO[bytes]) -> Iterator[tuple[str, etree._Element]]:
    return etree.iterparse(stream, events=("start", "end"), resolve_entities=False, load_dtd=False,
                           no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)


class _Lines:
    """Collects paragraphs (and table rows) while the document streams past."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.run: list[str] = []
        self.cells: list[list[list[str]]] = []  # per open table row: its cells, each a list of paragraphs

    def start(self, tag: str) -> None:
        if tag == _W + "tr":
            self.cells.append([])
        elif tag == _W + "tc" and self.cells:
            self.cells[-1].append([])

    def end(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == _W + "t":
            self.run.append(element.text or "")
        elif tag == _W + "tab":
            self.run.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            self.run.append("\n")
        elif tag == _W + "p":
            text, self.run = "".join(self.run), []
            if self.cells and self.cells[-1]:
                self.cells[-1][-1].append(text)
            else:
                self.lines.append(text)
        elif tag == _W + "tr" and self.cells:
            row = self.cells.pop()
            line = "\t".join("\n".join(paragraphs) for paragraphs in row)
            if self.cells and self.cells[-1]:
                self.cells[-1][-1].append(line)  # a table inside a cell
            else:
                self.lines.append(line)


def docx_text(data: bytes) -> str:
    """The text of the .docx in ``data``; :class:`DocxError` if it is damaged or unpacks too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise DocxError("damaged") from None
    with archive:
        document = check_directory(archive)
        lines = _Lines()
        try:
            with archive.open(document) as stream:  # reads no more than the declared size (CRC-checked)
                for event, element in _events(stream):
                    if event == "start":
                        lines.start(element.tag)
                        continue
                    lines.end(element)
                    if element.tag in (_W + "p", _W + "tr", _W + "tbl"):
                        element.clear(keep_tail=False)
                        while element.getprevious() is not None:
                            del element.getparent()[0]
        except etree.XMLSyntaxError as exc:
            raise DocxError("too_large" if "huge" in str(exc).lower() else "damaged") from None
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
            raise DocxError("damaged") from None
    return "\n".join(lines.lines)
