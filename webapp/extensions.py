"""Flask extensions: Babel (i18n), CSRF (Flask-WTF), login (Flask-Login), rate limits (Flask-Limiter)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import Babel, get_translations
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
from flask_wtf.csrf import CSRFProtect
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

#: UI languages with complete catalogs: BCP 47 tag -> Babel locale name.
UI_LANGUAGES: dict[str, str] = {
    "en": "en", "ja": "ja", "vi": "vi", "id": "id", "tl": "tl", "my": "my", "zh-Hans": "zh_Hans", "ne": "ne",
    "km": "km", "th": "th",
}
#: Each language's own name, for language pickers.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "ja": "日本語", "vi": "Tiếng Việt", "id": "Bahasa Indonesia", "tl": "Filipino",
    "my": "မြန်မာ", "zh-Hans": "简体中文", "ne": "नेपाली", "km": "ខ្មែរ", "th": "ไทย",
}

class KeirekiLoginManager(LoginManager):
    """Flask-Login's manager, whose strong session protection leaves alone sessions nobody signed in with.

    Flask-Login treats a session without its identifier (``_id``, set at sign-in) as a stolen one and
    rewrites it (and clears the remember cookie) every time ``current_user`` is looked at: every page of a
    participant, whose session holds only the CSRF token and their place in the study, was sent back with
    two ``Set-Cookie`` headers and a re-signed cookie. A session with a signed-in user, or a request with a
    remember cookie (Keireki sets none), is checked exactly as before.
    """

    def _session_protection_failed(self) -> bool:
        remember = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        if "_user_id" not in session and remember not in request.cookies:
            return False
        return bool(super()._session_protection_failed())


csrf = CSRFProtect()
login_manager = KeirekiLoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


#: Primary language subtags browsers send for a language we know under another code: Filipino (``fil``, the
#: code Android and iOS send) is our ``tl``; ``in`` is the withdrawn code of Indonesian; ISO 639-2/3 codes.
LANGUAGE_ALIASES: dict[str, str] = {
    "fil": "tl", "tgl": "tl", "in": "id", "ind": "id", "jpn": "ja", "vie": "vi", "mya": "my", "bur": "my",
    "nep": "ne", "npi": "ne", "zho": "zh", "chi": "zh", "cmn": "zh", "eng": "en",
    "khm": "km", "tha": "th",
}


def _primary(tag: str) -> str:
    primary = tag.replace("_", "-").split("-", 1)[0].lower()
    return LANGUAGE_ALIASES.get(primary, primary)


def best_language(accepted: Iterable[tuple[str, float]], candidates: Iterable[str]) -> str | None:
    """The candidate tag a reader accepting ``accepted`` (``request.accept_languages``) reads best, or None.

    Accepted tags are tried from the highest quality down; each matches a candidate exactly (ignoring case
    and ``_``/``-``), else by its primary language subtag after :data:`LANGUAGE_ALIASES` — so ``fil-PH``
    gives ``tl``, ``zh-CN`` and ``zh-TW`` give ``zh-Hans``, ``ne-NP`` gives ``ne``. Unlike werkzeug's
    ``best_match`` (exact matches of any quality first), ``zh-CN,en;q=0.8`` gives Chinese, not English.
    ``*`` and quality 0 match nothing.
    """
    options = list(candidates)
    exact = {c.replace("_", "-").lower(): c for c in options}
    by_primary: dict[str, str] = {}
    for candidate in options:
        by_primary.setdefault(_primary(candidate), candidate)
    ranked = sorted(((str(v), float(q)) for v, q in accepted), key=lambda item: -item[1])  # stable sort
    for value, quality in ranked:
        if quality <= 0 or value.strip() in ("", "*"):
            continue
        tag = value.strip().replace("_", "-").lower()
        if tag in exact:
            return exact[tag]
        if _primary(tag) in by_primary:
            return by_primary[_primary(tag)]
    return None


def current_language() -> str:
    """The BCP 47 tag of the language of this request: chosen by the area, else (an error raised before the
    view chose, on a participant URL) the participant's choice or ``?lang=``, else Accept-Language."""
    lang = getattr(g, "language", None)
    if lang in UI_LANGUAGES:
        return str(lang)
    if request:
        from webapp.services.chosen_language import of_request  # imports this module

        chosen = of_request()
        if chosen is not None:
            return chosen
    best = best_language(request.accept_languages, UI_LANGUAGES) if request else None
    return best or "en"


def _locale_selector() -> str:
    return UI_LANGUAGES[current_language()]


def request_translations() -> Any:
    """Flask-Babel's translations of this request, looked up once per request for the templates' ``_()``.

    Flask-Babel's own Jinja ``gettext`` looks them up on every call (the context, the domain, the locale, its
    name as the cache key: most of a call's time, and a page makes dozens of calls). Kept in Flask-Babel's
    own per-request state beside the locale they are for, so a locale that changes within a request
    (``force_locale`` for a message in the reader's language, ``refresh``) is followed exactly as before.
    """
    if not has_app_context():
        return get_translations()
    state = g._get_current_object().__dict__.get("_flask_babel")
    if state is not None:
        known = getattr(state, "keireki_translations", None)
        if known is not None and known[0] is getattr(state, "babel_locale", None) \
                and known[1] is getattr(state, "babel_domain", None):
            return known[2]
    translations = get_translations()
    state = g._flask_babel
    state.keireki_translations = (state.babel_locale, state.babel_domain, translations)
    return translations


def _formatted(context: Context, text: str, variables: dict[str, Any]) -> str:
    """What Jinja's "newstyle" gettext makes of a translation: Markup where autoescaping is on (so the
    variables are escaped, the translation is not), always ``%``-formatted (``%%`` is a percent sign)."""
    rv: str = Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704 - the catalog's own text, as Jinja's gettext
    return rv % variables if variables or "%" in rv else rv


@pass_context
def _gettext(context: Context, string: str, /, **variables: Any) -> str:
    return _formatted(context, request_translations().ugettext(string), variables)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _formatted(context, request_translations().ungettext(singular, plural, num), variables)


@pass_context
def _pgettext(context: Context, string_ctx: str, string: str, /, **variables: Any) -> str:
    variables.setdefault("context", string_ctx)
    return _formatted(context, request_translations().upgettext(string_ctx, string), variables)


@pass_context
def _npgettext(context: Context, string_ctx: str, singular: str, plural: str, num: int, /,
               **variables: Any) -> str:
    variables.setdefault("context", string_ctx)
    variables.setdefault("num", num)
    return _formatted(context, request_translations().unpgettext(string_ctx, singular, plural, num), variables)


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=_locale_selector)
    # Flask-Babel's callables on this request's translations (request_translations), with the semantics of
    # Jinja's "newstyle" gettext (jinja2.ext._make_new_gettext) but called directly: Jinja's wrappers call
    # the callable through the template context once more, a page's dozens of calls a noticeable share
    # of its rendering (bench/README.md, "Web requests").
    app.jinja_env.globals.update(gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext,
                                 _=_gettext)  # the i18n extension's ``_`` calls ``gettext`` through the context
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def init_csrf(app: Flask) -> None:
    csrf.init_app(app)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.signin"


class SignedInUser:
    """Flask-Login's view of a :class:`webapp.models.User`; the id carries the session version and the
    server-side sign-in session (:class:`webapp.models.SignInSession`) of this browser."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: object, sid: str) -> None:
        self.user = user
        self.sid = sid

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}:{self.sid}"  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.user, name)


def init_limiter(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["KEIREKI"].ratelimit_storage_url)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
