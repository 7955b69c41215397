"""Selections counted in UTF-16 units (some NVivo versions) or in code points: chosen, or detected where the
text with characters outside the BMP makes it unambiguous; emoji in Japanese, Vietnamese and Burmese text."""

from __future__ import annotations

import io
import zipfile

import pytest

from webapp.coding.core import offsets, qdpx
from webapp.coding.core.offsets import Marked, UnitMap, choose
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


def nvivo_file(*, units: bool, named: bool, origin: str = "NVivo 14") -> bytes:
    """A project as another tool writes it: the raw text (\\r\\n kept), offsets in UTF-16 units or code points."""
    selections = []
    for n, passage in enumerate(PASSAGES):
        start = TEXT.index(passage)
        end = start + len(passage)
        if units:
            start, end = u16(TEXT, start), u16(TEXT, end)
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
