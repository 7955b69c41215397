"""REFI-QDA export and import through the services: validity, round trip into a fresh study, refusals."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.webapp.coding.factories import interviewed, offsets, skill
from tests.webapp.research import factories as rf
from webapp.coding.core import offsets as offsets_module
from webapp.coding.core import qdpx
from webapp.coding.core.qdpx_read import read
from webapp.coding.services import CodingError, codebook, codings, consensus, qdpx_export, qdpx_import
from webapp.coding.services import transcripts as sources
from webapp.models import AuditEvent, Coding, Memo, Transcript


def coded_study(session: Session, make_study: Any) -> Any:
    study = make_study()
    setup = interviewed(session, study)
    second = rf.user(session, study, "researcher")
    text = sources.read_text(setup.transcript)
    mentor = codebook.add(session=session, study=study, name="mentoring", labels={"en": "Mentoring"},
                          parent_id=setup.codes["cultivate"].id, colour="#aa00cc")
    first = codings.apply(session=session, transcript=setup.transcript, code=setup.codes["cultivate"],
                          coder=setup.interviewer, span=codings.Span(*offsets(text, "先輩が溶接を教えてくれました 🔧")),
                          memo="senpai teaches", **skill(episode_no=2))
    codings.apply(session=session, transcript=setup.transcript, code=setup.codes["cultivate"], coder=second,
                  span=codings.Span(*offsets(text, "先輩が溶接を教えてくれました")), **skill(episode_no=2))
    codings.apply(session=session, transcript=setup.transcript, code=mentor, coder=second,
                  span=codings.Span(*offsets(text, "ကျွန်တော် ဂဟေဆော်တာ")))
    consensus.adopt(session=session, coding=first, lead=second)
    codings.add_memo(session=session, study_id=study.id, target="transcript", target_id=setup.transcript.id,
                     author=second, text="Tôi học hàn — a Vietnamese line")
    return setup


def test_export_validates_and_is_audited(session: Session, make_study: Any) -> None:
    setup = coded_study(session, make_study)
    data = qdpx_export.export(session=session, study=setup.study, actor="user:x", user_id=None,
                              reason="sharing with the NVivo team")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("project.qde")
        assert qdpx.validate(xml) == []
        assert archive.read(f"Sources/{setup.transcript.guid}.txt").decode() == sources.read_text(setup.transcript)
    assert b"TI-0001" in xml  # the case
    assert b"@example.org" not in xml  # coders are pseudonymous
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "qda.export")).one()
    assert event.detail["reason"] == "sharing with the NVivo team"
    assert event.detail["selections"] == 4


def test_round_trip_into_a_fresh_study(session: Session, make_study: Any) -> None:
    setup = coded_study(session, make_study)
    data = qdpx_export.export(session=session, study=setup.study, actor="x", user_id=None, reason="round trip")
    fresh = make_study()
    report = qdpx_import.import_project(session=session, study=fresh, data=data, create_missing=True)
    assert report.codings_added == 4
    assert report.codes_created == ["mentoring"]
    # the fresh study has no participant TI-0001: the episodes are dropped and said so
    assert all("episode 2" in line for line in report.codings_skipped)
    assert len(report.codings_skipped) == 3
    original = session.exec(select(Coding).where(Coding.study_id == setup.study.id)).all()
    copied = session.exec(select(Coding).where(Coding.study_id == fresh.id)).all()

    def shape(rows: Any, study: Any) -> list[tuple[Any, ...]]:
        names = {c.id: c.name for c in codebook.codes(session=session, study=study, include_inactive=True)}
        return sorted((names[c.code_id], c.start, c.end, c.paragraph, c.consensus, c.actor, c.skill_domain)
                      for c in rows)

    assert shape(copied, fresh) == shape(original, setup.study)
    transcript = session.exec(select(Transcript).where(Transcript.study_id == fresh.id)).one()
    assert sources.read_text(transcript) == sources.read_text(setup.transcript)
    quote = next(c for c in copied if c.start == sources.read_text(transcript).index("ကျွန်"))
    assert sources.read_text(transcript)[quote.start:quote.end] == "ကျွန်တော် ဂဟေဆော်တာ"
    assert {m.text for m in session.exec(select(Memo).where(Memo.study_id == fresh.id))} == {
        "senpai teaches", "Tôi học hàn — a Vietnamese line"}
    again = qdpx_import.import_project(session=session, study=fresh, data=data, create_missing=True)
    assert again.codings_added == 0
    assert sum("already imported" in line for line in again.codings_skipped) == 4


def test_import_into_the_same_study_matches_by_content_hash(session: Session, make_study: Any) -> None:
    setup = coded_study(session, make_study)
    project = qdpx_export.project(session=session, study=setup.study)
    project.sources[0].name = "renamed in NVivo"
    for selection in project.sources[0].selections:
        selection.guid = qdpx_export._guid("new", selection.guid)
    project.codes.append(qdpx.QCode("0badc0de-0000-4000-8000-000000000001", "Only In NVivo"))
    report = qdpx_import.import_project(session=session, study=setup.study, data=qdpx.write(project))
    assert report.sources_matched == ["renamed in NVivo"]
    assert report.codes_unmatched == ["Only In NVivo"]
    # The study's own coders come back as themselves (C001… with this study's GUIDs): their codings and the
    # consensus are all there already, none twice.
    assert report.codings_added == 0
    assert [line.split(": ", 1)[1] for line in report.codings_skipped] == [
        "This coder has already applied this code to this passage."] * 4


def test_a_study_s_own_coders_come_back_as_themselves_and_strangers_as_external(
        session: Session, make_study: Any) -> None:
    setup = coded_study(session, make_study)
    importer = rf.user(session, setup.study, "owner")

    def shape(c: Coding) -> tuple[int, bool, int, int, str | None]:
        return (c.coder_id or 0, c.consensus, c.start, c.end, c.external_coder)

    before = session.exec(select(Coding).where(Coding.study_id == setup.study.id)).all()
    project = qdpx_export.project(session=session, study=setup.study)
    for selection in project.sources[0].selections:  # coded further elsewhere: every coding new
        selection.guid = qdpx_export._guid("again", selection.guid)
    # a user of the file that calls itself C00n without this study's GUID for it stays an external coder
    names = {u.guid: u.name for u in project.users}
    taken = next(s for s in project.sources[0].selections if names[s.codings[0].user or ""] != "consensus")
    impostor = qdpx.QUser("0badc0de-0000-4000-8000-0000000000c1", names[taken.codings[0].user or ""])
    project.users.append(impostor)
    taken.codings[0].user = impostor.guid
    expected = sorted([shape(c) for c in before if (c.start, c.end, c.consensus) != (taken.start, taken.end, False)]
                      + [(0, False, taken.start, taken.end, impostor.name)])
    for coding in before:
        session.delete(coding)
    session.flush()
    report = qdpx_import.import_project(session=session, study=setup.study, data=qdpx.write(project),
                                        user=importer)
    assert report.codings_added == 4
    after = session.exec(select(Coding).where(Coding.study_id == setup.study.id)).all()
    assert sorted(shape(c) for c in after) == expected  # the others back with their own coder ids
    assert {c.recorded_by for c in after} == {importer.id}


def test_coders_of_another_installation_s_study_with_the_same_id_come_in_as_external(
        session: Session, make_study: Any) -> None:
    import secrets

    setup = coded_study(session, make_study)
    importer = rf.user(session, setup.study, "owner")
    project = qdpx_export.project(session=session, study=setup.study)
    for selection in project.sources[0].selections:
        selection.guid = qdpx_export._guid("elsewhere", selection.guid)
    refs = {u.name for u in project.users}
    # another installation: its study has the same id (ids start at 1 everywhere) and members with the same
    # user ids, but its own secret key
    setup.study.pseudonym_key = secrets.token_hex(32)
    session.add(setup.study)
    session.flush()
    before = {c.id for c in session.exec(select(Coding).where(Coding.study_id == setup.study.id))}
    report = qdpx_import.import_project(session=session, study=setup.study, data=qdpx.write(project), user=importer)
    added = [c for c in session.exec(select(Coding).where(Coding.study_id == setup.study.id)) if c.id not in before]
    assert report.codings_added == len(added) == 3  # the consensus coding is here already: skipped
    assert {c.coder_id for c in added} == {None}  # nobody here is credited with a stranger's codings
    assert {c.external_coder for c in added} == refs - {"consensus"}


def test_hostile_file_changes_nothing(session: Session, make_study: Any) -> None:
    setup = coded_study(session, make_study)
    before = len(session.exec(select(Coding)).all())
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", b" " * (40 * 1024 * 1024))
    xxe = io.BytesIO()
    with zipfile.ZipFile(xxe, "w") as archive:
        archive.writestr("project.qde", b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                        b'<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>')
    for data, message in ((bomb.getvalue(), "zip bomb"), (xxe.getvalue(), "DTD"), (b"PK\x03\x04junk", "not a .qdpx")):
        with pytest.raises(CodingError, match=message):
            qdpx_import.import_project(session=session, study=setup.study, data=data, create_missing=True)
    assert len(session.exec(select(Coding)).all()) == before


def test_an_export_in_utf16_units_counts_an_emoji_twice_and_comes_back_the_same(
        session: Session, make_study: Any) -> None:
    setup = coded_study(session, make_study)
    plain = qdpx_export.export(session=session, study=setup.study, actor="x", user_id=None, reason="code points")
    units = qdpx_export.export(session=session, study=setup.study, actor="x", user_id=None, reason="for NVivo 12",
                               units="utf16")

    def selections(data: bytes) -> tuple[str, list[tuple[int, int]]]:
        project = read(data, offset_mode="codepoints").project  # the numbers as written
        return project.origin, sorted((s.start, s.end) for s in project.sources[0].selections)

    text = sources.read_text(setup.transcript)
    later = text.index("ကျွန်")  # after the 🔧: one more unit in UTF-16
    origin, written = selections(units)
    assert origin == qdpx_export.UTF16_ORIGIN
    assert (later + 1, later + 1 + len("ကျွန်တော် ဂဟေဆော်တာ")) in written
    assert (later, later + len("ကျွန်တော် ဂဟေဆော်တာ")) in selections(plain)[1]
    assert qdpx.validate(zipfile.ZipFile(io.BytesIO(units)).read("project.qde")) == []
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "qda.export")).all()
    assert [e.detail["offsets"] for e in events] == ["codepoints", "utf16"]
    # read back with auto, the file's origin says it counts UTF-16 units: the same passages as the other
    result = read(units)
    assert result.reading == offsets_module.Choice(offsets_module.UTF16, "keireki")
    again = result.project.sources[0]
    assert sorted(again.text[s.start:s.end] for s in again.selections) == sorted(
        text[c.start:c.end] for c in session.exec(select(Coding).where(Coding.study_id == setup.study.id)))
