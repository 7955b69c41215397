"""Sign-in, sign-out (here and everywhere), invitations and the account page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from webapp.auth import services, throttle
from webapp.auth.forms import AccountForm, PasswordChangeForm, SetPasswordForm, SignInForm
from webapp.db import db_session
from webapp.errors import render_error
from webapp.extensions import UI_LANGUAGES, SignedInUser, limiter
from webapp.models import User, utcnow
from webapp.redirects import safe_target

#: The area's folder (``templates/``, ``static/``): this module lives one level below it.
AREA_ROOT = str(Path(__file__).resolve().parents[1])
bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates", static_folder="static",
               root_path=AREA_ROOT)

#: Sign-in attempts that fail count against the visitor's address (over all accounts); per account, see
#: :mod:`webapp.auth.throttle`.
SIGNIN_LIMIT_IP = "20 per minute; 100 per hour"
#: Invitation links that are unknown or expired, per visitor's address (opening or posting): tokens cannot be
#: guessed, and this keeps anyone from trying.
INVITE_FAILURE_LIMIT = "10 per minute; 50 per hour"


def _ip_limit() -> str:
    return str(current_app.config.get("KEIREKI_SIGNIN_LIMIT_IP", SIGNIN_LIMIT_IP))


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _home() -> str:
    return url_for("research.studies") if "research.studies" in current_app.view_functions else "/"


def _safe_next(target: str | None) -> str:
    """Only a path on this site is followed after sign-in (:func:`webapp.redirects.safe_target`)."""
    return safe_target(target) or _home()


def _user() -> User:
    """The signed-in :class:`User` row (attached to this request's session)."""
    return current_user.user


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_failed)
def signin() -> Any:
    form = SignInForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        address = services.sign_in_address(form.email.data or "")
        if throttle.source_blocked(address):
            return render_error(429)
        throttle.slow_down_if_attacked(address)
        user = services.authenticate(session=db_session(), email=form.email.data or "",
                                     password=form.password.data or "", now=utcnow())
        if user is not None:
            _sign_in(user)
            return redirect(_safe_next(form.next.data))
        throttle.count_failure(address)
    if request.method == "POST":
        error = _("The e-mail address or the password is not right.")
    return render_template("auth/signin.html", form=form, error=error), 401 if error else 200


def _sign_in(user: User) -> None:
    login_user(SignedInUser(user, services.start_session(session=db_session(), user=user)))


def _sign_out() -> None:
    """End this browser's server-side session, then forget it in the cookie."""
    if current_user.is_authenticated:
        services.end_session(session=db_session(), sid=current_user.sid)
    logout_user()


@bp.post("/signout")
def signout() -> Response:
    _sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.signin"))


@bp.post("/signout-everywhere")
@login_required
def signout_everywhere() -> Response:
    services.sign_out_everywhere(session=db_session(), user=_user())
    _sign_out()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.signin"))


def _invite_failure_limit() -> str:
    return str(current_app.config.get("KEIREKI_INVITE_FAILURE_LIMIT", INVITE_FAILURE_LIMIT))


def _unknown_invitation(response: Response) -> bool:
    return response.status_code == 404


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_invite_failure_limit, key_func=lambda: "invite-fail:" + get_remote_address(),
               deduct_when=_unknown_invitation)
def invite(token: str) -> Any:
    session = db_session()
    user = services.invited_user(session=session, token=token, now=utcnow())
    if user is None:
        return render_template("auth/invite_invalid.html"), 404
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.accept_invite(session=session, token=token, password=form.password.data or "",
                                          confirm=form.confirm.data or "", name=form.name.data or "",
                                          now=utcnow())
        except services.AccountError as exc:
            error = password_message(exc.code)
        else:
            _sign_out()
            _sign_in(user)
            flash(_("Your password is set. Welcome to Keireki."), "info")
            return redirect(_home())
    elif request.method == "GET":
        form.name.data = user.name
    return render_template("auth/invite.html", form=form, error=error, user=user), 400 if error else 200


def password_message(code: str) -> str:
    """The translated message of an :class:`services.AccountError` code about passwords."""
    messages = {
        "short": _("The new password must have at least %(n)s characters.", n=services.PASSWORD_MIN),
        "long": _("The new password is too long."),
        "mismatch": _("The two new passwords are not the same."),
        "current": _("The current password is not right."),
        "invite": _("This invitation link is no longer valid."),
    }
    return messages.get(code, _("Please check what you entered."))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    user = _user()
    form = AccountForm(prefix="acc")
    if request.method == "GET":
        form.name.data = user.name
        form.timezone.data = user.timezone
        form.languages.data = list(user.languages)
        form.ui_language.data = user.ui_language if user.ui_language in UI_LANGUAGES else "en"
    elif form.validate_on_submit():
        user.name = (form.name.data or "").strip()[:200]
        user.timezone = form.timezone.data or user.timezone
        user.languages = list(form.languages.data or [])
        user.ui_language = form.ui_language.data or user.ui_language
        session = db_session()
        session.add(user)
        session.commit()
        flash(_("Your settings are saved."), "info")
        return redirect(url_for("auth.account"))
    status = 400 if form.errors else 200
    return render_template("auth/account.html", form=form, password_form=PasswordChangeForm(prefix="pw"),
                           password_error=None), status


@bp.post("/account/password")
@login_required
def change_password() -> Any:
    user = _user()
    form = PasswordChangeForm(prefix="pw")
    error = None
    if form.validate_on_submit():
        try:
            services.change_password(session=db_session(), user=user, current=form.current.data or "",
                                     new=form.password.data or "", confirm=form.confirm.data or "")
        except services.AccountError as exc:
            error = password_message(exc.code)
        else:
            _sign_in(user)  # this browser continues in a new session; all others were ended
            flash(_("Your password is changed. Other devices are signed out."), "info")
            return redirect(url_for("auth.account"))
    else:
        error = _("Please fill in all three password fields.")
    account_form = AccountForm(prefix="acc")
    account_form.name.data = user.name
    account_form.timezone.data = user.timezone
    account_form.languages.data = list(user.languages)
    account_form.ui_language.data = user.ui_language
    return render_template("auth/account.html", form=account_form, password_form=form,
                           password_error=error), 400
