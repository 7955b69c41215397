"""What every participant page shares: the study's title, the "write this down" box, where to continue.

The routes (``routes.py``: start, screening, consent, thanks; ``intake_routes.py``: the intake pages,
entries, review, submit) call these; the question pages themselves go through
:mod:`webapp.forms.page_service`."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlmodel import select

from webapp.db import db_session
from webapp.models import Draft, Participant, Study
from webapp.participate import state
from webapp.services import responses, studies


def study_title(study: Study) -> str:
    """The study's title in the page's language."""
    return studies.study_title(study, getattr(g, "language", "en"))


def intake_draft(participant: Participant) -> Draft | None:
    return db_session().exec(select(Draft).where(Draft.participant_id == participant.id)).first()


def resume_info(study: Study, participant: Participant, draft: Draft | None) -> dict[str, Any]:
    """What the participant should write down: their number, resume code and personal link."""
    mine = state.state(study)
    token = mine.get("tok")
    base = current_app.config["KEIREKI"].base_url
    link = f"{base}{url_for('participate.by_token', study=study.slug, token=token)}" if token else None
    return {
        "participant_code": participant.code,
        "code": mine.get("code"),
        "link": link,
        "new_link": url_for("participate.new_link", study=study.slug),
        "expires_at": draft.expires_at if draft else None,
    }


def continue_url(study: Study, participant: Participant) -> str:
    """Where this participant goes on: consent, the page they were on, the thank-you page."""
    if participant.status == "withdrawn":
        return url_for("participate.withdrawn", study=study.slug)
    if participant.status == "screened":
        return url_for("participate.consent", study=study.slug)
    if participant.status in ("submitted", "interviewed"):
        return url_for("participate.thanks", study=study.slug)
    draft = intake_draft(participant)
    if draft is None:
        draft = responses.open_draft(session=db_session(), participant=participant, now=_now())
    if draft is None:
        return url_for("participate.thanks", study=study.slug)
    return url_for("participate.form_page", study=study.slug, page=draft.page or "_first")


def go_on(study: Study, participant: Participant) -> ResponseReturnValue:
    return redirect(continue_url(study, participant))


def _now() -> Any:
    from webapp.models import utcnow

    return utcnow()
