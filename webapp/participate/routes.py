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
from instruments.errors import ExpressionError
from instruments.expressions import Context, evaluate_bool
from instruments.model import Instrument
from webapp.db import db_session
from webapp.forms import page_service, pages
from webapp.forms.rows import page_rows
from webapp.models import InstrumentVersion, Study, utcnow
from webapp.participate import bp, state
from webapp.participate.services import continue_url, go_on, resume_info, study_title
from webapp.services import responses
from webapp.services.chosen_language import language_links
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


@bp.context_processor
def _globals() -> dict[str, Any]:
    return {"language_links": language_links, "study_title": study_title}


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


def _post(instrument: Instrument, today: date) -> page_service.PageOutcome:
    """A posted screening or consent page through the page service (all its groups on one page)."""
    group = page_service.whole(instrument)
    raw = page_service.read_raw(
        instrument=instrument, questions=page_service.page_questions(group), language=g.language
    )
    return page_service.apply_page(
        instrument=instrument, group=group, raw=raw, answers={}, today=today, language=g.language,
        seen=page_service.read_seen(),
    )


def _rows(instrument: Instrument, outcome: page_service.PageOutcome | None, today: date) -> tuple[list[Any], str]:
    """The rows of the pages shown (what was typed back in its fields) and the first page's rules."""
    answers = outcome.answers if outcome else {}
    values = {**(outcome.pending if outcome else {}), **answers}
    rows: list[dict[str, Any]] = []
    blocks = []
    for group in pages.visible_pages(instrument, answers, today):
        group_rows, rules = page_rows(
            instrument=instrument,
            group=group,
            answers=answers,
            values=values,
            errors=outcome.errors if outcome else {},
            entry=None,
            today=today,
            language=g.language,
        )
        rows.extend(group_rows)
        blocks.append(rules)
    return rows, blocks[0] if blocks else "{}"


@bp.route("/<study>/screening", methods=["GET", "POST"])
def screening(study: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = state.participant(s)
    if person is not None:
        return go_on(s, person)
    _version, instrument = _instrument(s, "screening")
    today = utcnow().date()
    outcome = _post(instrument, today) if request.method == "POST" else None
    if outcome is not None and state.switched_language():  # the same answers again, in that language
        outcome.errors, outcome.appeared = {}, []
    elif outcome is not None and outcome.accepted:
        return _screened(s, instrument, outcome.answers, today)
    rows, rules = _rows(instrument, outcome, today)
    appeared = bool(outcome and outcome.appeared)
    return render_template(
        "participate/screening.html",
        study=s,
        rows=rows,
        rules=rules,
        title=instrument.text(instrument.title, g.language),
        has_errors=bool(outcome and outcome.errors),
        appeared=appeared,
    ), (422 if outcome and not outcome.accepted else 200)


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
    today = utcnow().date()
    outcome = _post(instrument, today) if request.method == "POST" else None
    if outcome is not None and state.switched_language():  # the same answers again, in that language
        outcome.errors, outcome.appeared = {}, []
    elif outcome is not None and outcome.accepted:
        responses.record_consent(
            session=db_session(),
            participant=person,
            version=version,
            language=g.language,
            withdrawal_data=str(outcome.answers.get("withdrawal_data")),
            now=utcnow(),
        )
        return go_on(s, person)
    rows, _rules = _rows(instrument, outcome, today)
    return render_template(
        "participate/consent.html",
        study=s,
        rows=rows,
        participant=person,
        title=instrument.text(instrument.title, g.language),
        has_errors=bool(outcome and outcome.errors),
    ), (422 if outcome and not outcome.accepted else 200)


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
            booking = url_for("schedule.book", study_slug=s.slug, token=token)
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


#: The relevance/constraint evaluator shared with the server (instruments/js/rules.js) and its less used
#: functions (rules-more.js, only on pages whose rules call one).
RULES_JS = Path(instruments.__file__).parent / "js" / "rules.js"
RULES_MORE_JS = RULES_JS.with_name("rules-more.js")
RULES_LITE_JS = RULES_JS.with_name("rules-lite.js")  #: instead of rules.js where every rule is simple
SCRIPTS = {"rules.js": "participate.rules_js", "rules-more.js": "participate.rules_more_js",
           "rules-lite.js": "participate.rules_lite_js"}


@functools.lru_cache(maxsize=3)
def _script(path: Path) -> bytes:
    return path.read_bytes()


def _script_response(path: Path) -> Response:
    response = Response(_script(path), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/static/rules.js")
def rules_js() -> Response:
    return _script_response(RULES_JS)


@bp.route("/static/rules-more.js")
def rules_more_js() -> Response:
    return _script_response(RULES_MORE_JS)


@bp.route("/static/rules-lite.js")
def rules_lite_js() -> Response:
    return _script_response(RULES_LITE_JS)
