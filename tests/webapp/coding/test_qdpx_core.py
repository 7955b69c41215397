"""Writing and reading .qdpx files as plain data: schema validity, offsets, hostile files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from webapp.coding.core import qdpx
from webapp.coding.core.qdpx_read import Limits, QdpxError, read

DATA = Path(__file__).parent / "data"
G = "{:08x}-0000-4000-8000-{:012x}"


def guid(n: int) -> str:
    return G.format(n, n)


TEXT = ("I: どこで働きましたか？\n"
        "P: 愛知の工場です。先輩が溶接を教えてくれました 🔧\n\n"
        "I: Anh học tiếng Nhật ở đâu?\n"
        "P: ကျွန်တော် ဂဟေဆော်တာ သင်ခဲ့တယ် 😀 and welding.")


def project() -> qdpx.QProject:
    start = TEXT.index("先輩")
    burmese = TEXT.index("ဂဟေ")
    return qdpx.QProject(
        name="demo", users=[qdpx.QUser(guid(1), "coder-1")],
        codes=[qdpx.QCode(guid(2), "cultivate", colour="#1F77B4",
                          children=[qdpx.QCode(guid(3), "on_the_job", description="learning at work")])],
        variables=[qdpx.QVariable(guid(4), "participant_type"), qdpx.QVariable(guid(5), "years_in_japan", "Float")],
        cases=[qdpx.QCase(guid(6), "TI-0001", {guid(4): "ti", guid(5): 3.5}, [guid(7)])],
        sources=[qdpx.QSource(guid(7), "TI-0001 interview (ja)", TEXT, selections=[
            qdpx.QSelection(guid(8), start, start + 13, user=guid(1),
                            description=qdpx.keireki_description({"actor": "coworkers", "episode": 2}),
                            codings=[qdpx.QCoding(guid(9), guid(2), guid(1))], notes=[guid(10)]),
            qdpx.QSelection(guid(11), burmese, burmese + 20, user=guid(1),
                            codings=[qdpx.QCoding(guid(12), guid(3), guid(1))]),
        ])],
        notes=[qdpx.QNote(guid(10), "memo", "senpai teaches", guid(1))],
    )


def test_the_spec_minimal_project_reads() -> None:
    result = read((DATA / "minimal.qdpx").read_bytes())
    source = result.project.sources[0]
    selection = source.selections[0]
    assert source.text[selection.start:selection.end] == "taught me welding."
    assert [c.name for c in result.project.all_codes()] == ["skill event", "cultivate"]
    assert result.project.cases[0].name == "P001"


def test_written_project_validates_and_round_trips() -> None:
    data = qdpx.write(project())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert qdpx.validate(archive.read("project.qde")) == []
        assert archive.namelist() == ["project.qde", f"Sources/{guid(7)}.txt"]
    back = read(data).project
    source = back.sources[0]
    assert source.text == TEXT
    first, second = source.selections
    assert TEXT[first.start:first.end] == "先輩が溶接を教えてくれました"[:13]
    assert TEXT[second.start:second.end].startswith("ဂဟေ")
    assert qdpx.parse_keireki_description(first.description) == {"actor": "coworkers", "episode": "2"}
    assert [c.code for c in second.codings] == [guid(3)]
    assert back.notes[0].text == "senpai teaches"
    assert first.notes == [guid(10)]
    assert back.cases[0].values == {guid(4): "ti", guid(5): "3.5"}
    assert qdpx.write(project()) == data  # deterministic


def test_crlf_offsets_are_mapped_to_the_normalised_text() -> None:
    raw = "P: one 😀\r\nP: two words\r\n"
    start = raw.index("two")
    xml = qdpx.project_xml(qdpx.QProject(name="x", codes=[qdpx.QCode(guid(1), "c")], sources=[
        qdpx.QSource(guid(2), "s", "", selections=[qdpx.QSelection(guid(3), start, start + 9,
                                                                  codings=[qdpx.QCoding(guid(4), guid(1))])])]))
    data = _zip({"project.qde": xml, f"Sources/{guid(2)}.txt": raw.encode()})
    source = read(data).project.sources[0]
    sel = source.selections[0]
    assert source.text == "P: one 😀\nP: two words\n"
    assert source.text[sel.start:sel.end] == "two words"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _with_xml(xml: bytes) -> bytes:
    return _zip({"project.qde": xml})


@pytest.mark.parametrize(("data", "reason"), [
    (b"not a zip", "not_zip"),
    (_zip({"../evil.txt": b"x", "project.qde": b"<x/>"}), "unsafe_path"),
    (_zip({"/etc/passwd": b"x"}), "unsafe_path"),
    (_zip({"Sources/a.txt": b"0" * (30 * 1024 * 1024), "project.qde": b"<x/>"}), "zip_bomb"),
    (_with_xml(b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b'<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'), "unsafe_xml"),
    (_with_xml(b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
               b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><Project xmlns="urn:QDA-XML:project:1.0" name="&c;"/>'),
     "unsafe_xml"),
    (_with_xml(b'<Project xmlns="urn:QDA-XML:project:1.0"><Bogus/></Project>'), "schema"),
    (_zip({"other.txt": b"x"}), "no_project"),
])
def test_hostile_or_broken_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(QdpxError) as caught:
        read(data)
    assert caught.value.reason == reason


def test_huge_offsets_and_traversing_source_paths_are_refused() -> None:
    xml = qdpx.project_xml(qdpx.QProject(name="x", codes=[qdpx.QCode(guid(1), "c")], sources=[
        qdpx.QSource(guid(2), "s", "", selections=[qdpx.QSelection(guid(3), 0, 10**12)])]))
    with pytest.raises(QdpxError) as caught:
        read(_zip({"project.qde": xml, f"Sources/{guid(2)}.txt": b"short"}))
    assert caught.value.reason == "bad_offset"
    evil = xml.replace(f"internal://{guid(2)}.txt".encode(), b"internal://../../etc/passwd")
    with pytest.raises(QdpxError) as caught:
        read(_zip({"project.qde": evil}))
    assert caught.value.reason == "unsafe_path"
    external = xml.replace(f"internal://{guid(2)}.txt".encode(), b"absolute:///etc/passwd")
    assert read(_zip({"project.qde": external})).skipped == [("s", "external_source")]


def test_size_limits() -> None:
    data = qdpx.write(project())
    with pytest.raises(QdpxError) as caught:
        read(data, limits=Limits(max_bytes=100))
    assert caught.value.reason == "too_large"
    with pytest.raises(QdpxError) as caught:
        read(data, limits=Limits(max_entries=1))
    assert caught.value.reason == "too_many_entries"
