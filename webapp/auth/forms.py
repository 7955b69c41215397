"""The forms of the accounts area (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from babel import Locale
from babel.dates import get_timezone_location
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.extensions import LANGUAGE_NAMES
from webapp.models import ROLES

#: Languages an interviewer may speak (BCP 47), beyond the UI languages.
INTERVIEW_LANGUAGES = ("en", "ja", "vi", "id", "tl", "my", "zh-Hans", "zh-Hant", "ne", "km", "th", "ko", "si",
                       "bn", "mn", "uz", "pt", "es")


def choices(pairs: list[tuple[object, str]]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(z for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC")


@lru_cache(maxsize=16)
def _zone_labels(locale: str) -> tuple[tuple[str, str], ...]:
    """(zone, "localised place name — zone") for every zone, in ``locale`` (Babel's names; computed once)."""
    out = []
    for zone in _zones():
        try:
            place = get_timezone_location(zone, locale=locale)
        except (LookupError, ValueError):
            place = zone
        out.append((zone, f"{place} — {zone.replace('_', ' ')}"))
    return tuple(out)


def timezone_choices() -> list[SelectChoice]:
    """Every time zone, labelled with its place name in the page language (a select one can type into)."""
    locale = str(get_locale() or "en")
    return choices(list(_zone_labels(locale)))


def language_name(tag: str) -> str:
    """A language's own name (from the UI list, else from Babel's locale data)."""
    if tag in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[tag]
    try:
        locale = Locale.parse(tag.replace("-", "_"))
        return str(locale.get_display_name(locale) or tag)
    except (ValueError, TypeError):
        return tag


def role_choices() -> list[tuple[str, str]]:
    labels = {"owner": _l("Owner"), "researcher": _l("Researcher"), "interviewer": _l("Interviewer"),
              "viewer": _l("Viewer")}
    return [(r, str(labels[r])) for r in ROLES]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignInForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class SetPasswordForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    password = PasswordField(_l("New password (at least 12 characters)"),
                             validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=256)],
                            render_kw={"autocomplete": "new-password"})


class AccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    languages = MultiCheckboxField(_l("Languages you interview in"))
    ui_language = SelectField(_l("Language of these pages"), validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from webapp.extensions import UI_LANGUAGES

        self.timezone.choices = timezone_choices()
        self.languages.choices = choices([(t, language_name(t)) for t in INTERVIEW_LANGUAGES])
        self.ui_language.choices = choices([(t, LANGUAGE_NAMES[t]) for t in UI_LANGUAGES])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password (at least 12 characters)"),
                             validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=256)],
                            render_kw={"autocomplete": "new-password"})


class InviteForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"inputmode": "email"})
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    study = SelectField(_l("Study"), coerce=int)
    role = SelectField(_l("Role in this study"))
    is_admin = BooleanField(_l("Administrator of the whole platform"))

    def __init__(self, *args: object, studies: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.study.choices = choices([(0, str(_l("No study yet"))), *studies])
        self.role.choices = choices(list(role_choices()))


class MembershipForm(FlaskForm):
    study = SelectField(_l("Study"), coerce=int)
    role = SelectField(_l("Role"))

    def __init__(self, *args: object, studies: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.study.choices = choices(list(studies))
        self.role.choices = choices([*role_choices(), ("none", str(_l("No access")))])
