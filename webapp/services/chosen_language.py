"""The language a participant chose, as this browser's session keeps it per study, for every participant page.

The participate area keeps its state under ``session["kp"][<study slug>]`` (:mod:`webapp.participate.state`);
the language is its ``"lang"``. The booking pages (``/i/<token>``, another area) remember a choice there too,
and an error page raised before a view chose a language (a CSRF error, a rate limit, an unknown study)
finds it here through :func:`webapp.extensions.current_language`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import g, request, session

from webapp.db import db_session
from webapp.extensions import LANGUAGE_NAMES, UI_LANGUAGES
from webapp.models import Participant, utcnow

#: The session key of the participants' state (per study slug).
SESSION_KEY = "kp"
#: Where participant pages live: the participate area, and the booking pages of a manage link.
STUDY_PREFIX = "/s/"
BOOKING_PREFIX = "/i/"


def remembered(study_slug: str) -> str | None:
    """The language remembered in this browser for the study of ``study_slug``, or None."""
    mine = session.get(SESSION_KEY, {}).get(study_slug) if SESSION_KEY in session else None
    lang = mine.get("lang") if isinstance(mine, dict) else None
    return lang if isinstance(lang, str) else None


def remember(study_slug: str, lang: str) -> None:
    """Remember ``lang`` for the study of ``study_slug`` in this browser (the rest of its state kept)."""
    everything = dict(session.get(SESSION_KEY, {}))
    everything[study_slug] = {**everything.get(study_slug, {}), "lang": lang}
    session[SESSION_KEY] = everything


def keep(study_slug: str, person: Participant | None, lang: str) -> None:
    """The participant chose ``lang`` (``?lang=``, a language button): remembered in this browser for the study
    and, when it changed, on the participant, whose messages and interviewers follow it (committed)."""
    remember(study_slug, lang)
    if person is not None and person.form_language != lang:
        person.form_language = lang
        person.updated_at = utcnow()
        db_session().add(person)
        db_session().commit()


def _study_slug_of_path(path: str) -> str | None:
    slug = path[len(STUDY_PREFIX):].split("/", 1)[0]
    return slug if slug and slug != "static" else None


def of_request() -> str | None:
    """On a participant URL whose view has not chosen the language (an error raised before it): the language
    the participant chose for the study of the URL (the session's), else ``?lang=`` when it is a UI
    language, else the one language this browser chose for its other studies (a mistyped study's page);
    None elsewhere (the researcher side keeps its own rule, then Accept-Language)."""
    path = request.path
    if path.startswith(STUDY_PREFIX):
        slug = _study_slug_of_path(path)
        chosen = remembered(slug) if slug else None
        if chosen in UI_LANGUAGES:
            return chosen
    elif not path.startswith(BOOKING_PREFIX):
        return None
    asked = request.args.get("lang", "")
    if asked in UI_LANGUAGES:
        return asked
    others = {remembered(slug) for slug in session.get(SESSION_KEY, {})} if SESSION_KEY in session else set()
    only = others.pop() if len(others) == 1 else None
    return only if only in UI_LANGUAGES else None


def language_links(keep: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One link per language of ``g.study`` to this same page in that language (GET pages only), keeping the
    query parameters named in ``keep``."""
    study = getattr(g, "study", None)
    if study is None or request.endpoint is None:
        return []
    kept = "".join(f"&{urlencode({k: request.args[k]})}" for k in keep if request.args.get(k))
    return [
        {
            "tag": tag,
            "name": LANGUAGE_NAMES[tag],
            "current": tag == g.language,
            # Relative to the page's own URL (its path, no query): the same address as
            # url_for(request.endpoint, **request.view_args, lang=tag), some 300 bytes fewer on a page.
            "url": f"?lang={tag}{kept}",
        }
        for tag in study.languages
        if tag in LANGUAGE_NAMES
    ]
