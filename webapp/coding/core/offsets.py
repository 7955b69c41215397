"""What a selection's offsets count: Unicode code points (REFI-QDA, QualCoder, Keireki) or UTF-16 code units
(some NVivo versions; characters outside the BMP, such as emoji, count twice).

The two readings differ only after a character outside the BMP. :func:`choose` decides for a whole project
from what the offsets themselves show: a reading under which an offset falls outside its text, or inside a
surrogate pair, is impossible; a selection whose ``name`` is the start of the passage it marks (as some tools
write it) speaks for the reading that gives that passage. A project Keireki wrote counts code points. When
nothing tells the readings apart and they would give different passages, the choice is left to the person
importing (``--offsets``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CODEPOINTS = "codepoints"
UTF16 = "utf16"
AUTO = "auto"
MODES = (AUTO, CODEPOINTS, UTF16)


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

    def differs(self, offset: int) -> bool:
        """True when ``offset`` reads differently as code points and as UTF-16 units."""
        return bool(self.astral) and offset > self.astral[0]


@dataclass(frozen=True)
class Marked:
    """One selection as the file states it: raw offsets, and its name (the tool's label of the passage)."""

    start: int
    end: int
    name: str = ""


@dataclass(frozen=True)
class Choice:
    mode: str  #: CODEPOINTS or UTF16; AUTO when the readings differ and nothing decides
    why: str  #: ``same`` (no difference), ``asked``, ``keireki``, ``range``, ``names``, ``undecided``


def _span_cp(text: str, start: int, end: int) -> str | None:
    return text[start:end] if 0 <= start < end <= len(text) else None


def _span_u16(text: str, units: UnitMap, start: int, end: int) -> str | None:
    a, b = units.to_codepoint(start), units.to_codepoint(end)
    return text[a:b] if a is not None and b is not None and a < b else None


def _names_agree(label: str, passage: str | None) -> bool:
    label = " ".join(label.split())
    return len(label) >= 3 and passage is not None and " ".join(passage.split()).startswith(label.rstrip("…. "))


def choose(sources: Iterable[tuple[str, Sequence[Marked]]], *, asked: str = AUTO, origin: str = "") -> Choice:
    """The reading of a project's offsets: ``sources`` are (raw text, its selections)."""
    if asked in (CODEPOINTS, UTF16):
        return Choice(asked, "asked")
    cp_ok = u16_ok = True
    votes = {CODEPOINTS: 0, UTF16: 0}
    differs = False
    for text, marks in sources:
        units = UnitMap(text)
        for mark in marks:
            if not (units.differs(mark.start) or units.differs(mark.end)):
                continue
            differs = True
            by_cp, by_u16 = _span_cp(text, mark.start, mark.end), _span_u16(text, units, mark.start, mark.end)
            cp_ok &= by_cp is not None
            u16_ok &= by_u16 is not None
            if mark.name and by_cp != by_u16:
                votes[CODEPOINTS] += _names_agree(mark.name, by_cp)
                votes[UTF16] += _names_agree(mark.name, by_u16)
    if not differs:
        return Choice(CODEPOINTS, "same")
    if origin.strip().lower().startswith("keireki"):
        return Choice(CODEPOINTS, "keireki")
    if cp_ok != u16_ok:
        return Choice(CODEPOINTS if cp_ok else UTF16, "range")
    if votes[CODEPOINTS] != votes[UTF16]:
        return Choice(max(votes, key=lambda k: votes[k]), "names")
    return Choice(AUTO, "undecided")
