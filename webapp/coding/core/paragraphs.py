"""Transcript text: normalisation, numbered paragraphs with speaker turns, offsets, translation alignment.

Offsets are character (code point) offsets into the NFC text with ``\\n`` line endings, end exclusive — the
same positions Python's ``str`` indexes, REFI-QDA's ``startPosition``/``endPosition`` and the records'
``start``/``end`` use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: A speaker label at the start of a line: ``I:``, ``P:``, ``Interviewer:``, ``R1:``, ``聞き手：`` (one word).
_SPEAKER = re.compile(r"^\s*([^\W\d_][\w.]{0,15})\s*[:：]\s*")
#: Labels always read as speakers even if the line has no other text.
KNOWN_SPEAKERS = frozenset({"i", "p", "r", "q", "a", "interviewer", "participant", "respondent", "interviewee"})


@dataclass(frozen=True)
class Paragraph:
    number: int  #: 1-based
    start: int  #: offset of the first character (after leading blanks)
    end: int  #: exclusive
    speaker: str  #: "" when the paragraph is not a marked speaker turn


def normalise(text: str) -> str:
    """NFC text with ``\\n`` line endings (``\\r\\n`` and lone ``\\r`` become ``\\n``) and no BOM."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _speaker(line: str) -> str:
    match = _SPEAKER.match(line)
    if not match:
        return ""
    label = match.group(1)
    rest = line[match.end():]
    if label.lower() in KNOWN_SPEAKERS or (rest.strip() and (label[0].isupper() or not label.isascii())):
        return label
    return ""


def split(text: str) -> list[Paragraph]:
    """Numbered paragraphs of a normalised text.

    A blank line ends a paragraph; so does a line that starts a new speaker turn (``I:`` …). A paragraph
    spans its lines without the surrounding blanks; offsets are into ``text`` itself.
    """
    out: list[Paragraph] = []
    begin: int | None = None
    last_end = 0
    speaker = ""
    pos = 0
    for line in text.split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if not line.strip():
            if begin is not None:
                out.append(Paragraph(len(out) + 1, begin, last_end, speaker))
                begin = None
            continue
        turn = _speaker(line)
        if turn and begin is not None:
            out.append(Paragraph(len(out) + 1, begin, last_end, speaker))
            begin = None
        if begin is None:
            begin = line_start + (len(line) - len(line.lstrip()))
            speaker = turn
        last_end = line_end - (len(line) - len(line.rstrip()))
    if begin is not None:
        out.append(Paragraph(len(out) + 1, begin, last_end, speaker))
    return out


def paragraph_at(paragraphs: list[Paragraph], offset: int) -> Paragraph | None:
    """The paragraph holding character ``offset`` (or starting at it), None between paragraphs."""
    for paragraph in paragraphs:
        if paragraph.start <= offset < paragraph.end:
            return paragraph
    return None


class SpanError(ValueError):
    """A span that does not lie inside the text's paragraphs."""


def check_span(paragraphs: list[Paragraph], start: int, end: int) -> Paragraph:
    """The first paragraph of a valid span ``[start, end)``; a span must start and end inside paragraphs."""
    if start < 0 or end <= start:
        raise SpanError("empty or reversed span")
    first = paragraph_at(paragraphs, start)
    last = paragraph_at(paragraphs, end - 1)
    if first is None or last is None:
        raise SpanError("span outside the paragraphs")
    return first


def whole(paragraphs: list[Paragraph], first: int, last: int | None = None) -> tuple[int, int]:
    """Offsets ``(start, end)`` covering paragraphs ``first``…``last`` (1-based, inclusive)."""
    last = first if last is None else last
    if not 1 <= first <= last <= len(paragraphs):
        raise SpanError("no such paragraph")
    return paragraphs[first - 1].start, paragraphs[last - 1].end


def paragraphs_of(paragraphs: list[Paragraph], start: int, end: int) -> list[int]:
    """Numbers of the paragraphs a span touches."""
    return [p.number for p in paragraphs if p.start < end and start < p.end]


def align(original: list[Paragraph], translation: list[Paragraph]) -> list[tuple[int | None, int | None]]:
    """Pairs of paragraph numbers shown side by side: the n-th paragraph with the n-th.

    A translation is made paragraph by paragraph, so position is the alignment; the longer side's extra
    paragraphs stand alone.
    """
    n = max(len(original), len(translation))
    return [(i + 1 if i < len(original) else None, i + 1 if i < len(translation) else None) for i in range(n)]


def utf16_offset(text: str, offset: int) -> int:
    """The UTF-16 code-unit offset of code-point ``offset`` (characters outside the BMP count twice)."""
    return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)


def from_utf16_offset(text: str, units: int) -> int:
    """The code-point offset of UTF-16 offset ``units`` (the inverse of :func:`utf16_offset`)."""
    count = 0
    for index, ch in enumerate(text):
        if count >= units:
            return index
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(text)
