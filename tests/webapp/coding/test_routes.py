"""The coding pages through HTTP: who sees what, coding by plain form and by the page script's fetch."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.auth.support import csrf_token, sign_in_client
from tests.webapp.coding.factories import interviewed
from tests.webapp.research import factories as rf
from webapp.coding.core import qdpx
from webapp.coding.services import codebook, codings
from webapp.coding.services import transcripts as sources
from webapp.models import AuditEvent, Coding, Transcript


def _form(setup: Any, token: str, **fields: Any) -> dict[str, Any]:
    return {"csrf_token": token, "code": setup.codes["cultivate"].id, "first": 2, "actor": "coworkers",
            "skill_domain": "technical", "episode_no": "1", **fields}


def test_coder_codes_a_paragraph_and_a_quote_without_script(app: Flask, client: FlaskClient, session: Session,
                                                           make_study: Any) -> None:
    setup = interviewed(session, make_study())
    sign_in_client(app, client, setup.interviewer)
    url = f"/studies/{setup.study.slug}/coding/transcripts/{setup.transcript.id}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "溶接" in html
    assert 'id="p-2"' in html
    token = csrf_token(client, url)
    response = client.post(url + "/codings", data=_form(setup, token))
    assert response.status_code == 303
    response = client.post(url + "/codings", data=_form(setup, token, first=4, quote="only for simple tasks",
                                                        code=setup.codes["limit_deny"].id,
                                                        actor="employer_manager", episode_no="2"))
    assert response.status_code == 303
    made = codings.of_transcript(session=session, transcript=setup.transcript)
    text = sources.read_text(setup.transcript)
    assert [text[c.start:c.end] for c in made] == ["P: 愛知の工場で先輩が溶接を教えてくれました 🔧",
                                                  "only for simple tasks"]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "transcript.view")).first() is not None
    page = client.get(url).get_data(as_text=True)
    assert "<mark" in page
    assert f'href="#c-{made[1].id}"' in page  # the coded event on the timeline opens the passage


def test_fetch_saves_a_span_and_bad_input_changes_nothing(app: Flask, client: FlaskClient, session: Session,
                                                          make_study: Any) -> None:
    setup = interviewed(session, make_study())
    sign_in_client(app, client, setup.interviewer)
    url = f"/studies/{setup.study.slug}/coding/transcripts/{setup.transcript.id}"
    token = csrf_token(client, url)
    text = sources.read_text(setup.transcript)
    start = text.index("先輩")
    headers = {"Accept": "application/json"}
    ok = client.post(url + "/codings", headers=headers,
                     data=_form(setup, token, start=start, end=start + 2, quote="先輩"))
    assert ok.status_code == 200
    assert ok.get_json()["start"] == start
    for bad in (_form(setup, token, episode_no="7"), _form(setup, token, actor="boss"),
                _form(setup, token, quote="not in the text"), _form(setup, token, first=99),
                _form(setup, token, code=10**9)):
        response = client.post(url + "/codings", headers=headers, data=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]
    assert client.post(url + "/codings", headers=headers, data={**_form(setup, token), "csrf_token": "x"}
                       ).status_code == 400
    assert len(codings.of_transcript(session=session, transcript=setup.transcript)) == 1


def test_who_may_open_a_transcript(app: Flask, client: FlaskClient, session: Session, make_study: Any) -> None:
    study = make_study()
    setup = interviewed(session, study)
    url = f"/studies/{study.slug}/coding/transcripts/{setup.transcript.id}"
    for role, status in (("viewer", 403), ("interviewer", 403), ("researcher", 200), ("owner", 200)):
        sign_in_client(app, client, rf.user(session, study, role))
        assert client.get(url).status_code == status, role
    viewer = rf.user(session, study, "viewer")
    sign_in_client(app, client, viewer)
    assert client.get(f"/studies/{study.slug}/coding/agreement").status_code == 200
    codebook = client.get(f"/studies/{study.slug}/coding/codebook").get_data(as_text=True)
    assert "limit_deny" in codebook
    assert "溶接" not in client.get(f"/studies/{study.slug}/coding").get_data(as_text=True)


def test_codebook_page_adds_codes_and_refuses_bad_names(app: Flask, client: FlaskClient, session: Session,
                                                        make_study: Any) -> None:
    study = make_study()
    sign_in_client(app, client, rf.user(session, study, "researcher"))
    url = f"/studies/{study.slug}/coding/codebook"
    token = csrf_token(client, url)
    bad = client.post(url, data={"csrf_token": token, "name": "Bad Name", "colour": "#123456"})
    assert bad.status_code == 400
    assert "lower-case" in bad.get_data(as_text=True)
    good = client.post(url, data={"csrf_token": token, "name": "mentoring", "label": "Mentoring",
                                  "translations": "ja = 指導", "colour": "#123456"})
    assert good.status_code == 303
    assert "指導" in client.get(url).get_data(as_text=True)


def test_qdpx_download_needs_an_owner_and_a_reason(app: Flask, client: FlaskClient, session: Session,
                                                   make_study: Any) -> None:
    study = make_study()
    setup = interviewed(session, study)
    codings.apply(session=session, transcript=setup.transcript, code=setup.codes["recognise"],
                  coder=setup.interviewer, span=codings.Span(0, 5), actor="self", skill_domain="language")
    url = f"/studies/{study.slug}/coding/qdpx"
    sign_in_client(app, client, rf.user(session, study, "researcher"))
    assert client.get(url).status_code == 403
    sign_in_client(app, client, rf.user(session, study, "owner"))
    token = csrf_token(client, url)
    assert client.post(url, data={"csrf_token": token, "reason": "short"}).status_code == 400
    response = client.post(url, data={"csrf_token": token, "reason": "for the NVivo team in Kyoto"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert qdpx.validate(archive.read("project.qde")) == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "qda.export")).one().detail["reason"] \
        == "for the NVivo team in Kyoto"
    assert session.exec(select(Coding)).all()


def test_lead_records_another_coders_coding_as_consensus(app: Flask, client: FlaskClient, session: Session,
                                                         make_study: Any) -> None:
    setup = interviewed(session, make_study())
    _, span = codings.span_of(transcript=setup.transcript, first_paragraph=2)
    theirs = codings.apply(session=session, transcript=setup.transcript, code=setup.codes["cultivate"],
                           coder=setup.interviewer, span=span, actor="coworkers", skill_domain="technical")
    lead = rf.user(session, setup.study, "researcher")
    sign_in_client(app, client, lead)
    url = f"/studies/{setup.study.slug}/coding/transcripts/{setup.transcript.id}"
    page = client.get(url).get_data(as_text=True)
    assert f"C{setup.interviewer.id:03d}" in page
    token = csrf_token(client, url)
    response = client.post(f"/studies/{setup.study.slug}/coding/codings/{theirs.id}/consensus",
                           data={"csrf_token": token, "next_page": "transcript"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(url)
    agreed = codings.of_transcript(session=session, transcript=setup.transcript, consensus=True)
    assert [(c.start, c.end, c.coder_id) for c in agreed] == [(span.start, span.end, None)]


def test_agreement_for_chosen_coders_and_transcripts(app: Flask, client: FlaskClient, session: Session,
                                                     make_study: Any) -> None:
    setup = interviewed(session, make_study())
    second = rf.user(session, setup.study, "researcher")
    for coder, paragraph in ((setup.interviewer, 2), (second, 2), (second, 4)):
        _, span = codings.span_of(transcript=setup.transcript, first_paragraph=paragraph)
        codings.apply(session=session, transcript=setup.transcript, code=setup.codes["cultivate"], coder=coder,
                      span=span, actor="coworkers", skill_domain="technical")
    sign_in_client(app, client, rf.user(session, setup.study, "viewer"))
    base = f"/studies/{setup.study.slug}/coding/agreement"
    page = client.get(base).get_data(as_text=True)
    assert "<td>0.545</td>" in page  # kappa of 0,1,0,0,0 against 0,1,0,1,0: (0.8 - 0.56) / 0.44
    assert "溶接" not in page  # figures only, no quote
    one = client.get(base + ".csv", query_string={"coder": [f"C{second.id:03d}"]}).get_data(as_text=True)
    assert one.splitlines() == ["coder_a,coder_b,n_transcripts,code,n_units,n_coders,kappa,alpha,overlap"]
    both = client.get(base + ".csv", query_string={"transcript": [setup.transcript.id]}).get_data(as_text=True)
    assert f"C{setup.interviewer.id:03d},C{second.id:03d},1,cultivate,5,2," in both


def test_memo_on_a_code(app: Flask, client: FlaskClient, session: Session, make_study: Any) -> None:
    study = make_study()
    sign_in_client(app, client, rf.user(session, study, "researcher"))
    url = f"/studies/{study.slug}/coding/codebook"
    token = csrf_token(client, url)
    code = next(c for c in codebook.codes(session=session, study=study) if c.name == "ascribe")
    assert client.post(f"{url}/{code.id}/memo", data={"csrf_token": token, "text": ""}).status_code == 303
    assert client.post(f"{url}/{code.id}/memo", data={"csrf_token": token,
                                                      "text": "by nationality, not by work"}).status_code == 303
    assert "by nationality, not by work" in client.get(url).get_data(as_text=True)


def test_owners_import_a_qdpx_on_the_web_with_the_same_checks(app: Flask, client: FlaskClient, session: Session,
                                                              make_study: Any) -> None:
    from tests.webapp.coding.test_offsets import PASSAGES, nvivo_file

    study = make_study()
    url = f"/studies/{study.slug}/coding/qdpx/import"
    sign_in_client(app, client, rf.user(session, study, "researcher"))
    assert client.get(url).status_code == 403
    sign_in_client(app, client, rf.user(session, study, "owner"))
    page = client.get(url)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    token = csrf_token(client, url)

    def post(data: bytes, **fields: str) -> Any:
        return client.post(url, data={"csrf_token": token, "project": (io.BytesIO(data), "nvivo.qdpx"),
                                      "create_missing": "y", **fields}, content_type="multipart/form-data")

    refused = post(nvivo_file(units=True, named=False))  # offsets "auto" and nothing tells: refused
    assert refused.status_code == 400
    assert "UTF-16" in refused.get_data(as_text=True)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../etc/cron.d/x", b"boom")
    assert "points outside" in post(evil.getvalue()).get_data(as_text=True)
    assert session.exec(select(Coding).where(Coding.study_id == study.id)).all() == []
    done = post(nvivo_file(units=True, named=False), offsets="utf16")
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    assert "Positions read as: utf16" in done.get_data(as_text=True)
    made = session.exec(select(Coding).where(Coding.study_id == study.id)).all()
    assert len(made) == len(PASSAGES)
    transcript = session.get(Transcript, made[0].transcript_id)
    assert transcript is not None
    text = sources.read_text(transcript)
    assert sorted(text[c.start:c.end] for c in made) == sorted(PASSAGES)


def test_a_reversed_paragraph_range_is_taken_in_order(app: Flask, client: FlaskClient, session: Session,
                                                      make_study: Any) -> None:
    setup = interviewed(session, make_study())
    sign_in_client(app, client, setup.interviewer)
    url = f"/studies/{setup.study.slug}/coding/transcripts/{setup.transcript.id}"
    token = csrf_token(client, url)
    assert client.post(url + "/codings", data=_form(setup, token, first=5, last=4)).status_code == 303
    [made] = codings.of_transcript(session=session, transcript=setup.transcript)
    parts = sources.paragraphs(setup.transcript)
    assert (made.paragraph, made.start, made.end) == (4, parts[3].start, parts[4].end)


@pytest.mark.parametrize(("ui_language", "shown"), [("en", "Co-workers · Technical"), ("ja", "同僚 · 技術")])
def test_your_codings_show_the_labels_of_actor_and_domain(app: Flask, client: FlaskClient, session: Session,
                                                          make_study: Any, ui_language: str, shown: str) -> None:
    setup = interviewed(session, make_study())
    setup.interviewer.ui_language = ui_language
    _, span = codings.span_of(transcript=setup.transcript, first_paragraph=2)
    codings.apply(session=session, transcript=setup.transcript, code=setup.codes["cultivate"],
                  coder=setup.interviewer, span=span, actor="coworkers", skill_domain="technical")
    sign_in_client(app, client, setup.interviewer)
    page = client.get(f"/studies/{setup.study.slug}/coding/transcripts/{setup.transcript.id}",
                      headers={"Accept-Language": ui_language}).get_data(as_text=True)
    mine = page[page.index('id="mine-title"'):]
    assert shown in mine
    assert "coworkers" not in mine


@pytest.mark.parametrize(("languages", "booking_language", "selected"),
                         [(["en", "ja"], "ja", "ja"), (["id", "en"], "", "en")])
def test_transcript_languages_are_named_and_the_interview_s_is_chosen(
        app: Flask, client: FlaskClient, session: Session, make_study: Any, languages: list[str],
        booking_language: str, selected: str) -> None:
    setup = interviewed(session, make_study(languages=languages))
    setup.booking.language = booking_language
    session.flush()
    sign_in_client(app, client, setup.interviewer)
    page = client.get(f"/studies/{setup.study.slug}/coding/interviews/{setup.booking.id}").get_data(as_text=True)
    select = page[page.index('name="language"'):]
    select = select[:select.index("</select>")]
    names = {"en": "English", "ja": "日本語", "id": "Bahasa Indonesia"}
    for lang in languages:
        assert f'value="{lang}">{names[lang]}</option>' in select
    assert re.findall(r'<option selected value="([^"]*)"', select) == [selected]
