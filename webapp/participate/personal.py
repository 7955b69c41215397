"""The participant's own links: come back with the code or the personal link, the consent copy,
withdrawal, and leaving a shared phone."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlmodel import col, select

from webapp.db import db_session
from webapp.extensions import limiter
from webapp.models import Consent, utcnow
from webapp.participate import bp, state
from webapp.participate.services import continue_url, go_on
from webapp.services import responses
from webapp.services.studies import instrument_of, version_by_id
from webapp.services.withdrawal import withdraw as withdraw_participant

CODE_FORMAT = "XXXX-XXXX"


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
            # The personal link is not replaced: someone who only has the code cannot cut its owner off.
            state.forget(s)
            state.update(s, pid=person.id, code=responses.normalise_resume_code(code), lang=person.form_language)
            flash(
                _(
                    "Welcome back. Your answers are here. Your personal link still works. If someone else may "
                    "know it, make a new one on the page “Your personal link”."
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


@bp.route("/<study>/link", methods=["GET", "POST"])
def new_link(study: str) -> ResponseReturnValue:
    """"Your personal link": make a new one on purpose (the old one then stops working), shown on this page."""
    s = state.enter(study)
    person = state.participant(s)
    if person is None:
        return redirect(url_for("participate.resume", study=s.slug))
    link = None
    if request.method == "POST":
        token = responses.new_token(session=db_session(), participant=person, now=utcnow())
        state.update(s, tok=token)
        link = url_for("participate.by_token", study=s.slug, token=token, _external=False)
        link = f"{current_app.config['KEIREKI'].base_url}{link}"
    return render_template("participate/new_link.html", study=s, participant=person, link=link,
                           has_link=bool(state.state(s).get("tok")), next_url=continue_url(s, person))


@bp.route("/<study>/p/<token>")
def by_token(study: str, token: str) -> ResponseReturnValue:
    s = state.enter(study)
    person = responses.participant_by_token(session=db_session(), study=s, token=token)
    if person is None:
        # An old (replaced) or mistyped link: say so and lead to the resume page, not a bare 404.
        return render_template("participate/link_invalid.html", study=s), 404
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
    version = version_by_id(session=db_session(), version_id=given.instrument_version_id)
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
    response = redirect(url_for("participate.start", study=s.slug))
    # What form.js kept in the browser's storage (answers typed offline) goes too; form.js also clears it
    # itself, for browsers that honour this header only over HTTPS.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response
