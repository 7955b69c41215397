"""Owners' pages for API tokens: ``/studies/<study>/api-tokens`` (create, shown once; revoke)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from webapp.api import services
from webapp.api.forms import RevokeForm, TokenForm
from webapp.auth.roles import study_view
from webapp.db import db_session
from webapp.models import Study

#: The area's folder (``templates/``, ``static/``): this module lives one level below it.
AREA_ROOT = str(Path(__file__).resolve().parents[1])
bp = Blueprint("api_tokens", __name__, template_folder="templates",
               root_path=AREA_ROOT)
#: Session key holding a new token until the next page view shows it (once).
_NEW = "api_token_once"


def _page(form: TokenForm, status: int = 200) -> ResponseReturnValue:
    shown = session.pop(_NEW, None)
    rows = services.tokens_of(session=db_session(), study_id=g.study.id)
    return render_template("api/tokens.html", form=form, revoke=RevokeForm(), rows=rows, new_token=shown,
                           study=g.study), status


@bp.get("/studies/<study>/api-tokens")
@study_view("tokens")
def index(study: Study) -> ResponseReturnValue:
    return _page(TokenForm())


@bp.post("/studies/<study>/api-tokens")
@study_view("tokens")
def create(study: Study) -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    _row, token = services.create_token(session=db_session(), study=study, name=form.name.data or "",
                                      user=current_user)
    session[_NEW] = token
    return redirect(url_for("api_tokens.index", study=study.slug), 303)


@bp.post("/studies/<study>/api-tokens/<int:token_id>/revoke")
@study_view("tokens")
def revoke(study: Study, token_id: int) -> ResponseReturnValue:
    if not RevokeForm().validate_on_submit():
        abort(400)
    if services.revoke_token(session=db_session(), study=study, token_id=token_id, user=current_user) is None:
        abort(404)
    flash(_("The token was revoked. Programs using it can no longer read the study."), "info")
    return redirect(url_for("api_tokens.index", study=study.slug), 303)
