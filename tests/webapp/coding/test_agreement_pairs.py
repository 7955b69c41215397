"""Agreement compares coders two by two, each pair on the transcripts both coded: a third coder who coded
another transcript (or an imported project's external coder) does not blank the comparison of the others."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.webapp.auth.support import sign_in_client
from tests.webapp.coding.factories import Setup, interviewed
from tests.webapp.research import factories as rf
from webapp.coding.services import agreement, bundle, codings
from webapp.models import Transcript, User

KAPPA = "0.545"  # cultivate, 0,1,0,0,0 against 0,1,0,1,0: (0.8 - 0.56) / 0.44


def _code(session: Session, setup: Setup, transcript: Transcript, coder: User | None, paragraph: int,
          external: str | None = None) -> None:
    _, span = codings.span_of(transcript=transcript, first_paragraph=paragraph)
    codings.apply(session=session, transcript=transcript, code=setup.codes["cultivate"], coder=coder, span=span,
                  actor="coworkers", skill_domain="technical", external_coder=external, imported=external is not None)


def _ref(user: User) -> str:
    return f"C{user.id:03d}"


@pytest.fixture
def three(session: Session, make_study: Any) -> tuple[Setup, User, User, Transcript]:
    """Two coders on the first transcript (kappa 0.545); a third coded a second transcript alone."""
    setup = interviewed(session, make_study())
    second = rf.user(session, setup.study, "researcher")
    third = rf.user(session, setup.study, "researcher")
    for coder, paragraph in ((setup.interviewer, 2), (second, 2), (second, 4)):
        _code(session, setup, setup.transcript, coder, paragraph)
    other = interviewed(session, setup.study, code="TI-0002", interviewer=setup.interviewer).transcript
    _code(session, setup, other, third, 3)
    return setup, second, third, other


def test_a_third_coder_on_another_transcript_leaves_the_pair_that_shares_one(
        session: Session, three: tuple[Setup, User, User, Transcript]) -> None:
    setup, second, third, _other = three
    result = agreement.report(session=session, study=setup.study)
    assert result.available == sorted([_ref(setup.interviewer), _ref(second), _ref(third)])
    [pair] = result.pairs
    assert pair.coders == (_ref(setup.interviewer), _ref(second))
    assert [t.id for t in pair.transcripts] == [setup.transcript.id]
    assert {r.code: r for r in pair.rows}["cultivate"].kappa == pytest.approx(0.5454545)
    chosen = agreement.report(session=session, study=setup.study, coders=list(pair.coders))
    assert agreement.to_csv(chosen) == agreement.to_csv(result)
    rows = list(csv.DictReader(io.StringIO(agreement.to_csv(result))))
    assert {(r["coder_a"], r["coder_b"], r["n_transcripts"]) for r in rows} == {(*pair.coders, "1")}


def test_every_pair_sharing_a_transcript_is_compared_on_the_transcripts_both_coded(
        session: Session, three: tuple[Setup, User, User, Transcript]) -> None:
    setup, second, third, other = three
    _code(session, setup, other, setup.interviewer, 3)  # first and third now share the second transcript
    _code(session, setup, setup.transcript, None, 2, external="ana")  # an imported project's coder
    result = agreement.report(session=session, study=setup.study)
    shared = {pair.coders: [t.id for t in pair.transcripts] for pair in result.pairs}
    a, b, c = _ref(setup.interviewer), _ref(second), _ref(third)
    assert shared == {(a, b): [setup.transcript.id], (a, c): [other.id], (a, "X-ana"): [setup.transcript.id],
                      (b, "X-ana"): [setup.transcript.id]}
    by_pair = {p.coders: {r.code: r for r in p.rows}["cultivate"] for p in result.pairs}
    assert by_pair[(a, b)].kappa == pytest.approx(0.5454545)  # as for the pair alone
    assert by_pair[(a, c)].kappa == pytest.approx(1.0)
    assert by_pair[(a, c)].n_units == len(other.paragraphs)
    # Disagreements name only the coders of the transcript.
    assert {d.transcript.id: set(d.by_coder) for d in result.disagreements} == {setup.transcript.id: {a, b, "X-ana"}}


def test_the_bundle_follows_the_same_rule(session: Session, three: tuple[Setup, User, User, Transcript]) -> None:
    setup, second, _third, _other = three
    files = bundle.files(session=session, study=setup.study, with_pii=False)
    rows = list(csv.DictReader(io.StringIO(files["agreement_by_code.csv"].decode("utf-8"))))
    assert rows, "agreement_by_code.csv has only its header"
    assert {(r["coder_a"], r["coder_b"], r["n_transcripts"]) for r in rows} == \
        {(_ref(setup.interviewer), _ref(second), "1")}
    assert {r["code"]: r for r in rows}["cultivate"]["kappa"] == KAPPA


def test_the_page_offers_every_coder_and_says_when_a_selection_shares_nothing(
        app: Flask, client: FlaskClient, session: Session, three: tuple[Setup, User, User, Transcript]) -> None:
    setup, second, third, _other = three
    sign_in_client(app, client, rf.user(session, setup.study, "researcher"))
    base = f"/studies/{setup.study.slug}/coding/agreement"
    page = client.get(base).get_data(as_text=True)
    for coder in (setup.interviewer, second, third):
        assert f'name="coder" value="{_ref(coder)}" checked' in page
    assert f"<td>{KAPPA}</td>" in page
    assert "on the 1 transcript both coded" in page
    assert f"Compared with nobody (no transcript in common with another chosen coder): {_ref(third)}." in page
    alone = {"coder": [_ref(setup.interviewer), _ref(third)]}
    response = client.get(base, query_string=alone)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The chosen coders have no transcript in common" in text
    assert f'name="coder" value="{_ref(second)}">' in text  # offered, not chosen
    assert f"<td>{KAPPA}</td>" not in text
    csv_text = client.get(base + ".csv", query_string=alone).get_data(as_text=True)
    assert csv_text.splitlines() == [",".join(agreement.COLUMNS)]
    one = client.get(base, query_string={"coder": [_ref(second), "C999"]}).get_data(as_text=True)
    assert "Choose at least two coders to compare." in one
    assert client.get(base + ".html", query_string=alone).status_code == 200
