"""WTForms of the scheduling pages (CSRF by Flask-WTF); dynamic choices are filled in by the views."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from babel.core import get_global
from babel.dates import get_timezone_location
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from webapp.auth.forms import MultiCheckboxField, timezone_choices
from webapp.extensions import LANGUAGE_NAMES
from webapp.schedule.services.messages import MODE_NAMES
from webapp.services.contacts import MESSAGING_APPS
from webapp.services.times import PLAIN_ZONES

#: Zones offered first in the zone picker: where participants of the study live and come from.
COMMON_ZONES = (
    "Asia/Tokyo",
    "Asia/Ho_Chi_Minh",
    "Asia/Jakarta",
    "Asia/Makassar",
    "Asia/Manila",
    "Asia/Yangon",
    "Asia/Shanghai",
    "Asia/Taipei",
    "Asia/Seoul",
    "Asia/Kathmandu",
    "Asia/Bangkok",
    "Asia/Phnom_Penh",
    "Asia/Dhaka",
    "Asia/Kolkata",
    "Asia/Colombo",
    "Asia/Tashkent",
    "Asia/Ulaanbaatar",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "UTC",
)
_ZONES: frozenset[str] = frozenset(available_timezones())
#: Old zone names -> their current ones (CLDR, through Babel): Asia/Saigon -> Asia/Ho_Chi_Minh.
_ALIASES: dict[str, str] = dict(get_global("zone_aliases"))
WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def opts(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value=str(value), label=label) for value, label in pairs]


def valid_zone(name: str | None) -> str | None:
    """``name`` when it is an IANA zone ``zoneinfo`` knows, else None; an old name under its current one (a
    browser may say ``Asia/Saigon``, ``Asia/Calcutta``, ``Asia/Rangoon``: ``Asia/Ho_Chi_Minh``...), so that a
    zone is listed once."""
    if not name or name not in _ZONES:
        return None
    if name in PLAIN_ZONES:
        return "UTC"  # as COMMON_ZONES lists it
    current = _ALIASES.get(name)
    return current if current in _ZONES else name


def zone_name(zone: str, locale: str = "en") -> str:
    """A time zone as a reader of ``locale`` names it ("Giờ Việt Nam", "ベトナム時間"), by Babel; UTC as "UTC"
    (Babel's place for it is an "unknown region")."""
    if zone in PLAIN_ZONES:
        return "UTC"
    try:
        return str(get_timezone_location(zone, locale=locale))
    except (LookupError, ValueError):
        return zone.replace("_", " ")


def zone_choices(current: str, locale: str = "en") -> list[SelectChoice]:
    zones = list(COMMON_ZONES)
    if current not in zones:
        zones.insert(0, current)
    return opts((z, zone_name(z, locale)) for z in zones)


class ZoneForm(FlaskForm):
    """The participant's time zone (a GET form: changing it only changes how slots are shown)."""

    class Meta:
        csrf = False

    tz = SelectField(_l("Your time zone"), choices=[], validate_choice=False)


class BookForm(FlaskForm):
    slot = RadioField(
        _l("Choose a time"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message=_l("Please choose a time."))],
    )
    tz = HiddenField()
    mode = RadioField(
        _l("How would you like to talk?"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message=_l("Please choose how you would like to talk."))],
    )
    channel = RadioField(
        _l("How should we send you the confirmation and reminders?"),
        choices=opts(
            [
                ("email", _l("E-mail")),
                ("phone", _l("Phone (SMS or call)")),
                ("messaging", _l("Messaging app")),
            ]
        ),
        validators=[InputRequired(message=_l("Please choose how we should contact you."))],
    )
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)])
    messaging_app = SelectField(
        _l("Messaging app"), choices=opts([("", "—"), *MESSAGING_APPS.items()]), validators=[Optional()]
    )
    messaging_id = StringField(_l("Your ID or number in that app"), validators=[Optional(), Length(max=100)])


class RescheduleForm(FlaskForm):
    slot = RadioField(
        _l("Choose a new time"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message=_l("Please choose a time."))],
    )
    tz = HiddenField()


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (cancel, show contact, ...)."""


class RuleForm(FlaskForm):
    """Weekly hours; the end after the start and no overlap are checked by ``services.hours``."""

    weekday = SelectField(_l("Day of the week"), coerce=int, choices=opts(enumerate(WEEKDAYS)))
    start_time = TimeField(_l("From"), validators=[InputRequired(message=_l("Please enter a time."))])
    end_time = TimeField(_l("Until"), validators=[InputRequired(message=_l("Please enter a time."))])


class OverrideForm(FlaskForm):
    """A date's other hours, or the day off. Whether the hours make sense (both given, the end after the
    start, no clash, not in the past) is checked by ``services.hours``, for every writer; its refusals are
    shown on these fields."""

    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Please enter a date."))])
    blocked = BooleanField(_l("Not available the whole day"))
    start_time = TimeField(_l("From"), validators=[Optional()])
    end_time = TimeField(_l("Until"), validators=[Optional()])


class TypeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=200)])
    duration_min = IntegerField(
        _l("Duration (minutes)"),
        default=60,
        validators=[InputRequired(), NumberRange(min=10, max=480, message=_l("Between 10 and 480 minutes."))],
    )
    buffer_before_min = IntegerField(
        _l("Buffer before (minutes)"), default=0, validators=[InputRequired(), NumberRange(min=0, max=240)]
    )
    buffer_after_min = IntegerField(
        _l("Buffer after (minutes)"), default=15, validators=[InputRequired(), NumberRange(min=0, max=240)]
    )
    min_notice_hours = IntegerField(
        _l("Minimum notice (hours)"),
        default=24,
        validators=[InputRequired(), NumberRange(min=0, max=24 * 60)],
    )
    horizon_days = IntegerField(
        _l("Booking horizon (days)"), default=30, validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    max_per_day = IntegerField(
        _l("Interviews per interviewer per day, at most"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=24)],
    )
    slot_step_min = IntegerField(
        _l("Offer a start every (minutes)"),
        default=30,
        validators=[InputRequired(), NumberRange(min=5, max=240)],
    )
    modes = MultiCheckboxField(
        _l("Modes"),
        choices=opts(MODE_NAMES.items()),
        validators=[DataRequired(message=_l("Choose at least one mode."))],
    )
    place = StringField(_l("Place (in person)"), validators=[Optional(), Length(max=300)])
    video_link = StringField(
        _l("Video link"), validators=[Optional(), URL(message=_l("Enter a web address.")), Length(max=500)]
    )
    languages = MultiCheckboxField(_l("Languages"), choices=opts(LANGUAGE_NAMES.items()), validators=[Optional()])
    interpreter_available = BooleanField(_l("An interpreter is available"))
    active = BooleanField(_l("Participants can book it"), default=True)


class OutcomeForm(FlaskForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=opts(
            [
                ("completed", _l("Completed")),
                ("no_show", _l("Did not come")),
                ("cancelled", _l("Cancelled")),
                ("rescheduled", _l("To be booked again")),
            ]
        ),
    )


class NotesForm(FlaskForm):
    notes = TextAreaField(_l("Notes"), validators=[Length(max=20000)])


class TranscriptForm(FlaskForm):
    transcript = FileField(_l("Transcript (UTF-8 text or .docx)"))


class InterviewerForm(FlaskForm):
    """An interviewer's time zone (a list of zones with localised names) and languages (checkboxes)."""

    timezone = SelectField(_l("Time zone"), validators=[Optional()])
    languages = MultiCheckboxField(_l("Interview languages"), choices=opts(LANGUAGE_NAMES.items()),
                                   validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
