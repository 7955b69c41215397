"""The global admin's pages: users (invite, roles per study) and the list of studies."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlmodel import col, select
from werkzeug.wrappers import Response

from webapp.auth import services
from webapp.auth.forms import InviteForm, MembershipForm
from webapp.auth.mailing import invite_link, send_invitation
from webapp.db import db_session
from webapp.models import Membership, Participant, Study, User, utcnow
from webapp.services.audit import actor_of
from webapp.services.studies import study_title as title_in

#: The area's folder (``templates/``, ``static/``): this module lives one level below it.
AREA_ROOT = str(Path(__file__).resolve().parents[1])
bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               root_path=AREA_ROOT)

F = TypeVar("F", bound=Callable[..., Any])

#: Where a new invitation link waits between the POST and the page that shows it once.
_LINK_KEY = "admin_invite_link"


def admin_required(view: F) -> F:
    """Only a signed-in global admin may open the page (403 for others, sign-in for visitors)."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_admin", False):
            abort(403)
        return view(*args, **kwargs)

    wrapper.keireki_admin = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def study_title(study: Study) -> str:
    """The study's title on the admin pages (English first)."""
    return title_in(study, "en")


def _study_choices() -> list[tuple[int, str]]:
    studies = db_session().exec(select(Study).order_by(Study.slug)).all()
    return [(s.id, f"{study_title(s)} ({s.slug})") for s in studies if s.id is not None]


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Any:
    db = db_session()
    choices = _study_choices()
    form = InviteForm(studies=choices)
    error = None
    if form.validate_on_submit():
        study_id = form.study.data or None
        try:
            user, token = services.invite_user(
                session=db, email=form.email.data or "", name=form.name.data or "", now=utcnow(),
                actor=actor_of(current_user), actor_id=current_user.id, is_admin=bool(form.is_admin.data),
                study_id=study_id, role=form.role.data if study_id else None)
        except services.AccountError:
            error = _("Please enter a valid e-mail address.")
        else:
            if token:
                link = invite_link(token)
                session[_LINK_KEY] = {"email": user.email, "link": link,
                                      "mailed": send_invitation(user=user, link=link)}
            flash(_("%(email)s is invited.", email=user.email) if token
                  else _("The role of %(email)s is saved.", email=user.email), "info")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        error = _("Please check the form.")
    rows = db.exec(select(User).order_by(User.email)).all()
    memberships: dict[int, list[tuple[Study, str]]] = {}
    joined = select(Membership, Study).join(Study, col(Study.id) == Membership.study_id)
    for membership, study in db.exec(joined):
        memberships.setdefault(membership.user_id, []).append((study, membership.role))
    return render_template("admin/users.html", form=form, error=error, users=rows, memberships=memberships,
                           new_link=session.pop(_LINK_KEY, None),
                           membership_form=MembershipForm(studies=choices),
                           study_title=study_title), 400 if error else 200


@bp.post("/users/<int:user_id>/membership")
@admin_required
def membership(user_id: int) -> Response:
    db = db_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    form = MembershipForm(studies=_study_choices())
    if not form.validate_on_submit():
        flash(_("Please choose a study and a role."), "error")
        return redirect(url_for("admin.users"))
    role = None if form.role.data == "none" else form.role.data
    services.set_membership(session=db, user_id=user_id, study_id=form.study.data, role=role)
    db.commit()
    flash(_("The role of %(email)s is saved.", email=user.email), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reinvite")
@admin_required
def reinvite(user_id: int) -> Response:
    db = db_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    if user.password_hash is not None:
        flash(_("%(email)s has already set a password.", email=user.email), "error")
        return redirect(url_for("admin.users"))
    user, token = services.invite_user(session=db, email=user.email, now=utcnow(),
                                       actor=actor_of(current_user),
                                       actor_id=current_user.id)
    if token:
        link = invite_link(token)
        mailed = send_invitation(user=user, link=link)
        session[_LINK_KEY] = {"email": user.email, "link": link, "mailed": mailed}
    return redirect(url_for("admin.users"))


@bp.get("/studies")
@admin_required
def studies() -> Any:
    db = db_session()
    rows = db.exec(select(Study).order_by(Study.slug)).all()
    counts: dict[int, int] = {
        int(s): int(n) for s, n in db.execute(sa.select(col(Participant.study_id), sa.func.count())
                                              .group_by(col(Participant.study_id))).all()}
    members: dict[int, int] = {
        int(s): int(n) for s, n in db.execute(sa.select(col(Membership.study_id), sa.func.count())
                                              .group_by(col(Membership.study_id))).all()}
    return render_template("admin/studies.html", studies=rows, counts=counts, members=members,
                           study_title=study_title)
