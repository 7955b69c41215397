"""Researchers' accounts: sign-in, invitations, the account page, the admin pages, and the role checks.

``init_app(app)`` registers the ``auth`` and ``admin`` blueprints and sets a signed-in researcher's page
language (``User.ui_language``) on the researchers' pages.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.extensions import UI_LANGUAGES, login_manager

#: Paths of the researchers' side, shown in the signed-in user's own page language.
STAFF_PREFIXES = ("/auth/", "/admin/", "/studies")


def init_app(app: Flask) -> None:
    from webapp.auth.routes import account, admin

    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(user_id: str) -> object | None:
        from webapp.auth.services import session_is_open
        from webapp.db import db_session
        from webapp.extensions import SignedInUser
        from webapp.models import User

        uid, version, sid = (user_id.split(":", 2) + ["", ""])[:3]
        if not (uid.isascii() and uid.isdigit()):
            return None
        session = db_session()
        user = session.get(User, int(uid))
        if user is None or not user.is_active or str(user.session_version) != version:
            return None
        if not session_is_open(session=session, user_id=user.id, sid=sid):  # type: ignore[arg-type]
            return None  # signed out: this cookie (or a copy of it) opens nothing
        return SignedInUser(user, sid)

    @app.before_request
    def _staff_language() -> None:
        if not request.path.startswith(STAFF_PREFIXES):
            return
        if current_user.is_authenticated and current_user.ui_language in UI_LANGUAGES:
            g.language = current_user.ui_language
        else:
            g.pop("language", None)  # the browser's language (Accept-Language) then
