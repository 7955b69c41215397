"""Coding services on the real database: transcripts, codebook, codings, agreement, consensus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.webapp.coding.factories import interviewed, offsets, skill
from tests.webapp.research import factories as rf
from webapp.coding.services import CodingError, agreement, codebook, codings, consensus
from webapp.coding.services import transcripts as sources
from webapp.models import AuditEvent, Code, Coding, Memo


def test_transcript_is_normalised_split_and_encrypted(session: Session, make_study: Any, app: Any) -> None:
    setup = interviewed(session, make_study())
    t = setup.transcript
    text = sources.read_text(t)
    assert "\r" not in text
    assert [p.speaker for p in sources.paragraphs(t)] == ["I", "P", "I", "P", "P"]
    assert t.ref.startswith("TR-")
    stored = (Path(app.config["KEIREKI"].data_dir) / t.path).read_bytes()
    assert "溶接".encode() not in stored
    user = setup.interviewer
    sources.view(session=session, transcript=t, user=user)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "transcript.view",
                                                 AuditEvent.target == f"transcript:{t.id}")).first()
    translation = sources.add(session=session, booking=setup.booking, text="I: Where?\n\nP: In Aichi.",
                              name="en.txt", language="en", user=user, translation_of=t)
    assert translation.role == "translation"
    assert sources.translations(session=session, transcript=t) == [translation]


def test_empty_transcript_is_refused(session: Session, make_study: Any) -> None:
    setup = interviewed(session, make_study())
    with pytest.raises(CodingError):
        sources.add(session=session, booking=setup.booking, text=" \r\n ", name="x", language="en", user=None)


def test_codebook_builtins_and_changes_keep_codings(session: Session, make_study: Any) -> None:
    study = make_study()
    setup = interviewed(session, study)
    assert list(setup.codes) == ["recognise", "cultivate", "ascribe", "limit_deny"]
    book = codebook.codebook(session=session, study=study)
    version = book.version
    mentor = codebook.add(session=session, study=study, name="mentoring", labels={"en": "Mentoring", "ja": "指導"},
                          parent_id=setup.codes["cultivate"].id)
    senpai = codebook.add(session=session, study=study, name="senpai")
    assert book.version == version + 2
    text = sources.read_text(setup.transcript)
    coding = codings.apply(session=session, transcript=setup.transcript, code=senpai, coder=setup.interviewer,
                           span=codings.Span(*offsets(text, "先輩")))
    assert codebook.merge(session=session, study=study, code=senpai, into=mentor) == 1
    session.refresh(coding)
    assert coding.code_id == mentor.id
    assert senpai.status == "merged"
    codebook.update(session=session, study=study, code=mentor, name="mentor", labels={"en": "Mentor"},
                    description="", colour="#123456", parent_id=None)
    codebook.retire(session=session, study=study, code=mentor)
    assert session.get(Coding, coding.id) is not None
    assert "mentor" not in [c.name for c in codebook.codes(session=session, study=study)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "Has Spaces"}, "lower-case"),
    ({"name": "x" * 33}, "lower-case"),
    ({"name": "cultivate"}, "already exists"),
    ({"name": "ok", "colour": "red"}, "#RRGGBB"),
    ({"name": "ok", "labels": {"en": "x" * 81}}, "80"),
])
def test_bad_codes_are_refused(session: Session, make_study: Any, kwargs: dict[str, Any], message: str) -> None:
    study = make_study()
    codebook.codebook(session=session, study=study)
    before = len(codebook.codes(session=session, study=study))
    with pytest.raises(CodingError, match=message):
        codebook.add(session=session, study=study, **kwargs)
    assert len(codebook.codes(session=session, study=study)) == before


def test_builtins_cannot_be_renamed_or_retired(session: Session, make_study: Any) -> None:
    study = make_study()
    setup = interviewed(session, study)
    with pytest.raises(CodingError):
        codebook.retire(session=session, study=study, code=setup.codes["ascribe"])
    with pytest.raises(CodingError):
        codebook.update(session=session, study=study, code=setup.codes["ascribe"], name="other", labels={},
                        description="", colour="#000000", parent_id=None)


def test_skill_coding_needs_actor_domain_and_own_episode(session: Session, make_study: Any) -> None:
    study = make_study()
    setup = interviewed(session, study)
    other = interviewed(session, study, code="TI-0002")
    rf.record(session, other.person, "episodes", episode_no=3, kind="job")
    text = sources.read_text(setup.transcript)
    span = codings.Span(*offsets(text, "先輩が溶接を教えてくれました"))
    cultivate = setup.codes["cultivate"]
    for bad in (skill(actor="boss"), skill(skill_domain=None), skill(episode_no=3), skill(episode_no=99)):
        with pytest.raises(CodingError):
            codings.apply(session=session, transcript=setup.transcript, code=cultivate, coder=setup.interviewer,
                          span=span, **bad)
    coding = codings.apply(session=session, transcript=setup.transcript, code=cultivate, coder=setup.interviewer,
                           span=span, memo="senpai as teacher", **skill())
    assert (coding.paragraph, coding.episode_no, coding.actor) == (2, 1, "coworkers")
    assert session.exec(select(Memo).where(Memo.target == "coding", Memo.target_id == coding.id)).one().text \
        == "senpai as teacher"


def test_spans_outside_paragraphs_are_refused(session: Session, make_study: Any) -> None:
    setup = interviewed(session, make_study())
    recognise = setup.codes["recognise"]
    n = setup.transcript.n_chars
    for start, end in ((5, 5), (-1, 3), (0, n + 10), (10**9, 10**9 + 1)):
        with pytest.raises(CodingError):
            codings.apply(session=session, transcript=setup.transcript, code=recognise, coder=setup.interviewer,
                          span=codings.Span(start, end), **skill())
    assert codings.of_transcript(session=session, transcript=setup.transcript) == []
    paragraph, span = codings.span_of(transcript=setup.transcript, first_paragraph=2, last_paragraph=3)
    assert paragraph == 2
    assert span.start == sources.paragraphs(setup.transcript)[1].start


def test_a_coder_cannot_apply_the_same_code_to_the_same_passage_twice(session: Session, make_study: Any) -> None:
    setup = interviewed(session, make_study())
    text = sources.read_text(setup.transcript)
    span = codings.Span(*offsets(text, "先輩が溶接を教えてくれました"))
    cultivate = setup.codes["cultivate"]
    codings.apply(session=session, transcript=setup.transcript, code=cultivate, coder=setup.interviewer, span=span,
                  **skill())
    with pytest.raises(CodingError, match="already applied"):
        codings.apply(session=session, transcript=setup.transcript, code=cultivate, coder=setup.interviewer,
                      span=span, **skill(episode_no=2))
    second = rf.user(session, setup.study, "researcher")
    codings.apply(session=session, transcript=setup.transcript, code=cultivate, coder=second, span=span, **skill())
    codings.apply(session=session, transcript=setup.transcript, code=setup.codes["recognise"],
                  coder=setup.interviewer, span=span, **skill())
    assert len(codings.of_transcript(session=session, transcript=setup.transcript)) == 3


def test_agreement_and_consensus(session: Session, make_study: Any) -> None:
    study = make_study()
    setup = interviewed(session, study)
    first = setup.interviewer
    second = rf.user(session, study, "researcher")
    t = setup.transcript

    def code(user: Any, name: str, paragraph: int) -> Coding:
        _, span = codings.span_of(transcript=t, first_paragraph=paragraph)
        return codings.apply(session=session, transcript=t, code=setup.codes[name], coder=user, span=span, **skill())

    a1 = code(first, "cultivate", 2)
    code(second, "cultivate", 2)
    code(first, "limit_deny", 4)
    code(second, "ascribe", 4)
    result = agreement.report(session=session, study=study)
    assert result.coders == [f"C{first.id:03d}", f"C{second.id:03d}"]
    [pair] = result.pairs
    assert [t.id for t in pair.transcripts] == [t.id]
    rows = {r.code: r for r in pair.rows}
    assert rows["cultivate"].kappa == pytest.approx(1.0)
    assert rows["cultivate"].alpha == pytest.approx(1.0)
    assert rows["limit_deny"].disagreed == 1
    assert [(d.paragraph, sorted(d.by_coder.values())) for d in result.disagreements] == \
        [(4, [["ascribe"], ["limit_deny"]])]
    csv_text = agreement.to_csv(result)
    assert csv_text.splitlines()[0] == "coder_a,coder_b,n_transcripts,code,n_units,n_coders,kappa,alpha,overlap"
    assert f"C{first.id:03d},C{second.id:03d},1,cultivate,5,2,1.000,1.000,1.000" in csv_text
    agreed = consensus.adopt(session=session, coding=a1, lead=second)
    assert agreed.consensus
    assert agreed.coder_id is None
    assert consensus.adopt(session=session, coding=a1, lead=second).id == agreed.id
    assert session.exec(select(Code).where(Code.id == agreed.code_id)).one().name == "cultivate"
    with pytest.raises(CodingError):
        codings.remove(session=session, coding=a1, user=second, lead=True)
    codings.remove(session=session, coding=agreed, user=second, lead=True)
