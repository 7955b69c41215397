"""Selections counted in UTF-16 units (some NVivo versions) or in code points: chosen, or detected where the
text with characters outside the BMP makes it unambiguous; emoji in Japanese, Vietnamese and Burmese text."""

from __future__ import annotations

import io
import zipfile

import pytest

from webapp.coding.core import offsets, qdpx
from webapp.coding.core.offsets import LineBreakMap, Marked, UnitMap, choose
from webapp.coding.core.qdpx_read import QdpxError, read

G = "{:08x}-0000-4000-8000-{:012x}"
TEXT = ("I: どこで溶接を習いましたか？🙂\r\n"
        "P: 愛知の工場で先輩が教えてくれました 🔧🔧\r\n\r\n"
        "I: Anh học tiếng Nhật ở đâu? 😀\n"
        "P: ကျွန်တော် ဂဟေဆော်တာ သင်ခဲ့တယ် 👍 and welding.\n"
        "I: Thank you, that is all for today.\n")  # a tail: no offset runs past the end in either reading
PASSAGES = ("先輩が教えてくれました", "Anh học tiếng Nhật", "ဂဟေဆော်တာ", "and welding")


def guid(n: int) -> str:
    return G.format(n, n)


def u16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def one_per_line_break(text: str, offset: int) -> int:
    """ATLAS.ti's count: code points, a \\r\\n as one."""
    return offset - text[:offset].count("\r\n")


