"""Who is taking part in this browser, in which language: the participant's state in the session cookie.

Per study, the signed session holds ``{"pid": participant id, "lang": tag, "c": channel code,
"sec": the resume token and resume code, encrypted}``. The two secrets are there only so the participant can
be shown them again ("write this down"; the database keeps only their hashes) and are encrypted with the
data key (:mod:`webapp.crypto`), so the cookie — signed, but readable by anyone who holds it — never shows
them. :func:`state` and :func:`update` take and give them as ``"tok"`` and ``"code"``.
"""

from __future__ import annotations

from typing import Any

from flask import g, request, session

from webapp.crypto import DecryptionError, decrypt_json, encrypt_json
from webapp.db import db_session
from webapp.extensions import UI_LANGUAGES, best_language
from webapp.models import Participant, Study, utcnow
from webapp.services.studies import study_or_404

_KEY = "kp"


def load_study(slug: str) -> Study:
    return study_or_404(session=db_session(), slug=slug)


#: The state's secrets, kept encrypted under ``"sec"``.
SECRETS = ("tok", "code")


def _secrets(raw: dict[str, Any]) -> dict[str, Any]:
    sealed = raw.get("sec")
    if not isinstance(sealed, str):
        return {}
    try:
        opened = decrypt_json(sealed.encode())
    except (DecryptionError, ValueError, TypeError):
        return {}  # sealed with a key since removed: the participant still has their link and code on paper
    return {k: v for k, v in opened.items() if k in SECRETS} if isinstance(opened, dict) else {}


def state(study: Study) -> dict[str, Any]:
    """This browser's state for ``study``, secrets opened (a copy; write with :func:`update`)."""
    raw = dict(session.get(_KEY, {}).get(study.slug, {}))
    opened = _secrets(raw)
    raw.pop("sec", None)
    return {**raw, **opened}


def update(study: Study, **values: Any) -> None:
    everything = dict(session.get(_KEY, {}))
    raw = dict(everything.get(study.slug, {}))
    secrets = {**_secrets(raw), **{k: values.pop(k) for k in SECRETS if k in values}}
    secrets = {k: v for k, v in secrets.items() if v is not None}
    mine = {**raw, **values}
    mine.pop("sec", None)
    if secrets:
        mine["sec"] = encrypt_json(secrets).decode()
    everything[study.slug] = {k: v for k, v in mine.items() if v is not None}
    session[_KEY] = everything


def forget(study: Study) -> None:
    everything = dict(session.get(_KEY, {}))
    everything.pop(study.slug, None)
    session[_KEY] = everything


def participant(study: Study) -> Participant | None:
    pid = state(study).get("pid")
    if not isinstance(pid, int):
        return None
    person = db_session().get(Participant, pid)
    if person is None or person.study_id != study.id:
        return None
    return person


def choose_language(study: Study) -> str:
    """The language of this page: ``?lang=`` or a language button (remembered), the session's, the participant's,
    Accept-Language among the study's languages, or the study's default."""
    languages = [t for t in study.languages if t in UI_LANGUAGES] or ["en"]
    asked = request.args.get("lang", "") or switched_language()
    if asked in languages:
        update(study, lang=asked)
        person = participant(study)
        if person is not None and person.form_language != asked:
            person.form_language = asked
            person.updated_at = utcnow()
            db_session().add(person)
            db_session().commit()
        return asked
    remembered = state(study).get("lang")
    if remembered in languages:
        return str(remembered)
    person = participant(study)
    if person is not None and person.form_language in languages:
        return person.form_language
    best = best_language(request.accept_languages, languages)
    if best:
        return best
    return study.default_language if study.default_language in languages else languages[0]


def switched_language() -> str:
    """The language chosen with a language button of a page's form (screening, consent), or ""."""
    return str(request.form.get("switch_language", "")) if request.method == "POST" else ""


def enter(slug: str) -> Study:
    """Load the study of this request and set ``g.study`` and ``g.language``."""
    study = load_study(slug)
    g.study = study
    g.language = choose_language(study)
    return study
