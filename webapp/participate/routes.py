"""Start, screening, consent, thank-you, resume and withdrawal pages of the participant's journey."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlmodel import col, select
from werkzeug.routing import BuildError

from instruments import engine
from instruments.errors import AnswerError, ExpressionError
from instruments.expressions import Context, evaluate_bool
from instruments.model import Instrument
from webapp.db import db_session
from webapp.extensions import limiter
from webapp.forms import build_form_class, raw_value
from webapp.models import Consent, InstrumentVersion, Study, utcnow
from webapp.participate import bp, pages, state
from webapp.participate.render import page_rows
from webapp.participate.views import continue_url, go_on, resume_info
from webapp.services import responses
from webapp.services.studies import current_version, instrument_of
from webapp.services.withdrawal import withdraw as withdraw_participant

CODE_FORMAT = "XXXX-XXXX"


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
        if not errors:
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
        if not errors:
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


@bp.route("/<study>/resume", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per day", methods=["POST"])
def resume(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    error = None
    if request.method == "POST":
        pcode = request.form.get("participant_code", "")[:32]
        code = request.form.get("code", "")[:64]
        person = responses.check_resume_code(session=db_session(), study=s, participant_code=pcode, code=code)
        if person is not None:
            token = responses.new_token(session=db_session(), participant=person, now=utcnow())
            state.forget(s)
            state.update(
                s,
                pid=person.id,
                tok=token,
                code=responses.normalise_resume_code(code),
                lang=person.form_language,
            )
            flash(
                _(
                    "Welcome back. Your answers are here. We made you a new personal link: it replaces "
                    "the old one."
                )
            )
            return go_on(s, person)
        error = _(
            "This number and code do not match. Please check them and try again. After too many "
            "wrong tries the code is locked: then use your personal link."
        )
    return render_template("participate/resume.html", study=s, error=error, code_format=CODE_FORMAT), (
        422 if error else 200
    )


@bp.route("/<study>/p/<token>")
def by_token(study: str, token: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = responses.participant_by_token(session=db_session(), study=s, token=token)
    if person is None:
        abort(404)
    mine = state.state(s)
    code = mine.get("code") if mine.get("pid") == person.id else None
    state.forget(s)
    state.update(
        s, pid=person.id, tok=token, code=code, lang=request.args.get("lang") or person.form_language
    )
    if person.resume_failures:
        person.resume_failures = 0
        db_session().add(person)
        db_session().commit()
    return go_on(s, person)


@bp.route("/<study>/p/<token>/consent.html")
def consent_copy(study: str, token: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = responses.participant_by_token(session=db_session(), study=s, token=token)
    if person is None:
        abort(404)
    given = (
        db_session()
        .exec(select(Consent).where(Consent.participant_id == person.id).order_by(col(Consent.id).desc()))
        .first()
    )
    if given is None:
        abort(404)
    version = db_session().get(InstrumentVersion, given.instrument_version_id)
    assert version is not None
    instrument = instrument_of(version)
    g.language = given.language if given.language in s.languages else g.language
    paragraphs = [
        instrument.text(q.label, given.language) for q in instrument.questions() if q.type == "note"
    ]
    choice = next(
        (c for c in instrument.choice_lists.get("withdrawal_data", ()) if c.name == given.withdrawal_data),
        None,
    )
    return render_template(
        "participate/consent_copy.html",
        study=s,
        participant=person,
        consent=given,
        paragraphs=paragraphs,
        token=token,
        withdrawal=instrument.text(choice.label, given.language) if choice else "",
    )


@bp.route("/<study>/p/<token>/withdraw", methods=["GET", "POST"])
def withdraw(study: str, token: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = responses.participant_by_token(session=db_session(), study=s, token=token)
    if person is None:
        abort(404)
    if person.status == "withdrawn":
        return redirect(url_for("participate.withdrawn", study=s.slug))
    if request.method == "POST" and request.form.get("confirm") == "yes":
        withdraw_participant(
            session=db_session(), participant=person, actor=f"participant:{person.code}", now=utcnow()
        )
        db_session().commit()
        state.update(s, pid=person.id)
        return redirect(url_for("participate.withdrawn", study=s.slug))
    return render_template("participate/withdraw.html", study=s, participant=person, available=True)


@bp.route("/<study>/withdrawn")
def withdrawn(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    return render_template("participate/withdrawn.html", study=s)


@bp.route("/<study>/leave", methods=["POST"])
def leave(study: str) -> ResponseReturnValue:
    """Forget this participant in this browser (a shared phone); the answers stay saved."""
    s = state.enter(study)
    state.forget(s)
    flash(_("This phone no longer shows your answers. Use your personal link or code to come back."))
    return redirect(url_for("participate.start", study=s.slug))


@functools.lru_cache(maxsize=1)
def _rules_js() -> bytes:
    import instruments

    return (Path(instruments.__file__).parent / "js" / "rules.js").read_bytes()


@bp.route("/static/rules.js")
def rules_js() -> Response:
    response = Response(_rules_js(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
