"""What a selection's offsets count: Unicode code points (REFI-QDA, QualCoder, Keireki), UTF-16 code units
(some NVivo versions; characters outside the BMP, such as emoji, count twice), or code points with a Windows
line break (``\r\n``) counted as one character (ATLAS.ti).

The readings differ only after a character outside the BMP or after a ``\r\n``. :func:`choose` decides for
a whole project from what the offsets themselves show: a reading under which an offset falls outside its
text, or inside a surrogate pair, is impossible; a selection whose ``name`` is the start of the passage it
marks (as some tools write it) speaks for the reading that gives that passage. A project Keireki wrote counts
code points (or says, in its ``origin``, that it wrote UTF-16 units). The line-break reading is a candidate
only for a project ATLAS.ti wrote (its ``origin``), where it also decides when nothing else does; elsewhere a
``\r\n`` counts two, as REFI-QDA says. When nothing tells the readings apart and they would give different
passages, the choice is left to the person importing (``--offsets``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CODEPOINTS = "codepoints"
UTF16 = "utf16"
#: Code points, but ``\r\n`` counts as one character (ATLAS.ti).
LINES = "lines"
AUTO = "auto"
MODES = (AUTO, CODEPOINTS, UTF16, LINES)


class UnitMap:
    """UTF-16 offsets of one text as code-point offsets."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        self.astral = astral
        #: The UTF-16 offset of each astral character (its high surrogate).
        self._units = [i + n for n, i in enumerate(astral)]
        self.units = self.length + len(astral)

    def to_codepoint(self, units: int) -> int | None:
        """The code-point offset of UTF-16 offset ``units``; None outside the text or inside a surrogate pair."""
        if not 0 <= units <= self.units:
            return None
        before = bisect_left(self._units, units)  # astral characters starting before ``units``
        if before and self._units[before - 1] + 1 == units:
            return None  # between the two halves of a pair
        return units - before

    def to_units(self, codepoint: int) -> int:
        """The UTF-16 offset of code-point offset ``codepoint`` (each astral character before it counts two)."""
        return codepoint + bisect_left(self.astral, codepoint)

    def differs(self, offset: int) -> bool:
        """True when ``offset`` reads differently as code points and as UTF-16 units."""
        return bool(self.astral) and offset > self.astral[0]


class LineBreakMap:
    """Offsets counting each ``\r\n`` as one character, as code-point offsets."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        pairs = [i for i in range(len(text) - 1) if text[i] == "\r" and text[i + 1] == "\n"]
        #: The offset, in this counting, of each ``\r\n``.
        self._units = [i - n for n, i in enumerate(pairs)]
        self.units = self.length - len(pairs)

    def to_codepoint(self, units: int) -> int | None:
        """The code-point offset of ``units``; None outside the text."""
        if not 0 <= units <= self.units:
            return None
        return units + bisect_left(self._units, units)  # each line break before ``units`` is one more

    def differs(self, offset: int) -> bool:
        """True when ``offset`` reads differently as code points and with line breaks counted once."""
        return bool(self._units) and offset > self._units[0]


@dataclass(frozen=True)
class Marked:
    """One selection as the file states it: raw offsets, and its name (the tool's label of the passage)."""

    start: int
    end: int
    name: str = ""


@dataclass(frozen=True)
class Choice:
    mode: str  #: CODEPOINTS, UTF16 or LINES; AUTO when the readings differ and nothing decides
    #: ``same`` (no difference), ``asked``, ``keireki``, ``range``, ``names``, ``origin`` (ATLAS.ti's line
    #: breaks, nothing else deciding), ``undecided``
    why: str


def _span_cp(text: str, start: int, end: int) -> str | None:
    return text[start:end] if 0 <= start < end <= len(text) else None


def _span_mapped(text: str, units: UnitMap | LineBreakMap, start: int, end: int) -> str | None:
    a, b = units.to_codepoint(start), units.to_codepoint(end)
    return text[a:b] if a is not None and b is not None and a < b else None


def reading_map(mode: str, text: str) -> UnitMap | LineBreakMap | None:
    """What turns ``mode``'s offsets into code points for ``text`` (None: they are code points)."""
    return UnitMap(text) if mode == UTF16 else LineBreakMap(text) if mode == LINES else None


def _names_agree(label: str, passage: str | None) -> bool:
    label = " ".join(label.split())
    return len(label) >= 3 and passage is not None and " ".join(passage.split()).startswith(label.rstrip("…. "))


def _from_atlas(origin: str) -> bool:
    return origin.strip().lower().startswith("atlas")


def choose(sources: Iterable[tuple[str, Sequence[Marked]]], *, asked: str = AUTO, origin: str = "") -> Choice:
    """The reading of a project's offsets: ``sources`` are (raw text, its selections)."""
    if asked in (CODEPOINTS, UTF16, LINES):
        return Choice(asked, "asked")
    candidates = (CODEPOINTS, UTF16, LINES) if _from_atlas(origin) else (CODEPOINTS, UTF16)
    possible = dict.fromkeys(candidates, True)
    votes = dict.fromkeys(candidates, 0)
    differs = False
    for text, marks in sources:
        maps = {mode: reading_map(mode, text) for mode in candidates[1:]}
        for mark in marks:
            if not any(m is not None and (m.differs(mark.start) or m.differs(mark.end)) for m in maps.values()):
                continue
            differs = True
            spans = {mode: _span_cp(text, mark.start, mark.end) if (m := maps.get(mode)) is None
                     else _span_mapped(text, m, mark.start, mark.end) for mode in candidates}
            for mode, span in spans.items():
                possible[mode] &= span is not None
            if mark.name and len(set(spans.values())) > 1:
                for mode, span in spans.items():
                    votes[mode] += _names_agree(mark.name, span)
    if not differs:
        return Choice(CODEPOINTS, "same")
    if origin.strip().lower().startswith("keireki"):  # Keireki writes code points unless it says otherwise
        return Choice(UTF16 if "utf-16" in origin.lower() else CODEPOINTS, "keireki")
    return _decided([mode for mode in candidates if possible[mode]], votes, origin)


def _decided(fitting: list[str], votes: dict[str, int], origin: str) -> Choice:
    """The one reading that fits; else the one the selections' names speak for; else ATLAS.ti's own."""
    if len(fitting) == 1:
        return Choice(fitting[0], "range")
    best = max((votes[mode] for mode in fitting), default=0)
    leaders = [mode for mode in fitting if votes[mode] == best]
    if best and len(leaders) == 1:
        return Choice(leaders[0], "names")
    if LINES in fitting and _from_atlas(origin):
        return Choice(LINES, "origin")
    return Choice(AUTO, "undecided")
