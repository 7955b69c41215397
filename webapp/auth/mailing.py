"""Mailing an invitation link through the mail service (:mod:`webapp.services.mail`)."""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.extensions import UI_LANGUAGES
from webapp.models import User
from webapp.services import mail

log = logging.getLogger(__name__)


def invite_link(token: str) -> str:
    """The absolute link (``KEIREKI_BASE_URL``) an invited user opens to set a password."""
    base = current_app.config["KEIREKI"].base_url
    if has_request_context():
        return base + url_for("auth.invite", token=token)
    with current_app.test_request_context():
        return base + url_for("auth.invite", token=token)


def invitation_text(*, user: User, link: str) -> tuple[str, str]:
    """Subject and body of the invitation, in the user's page language."""
    with force_locale(UI_LANGUAGES.get(user.ui_language, "en")):
        subject = _("Your Keireki account")
        body = _("You are invited to Keireki, the research platform of your study.\n\n"
                 "Open this link within 7 days to set your password:\n%(link)s\n\n"
                 "If you did not expect this message, you can ignore it.", link=link)
    return subject, body


def send_invitation(*, user: User, link: str) -> bool:
    """Send the invitation link by e-mail; False when sending failed."""
    subject, body = invitation_text(user=user, link=link)
    try:
        mail.send_mail(to=user.email, subject=subject, body=body, key=f"invite-{user.id}-{link[-12:]}")
    except Exception:  # noqa: BLE001 - the link is shown on the page either way
        log.exception("invitation mail to user %s not sent", user.id)
        return False
    return True