def nvivo_file(*, units: bool, named: bool, origin: str = "NVivo 14", lines: bool = False) -> bytes:
    """A project as another tool writes it: the raw text (\\r\\n kept), offsets in UTF-16 units or code points
    (or, ``lines``, code points with a \\r\\n as one, as ATLAS.ti counts)."""
    selections = []
    for n, passage in enumerate(PASSAGES):
        start = TEXT.index(passage)
        end = start + len(passage)
        if units:
            start, end = u16(TEXT, start), u16(TEXT, end)
        if lines:
            start, end = one_per_line_break(TEXT, start), one_per_line_break(TEXT, end)
        selections.append(qdpx.QSelection(guid(10 + n), start, end, name=passage[:6] if named else "",
                                          codings=[qdpx.QCoding(guid(20 + n), guid(1))]))
    xml = qdpx.project_xml(qdpx.QProject(name="nvivo", origin=origin, codes=[qdpx.QCode(guid(1), "Learning")],
                                         sources=[qdpx.QSource(guid(2), "TI-0001", "", selections=selections)]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        archive.writestr(f"Sources/{guid(2)}.txt", TEXT.encode("utf-8"))
    return buffer.getvalue()


def _passages(data: bytes, mode: str = offsets.AUTO) -> tuple[list[str], offsets.Choice]:
    result = read(data, offset_mode=mode)
    source = result.project.sources[0]
    return [source.text[s.start:s.end] for s in source.selections], result.reading


def test_unit_map_reads_utf16_offsets_and_refuses_the_middle_of_a_pair() -> None:
    text = "a😀b🔧c"
    units = UnitMap(text)
    assert units.units == len(text.encode("utf-16-le")) // 2 == 7
    assert [units.to_codepoint(u) for u in range(8)] == [0, 1, None, 2, 3, None, 4, 5]
    assert units.to_codepoint(8) is None
    assert units.to_codepoint(-1) is None
    assert not units.differs(1)
    assert units.differs(2)


def test_utf16_offsets_are_detected_from_the_names_of_the_selections() -> None:
    got, reading = _passages(nvivo_file(units=True, named=True))
    assert got == list(PASSAGES)
    assert reading == offsets.Choice(offsets.UTF16, "names")


def test_code_point_offsets_are_detected_from_the_names_too() -> None:
    got, reading = _passages(nvivo_file(units=False, named=True, origin="QualCoder 3.5"))
    assert got == list(PASSAGES)
    assert reading == offsets.Choice(offsets.CODEPOINTS, "names")


def test_asked_reading_wins_and_the_other_one_gives_other_passages() -> None:
    data = nvivo_file(units=True, named=False)
    assert _passages(data, offsets.UTF16) == (list(PASSAGES), offsets.Choice(offsets.UTF16, "asked"))
    wrong, _reading = _passages(data, offsets.CODEPOINTS)
    assert wrong != list(PASSAGES)


def test_nothing_to_tell_them_apart_is_refused_with_a_reason() -> None:
    with pytest.raises(QdpxError) as caught:
        read(nvivo_file(units=True, named=False))
    assert caught.value.reason == "ambiguous_offsets"


def test_an_offset_past_the_end_in_code_points_means_utf16() -> None:
    text = "P: 😀😀😀 ok"
    end_u16 = u16(text, len(text))
    assert choose([(text, [Marked(u16(text, text.index("ok")), end_u16)])]) == offsets.Choice(offsets.UTF16, "range")
    # inside a surrogate pair in UTF-16 (after the first emoji's high half): only code points fit
    assert choose([(text, [Marked(4, 6)])]) == offsets.Choice(offsets.CODEPOINTS, "range")


def test_text_without_astral_characters_or_keireki_projects_need_no_choice() -> None:
    assert choose([("Tôi học tiếng Nhật", [Marked(4, 7)])]) == offsets.Choice(offsets.CODEPOINTS, "same")
    assert choose([("🙂 early, then text", [Marked(0, 1), Marked(3, 8)])], origin="Keireki") \
        == offsets.Choice(offsets.CODEPOINTS, "keireki")
    assert _passages(nvivo_file(units=False, named=False, origin="Keireki"))[0] == list(PASSAGES)


def test_line_break_map_counts_a_windows_line_break_once() -> None:
    text = "ab\r\ncd\r\n\r\ne\nf"
    lines = LineBreakMap(text)
    assert lines.units == len(text.replace("\r\n", "\n")) == 10
    assert [lines.to_codepoint(u) for u in range(11)] == [0, 1, 2, 4, 5, 6, 8, 10, 11, 12, 13]
    assert lines.to_codepoint(11) is None
    assert lines.to_codepoint(-1) is None
    assert not lines.differs(2)
    assert lines.differs(3)
    assert not LineBreakMap("no windows\nline breaks").differs(20)


def test_an_atlas_ti_project_counts_a_windows_line_break_once() -> None:
    atlas = "ATLAS.ti 24.2.0"
    # nothing in the selections tells the readings apart: ATLAS.ti's own way of counting decides
    got, reading = _passages(nvivo_file(units=False, named=False, origin=atlas, lines=True))
    assert got == list(PASSAGES)
    assert reading == offsets.Choice(offsets.LINES, "origin")
    got, reading = _passages(nvivo_file(units=False, named=True, origin=atlas, lines=True))
    assert got == list(PASSAGES)
    assert reading == offsets.Choice(offsets.LINES, "names")
    # an ATLAS.ti project whose names show code points is read as code points
    got, reading = _passages(nvivo_file(units=False, named=True, origin=atlas))
    assert got == list(PASSAGES)
    assert reading == offsets.Choice(offsets.CODEPOINTS, "names")


def test_line_breaks_count_twice_for_other_tools_unless_asked() -> None:
    text = "I: Where did you learn?\r\nP: At the factory in Aichi.\r\n"
    mark = Marked(text.index("factory"), text.index("factory") + 7)
    # REFI-QDA's count, \\r\\n as two, whatever else might fit: only ATLAS.ti is known to count otherwise
    assert choose([(text, [mark])], origin="MAXQDA 2024") == offsets.Choice(offsets.CODEPOINTS, "same")
    assert choose([(text, [mark])], origin="ATLAS.ti 9") == offsets.Choice(offsets.LINES, "origin")
    data = nvivo_file(units=False, named=False, origin="MAXQDA 2024", lines=True)
    wrong, _reading = _passages(data, offsets.CODEPOINTS)
    assert wrong != list(PASSAGES)  # off by the line breaks before each passage
    assert _passages(data, offsets.LINES) == (list(PASSAGES), offsets.Choice(offsets.LINES, "asked"))
