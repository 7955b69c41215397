"""Who is taking part in this browser, in which language: the participant's state in the session cookie.

Per study, the signed session holds ``{"pid": participant id, "lang": tag, "c": channel code,
"sec": the resume token and resume code, encrypted}``. The two secrets are there only so the participant can
be shown them again ("write this down"; the database keeps only their hashes) and are encrypted with the
data key (:mod:`webapp.crypto`), so the cookie — signed, but readable by anyone who holds it — never shows
them. :func:`state` and :func:`update` take and give them as ``"tok"`` and ``"code"``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, request, session
from sqlalchemy import and_, bindparam
from sqlalchemy.orm import defer
from sqlmodel import col, select

from webapp.crypto import DecryptionError, decrypt_json, encrypt_json
from webapp.db import db_session
from webapp.extensions import UI_LANGUAGES, best_language
from webapp.models import Draft, InstrumentVersion, Participant, Study
from webapp.services.chosen_language import SESSION_KEY as _KEY
from webapp.services.chosen_language import keep as keep_language
from webapp.services.studies import SLUG_MAX

#: The study of a slug and this browser's participant (``pid``, None for nobody) in one query, built once.
_STUDY_AND_PERSON = (
    select(Study, Participant)
    .outerjoin(Participant, and_(col(Participant.id) == bindparam("pid"), col(Participant.study_id) == Study.id))
    .where(col(Study.slug) == bindparam("slug"))
    .limit(1)
)
#: The same with the participant's intake draft and the draft's instrument version (definition deferred).
_WITH_DRAFT = (
    select(Study, Participant, Draft, InstrumentVersion)
    .outerjoin(Participant, and_(col(Participant.id) == bindparam("pid"), col(Participant.study_id) == Study.id))
    .outerjoin(Draft, col(Draft.participant_id) == Participant.id)
    .outerjoin(InstrumentVersion, col(InstrumentVersion.id) == Draft.instrument_version_id)
    .options(defer(InstrumentVersion.definition))  # type: ignore[arg-type]
    .where(col(Study.slug) == bindparam("slug"))
    .limit(1)
)


def _raw(slug: str) -> dict[str, Any]:
    """This browser's state for the study of ``slug`` as the session holds it, secrets sealed (a copy)."""
    return dict(session.get(_KEY, {}).get(slug, {}))


def load_study(slug: str, *, with_draft: bool = False) -> Study:
    """The study of ``slug`` (404 when there is none), loaded with this browser's participant (so
    :func:`participant` finds it without a query) and, ``with_draft``, their draft (:func:`loaded_draft`)."""
    if not slug or len(slug) > SLUG_MAX:
        abort(404)
    pid = _raw(slug).get("pid")
    params = {"slug": slug, "pid": pid if isinstance(pid, int) else None}
    row = db_session().exec(_WITH_DRAFT if with_draft else _STUDY_AND_PERSON, params=params).first()
    if row is None:
        abort(404)
    g.kp_loaded = tuple(row)  # held for the request: the session's identity map keeps rows only while used
    return row[0]


def loaded_draft(person: Participant) -> tuple[Draft, InstrumentVersion | None] | None:
    """``person``'s draft and its instrument version as :func:`enter` with ``with_draft`` loaded them, or
    None (not loaded for this participant in this request, or no draft)."""
    loaded = g.get("kp_loaded", ())
    if len(loaded) < 4 or loaded[1] is not person or loaded[2] is None:
        return None
    return loaded[2], loaded[3]


#: The state's secrets, kept encrypted under ``"sec"``.
SECRETS = ("tok", "code")


def _secrets(raw: dict[str, Any]) -> dict[str, Any]:
    sealed = raw.get("sec")
    if not isinstance(sealed, str):
        return {}
    opened_here: dict[str, dict[str, Any]] = g.setdefault("kp_opened", {})  # a page reads them 2-3 times
    if sealed not in opened_here:
        opened_here[sealed] = _open(sealed)
    return dict(opened_here[sealed])


def _open(sealed: str) -> dict[str, Any]:
    try:
        opened = decrypt_json(sealed.encode())
    except (DecryptionError, ValueError, TypeError):
        return {}  # sealed with a key since removed: the participant still has their link and code on paper
    return {k: v for k, v in opened.items() if k in SECRETS} if isinstance(opened, dict) else {}


def _plain(study: Study, key: str) -> Any:
    """One value of this browser's state for ``study`` that is not a secret (``pid``, ``lang``), read
    without opening the secrets (a decryption that a page only needs where it shows them)."""
    return _raw(study.slug).get(key)


def state(study: Study) -> dict[str, Any]:
    """This browser's state for ``study``, secrets opened (a copy; write with :func:`update`)."""
    raw = _raw(study.slug)
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
    pid = _plain(study, "pid")
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
        keep_language(study.slug, participant(study), asked)
        return asked
    remembered = _plain(study, "lang")
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


def enter(slug: str, *, with_draft: bool = False) -> Study:
    """Load the study of this request (see :func:`load_study`) and set ``g.study`` and ``g.language``."""
    study = load_study(slug, with_draft=with_draft)
    g.study = study
    g.language = choose_language(study)
    return study
