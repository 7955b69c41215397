"""Arbitrary input to every participant form: never a 500, never a corrupted draft; 413 past the limit."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from instruments import engine
from instruments.model import Group, Instrument
from tests.support.fuzz import examples
from tests.webapp.participate.journey import STUDY, Journey
from webapp.forms import pages
from webapp.models import Draft, Participant
from webapp.services.studies import current_version, instrument_of

TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=20),  # control characters
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "NaN",
            "令和99年",
            "H0.1",
            "2019-02-30",
            "yes",
            "none",
            "<script>",
            "ti",
            "VNM",
            "\x00",
            "\ud7ff",
            "${x}",
        ]
    ),
    st.integers(min_value=1000, max_value=300_000).map(lambda n: "x" * n),  # huge
)
FIELDS = [
    "birth_year",
    "gender",
    "nationality",
    "job_employer",
    "job_start",
    "job_end",
    "job_ongoing",
    "job_training",
    "fees_paid",
    "contact_phone",
    "contact_email",
    "interview_ok",
    "participant_type",
    "adult",
    "consent",
    "withdrawal_data",
    "code",
    "participant_code",
    "action",
    "unknown_field",
    "jobs",
]
FORM = st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(min_size=1, max_size=8), TEXT), max_size=12)
TARGETS = [
    "/form/background",
    "/form/before_japan",
    "/form/route",
    "/form/japan_jobs",
    "/form/contact",
    "/form/japan_jobs/entry/1",
    "/form/japan_jobs/entry/2?r=jobs",
    "/form/before_japan/entry/1?r=training",
    "/form/nope",
    "/form/japan_jobs/entry/99",
    "/screening",
    "/consent",
    "/resume",
    "/submit",
    "/leave",
]


def _check_answers(instrument: Instrument, group_children: Any, answers: Any) -> None:
    """Every stored answer belongs to a question and is a value its type can hold."""
    assert isinstance(answers, dict)
    by_name = {n.name: n for n in group_children}
    for name, value in answers.items():
        node = by_name.get(name)
        assert node is not None, f"answer to an unknown question {name!r}"
        if isinstance(node, Group):
            assert isinstance(value, list)
            for entry in value:
                _check_answers(instrument, [n for n in node.walk()], entry)
            continue
        assert not node.is_contact
        assert pages.answerable(node)
        if node.type == "integer":
            assert isinstance(value, int)
        elif node.type == "select_multiple":
            names = {c.name for c in instrument.choice_lists[node.choices or ""]}
            assert isinstance(value, list)
            assert set(value) <= names
        elif node.type == "select_one":
            assert value in {c.name for c in instrument.choice_lists[node.choices or ""]}
        else:
            assert isinstance(value, str)
            assert value == unicodedata.normalize("NFC", value)
            assert not any(ch < " " and ch not in "\t\n\r" for ch in value)
            assert engine.convert_answer(node, value).value == value  # it reads back as itself


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(target=st.sampled_from(TARGETS), form=FORM, csrf=st.sampled_from(["valid", "missing", "forged"]))
def test_arbitrary_posts_never_fail_or_corrupt(
    journey: Journey, session: Session, target: str, form: list[tuple[str, str]], csrf: str
) -> None:
    if journey.last is None:
        journey.screen("ti")
        journey.consent()
    person = session.exec(select(Participant)).first()
    assert person is not None
    before = session.exec(select(Draft).where(Draft.participant_id == person.id)).first()
    before_answers = dict(before.answers) if before else None
    path = f"/s/{STUDY}{target}"
    if csrf == "valid":
        journey.get(path.replace("/submit", "/review").replace("/leave", "/review"))
        response = journey.post(path, form)
    else:
        data = form + ([("csrf_token", "forged-token")] if csrf == "forged" else [])
        from werkzeug.datastructures import MultiDict

        response = journey.client.post(path, data=MultiDict(data), headers=journey.headers)
        from tests.webapp.participate.journey import end_request_session

        end_request_session()
    assert response.status_code < 500, response.get_data(as_text=True)[-500:]
    draft = session.exec(select(Draft).where(Draft.participant_id == person.id)).first()
    if draft is None:
        return
    session.refresh(draft)
    if csrf != "valid":
        assert response.status_code == 400
        assert before_answers is None or draft.answers == before_answers
    version = current_version(session=session, study_id=person.study_id, instrument_id=draft.instrument_id)
    instrument = instrument_of(version)
    _check_answers(instrument, [n for g in instrument.groups for n in pages.items(g)], draft.answers)
    assert draft.expires_at > draft.updated_at
    date.today()


def test_a_body_over_the_limit_gets_413(journey: Journey, app: Any) -> None:
    journey.screen("ti")
    journey.consent()
    journey.get(f"/s/{STUDY}/form/background")
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = journey.post(f"/s/{STUDY}/form/background", {"birth_year": "1" * (limit + 10)})
    assert response.status_code == 413
