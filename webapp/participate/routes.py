"""Start, screening, consent and thank-you pages of the participant's journey."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.routing import BuildError

import instruments
from instruments import engine
from instruments.errors import AnswerError, ExpressionError
from instruments.expressions import Context, evaluate_bool
from instruments.model import Instrument
from webapp.db import db_session
from webapp.forms import build_form_class, raw_value
from webapp.models import InstrumentVersion, Study, utcnow
from webapp.participate import bp, pages, state
from webapp.participate.render import page_rows
from webapp.participate.views import continue_url, go_on, resume_info
from webapp.services import responses
from webapp.services.studies import current_version, instrument_of


def _instrument(study: Study, step: str) -> tuple[InstrumentVersion, Instrument]:
    instrument_id = study.steps.get(step)
    version = (
        current_version(
            session=db_session(),
            study_id=study.id,  # type: ignore[arg-type]
            instrument_id=instrument_id,
        )
        if isinstance(instrument_id, str)
        else None
    )
    if version is None:
        abort(404)
    return version, instrument_of(version)


@bp.route("/<study>")
def start(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    channel = request.args.get("c", "").strip()[:64]
    if channel:
        state.update(s, c=channel)
    if "lang" not in state.state(s):
        state.update(s, lang=g.language)  # the preselected language holds until changed
    person = state.participant(s)
    return render_template(
        "participate/start.html",
        study=s,
        participant=person,
        next_url=continue_url(s, person) if person else None,
    )


@bp.route("/<study>/screening", methods=["GET", "POST"])
def screening(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = state.participant(s)
    if person is not None:
        return go_on(s, person)
    _version, instrument = _instrument(s, "screening")
    today = utcnow().date()
    group_questions = [q for q in instrument.questions() if pages.answerable(q)]
    answers: dict[str, Any] = {}
    errors: dict[str, dict[str, Any]] = {}
    typed: dict[str, Any] = {}
    if request.method == "POST":
        form = build_form_class(instrument=instrument, questions=group_questions, language=g.language)()
        for question in group_questions:
            raw = raw_value(form, question)
            typed[question.name] = raw
            if not (raw.strip() if isinstance(raw, str) else raw):
                continue
            try:
                answers[question.name] = engine.convert_answer(question, raw, instrument=instrument).value
            except AnswerError as exc:
                errors[question.name] = {"code": exc.code, "message": None, "params": {}}
        for group in instrument.groups:
            for key, issue in engine.validate_page(instrument, group, answers, today=today).items():
                errors.setdefault(key, {"code": issue.code, "message": issue.message, "params": {}})
        if state.switched_language():  # a language button: the same answers again, in that language
            errors = {}
        elif not errors:
            return _screened(s, instrument, answers, today)
    # Without JavaScript a question shown by another answer appears only now: a notice, not an error.
    hidden_before = {
        q.name for q in group_questions if not engine.is_relevant(instrument, q, {}, today=today)
    }
    appeared = [
        k for k, e in errors.items() if k in hidden_before and e["code"] == "required" and not typed.get(k)
    ]
    for key in appeared:
        errors.pop(key)
    rows: list[dict[str, Any]] = []
    blocks = []
    for group in pages.visible_pages(instrument, answers, today):
        group_rows, rules = page_rows(
            instrument=instrument,
            group=group,
            answers=answers,
            values={**typed, **answers},
            errors=errors,
            entry=None,
            today=today,
            language=g.language,
        )
        rows.extend(group_rows)
        blocks.append(rules)
    return render_template(
        "participate/screening.html",
        study=s,
        rows=rows,
        rules=blocks[0] if blocks else "{}",
        title=instrument.text(instrument.title, g.language),
        has_errors=bool(errors),
        appeared=bool(appeared),
    ), (422 if errors or appeared else 200)


def _screened(
    study: Study, instrument: Instrument, answers: dict[str, Any], today: date
) -> ResponseReturnValue:
    rule = instrument.settings.get("eligible", "")
    try:
        eligible = evaluate_bool(rule, Context(answers, today)) if rule else True
    except ExpressionError:
        eligible = False
    ptype = str(answers.get("participant_type", ""))
    channel = state.state(study).get("c")
    if not eligible or ptype not in responses.CODE_PREFIXES:
        responses.count_ineligible(session=db_session(), study=study, channel_code=channel)
        return redirect(url_for("participate.not_eligible", study=study.slug))
    created = responses.create_participant(
        session=db_session(),
        study=study,
        participant_type=ptype,
        language=g.language,
        channel_code=channel,
        now=utcnow(),
    )
    state.update(study, pid=created.participant.id, tok=created.token, code=created.code)
    return redirect(url_for("participate.consent", study=study.slug))


@bp.route("/<study>/not-eligible")
def not_eligible(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    return render_template("participate/not_eligible.html", study=s)


@bp.route("/<study>/consent", methods=["GET", "POST"])
def consent(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = state.participant(s)
    if person is None:
        return redirect(url_for("participate.start", study=s.slug))
    if person.status != "screened":
        return go_on(s, person)
    version, instrument = _instrument(s, "consent")
    asked = [q for q in instrument.questions() if pages.answerable(q)]
    errors: dict[str, dict[str, Any]] = {}
    typed: dict[str, Any] = {}
    if request.method == "POST":
        form = build_form_class(instrument=instrument, questions=asked, language=g.language)()
        answers: dict[str, Any] = {}
        for question in asked:
            typed[question.name] = raw_value(form, question)
            try:
                answers[question.name] = engine.convert_answer(
                    question, typed[question.name], instrument=instrument
                ).value
            except AnswerError as exc:
                errors[question.name] = {
                    "code": exc.code,
                    "message": question.required_message or None,
                    "params": {},
                }
        if state.switched_language():  # a language button: the same answers again, in that language
            errors = {}
        elif not errors:
            responses.record_consent(
                session=db_session(),
                participant=person,
                version=version,
                language=g.language,
                withdrawal_data=str(answers.get("withdrawal_data")),
                now=utcnow(),
            )
            return go_on(s, person)
    today = utcnow().date()
    rows: list[dict[str, Any]] = []
    for group in instrument.groups:
        group_rows, _rules = page_rows(
            instrument=instrument,
            group=group,
            answers={},
            values=typed,
            errors=errors,
            entry=None,
            today=today,
            language=g.language,
        )
        rows.extend(group_rows)
    return render_template(
        "participate/consent.html",
        study=s,
        rows=rows,
        participant=person,
        title=instrument.text(instrument.title, g.language),
        has_errors=bool(errors),
    ), (422 if errors else 200)


@bp.route("/<study>/thanks")
def thanks(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = state.participant(s)
    if person is None:
        return redirect(url_for("participate.start", study=s.slug))
    if person.status not in ("submitted", "interviewed"):
        return go_on(s, person)
    token = state.state(s).get("tok")
    booking = None
    if token:
        try:
            booking = url_for("schedule.book", study=s.slug, token=token)
        except BuildError:
            booking = None
    return render_template(
        "participate/thanks.html",
        study=s,
        participant=person,
        booking=booking,
        info=resume_info(s, person, None),
        token=token,
    )


#: The relevance/constraint evaluator shared with the server (instruments/js/rules.js).
RULES_JS = Path(instruments.__file__).parent / "js" / "rules.js"


@functools.lru_cache(maxsize=1)
def _rules_js() -> bytes:
    return RULES_JS.read_bytes()


@bp.route("/static/rules.js")
def rules_js() -> Response:
    response = Response(_rules_js(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
