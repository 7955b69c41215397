"""The one table of error messages beside a field (every page that asks questions: screening, consent,
intake, debrief), in the page's language: the instrument's own text when it has one, else the UI
catalog's message for the error code (``instruments.errors.AnswerError`` and the engine's issues)."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from instruments.model import Instrument

#: Error code -> message. Codes with parameters are below in :func:`message`.
ERROR_MESSAGES = {
    "required": _l("Please answer this question."),
    "constraint": _l("Please check this answer."),
    "integer": _l("Please write a whole number, for example 25."),
    "date": _l("Please write a full date with year, month and day, for example 2019-04-15."),
    "partial_date": _l(
        "Please write a year, a year and month, or a full date, for example 2019, 2019-04 or 2019-04-15."
    ),
    "era_out_of_range": _l("This Japanese era year does not exist. Please check the era and the year."),
    "choice": _l("Please choose from the list."),
    "phone": _l("Please write a phone number, for example 090-1234-5678 or +84 912 345 678."),
    "email": _l("Please write an e-mail address, for example name@example.com."),
    "geo": _l("Please write a latitude and a longitude in degrees, for example 35.6812 139.7671."),
    "entries_incomplete": _l("Some entries are missing answers. Please open them and complete them."),
    "episode": _l("Please choose one of this participant's career episodes."),
    "file": _l("Please choose the file again."),
    "file_empty": _l("The file is empty."),
    "picture_unreadable": _l("This picture could not be read. Please take it again or choose another one."),
}

#: Upload question type -> what its refused-type message asks for (webapp/services/uploads.py ``ALLOWED``).
FILE_TYPE_MESSAGES = {
    "image": _l("This file is not a picture this form can take. Please choose a photo (JPEG, PNG, HEIC, WebP or "
                "GIF)."),
    "audio": _l("This file is not a sound recording this form can take. Please choose MP3, M4A, OGG, WAV, AMR, "
                "AAC or FLAC."),
    "video": _l("This file is not a video this form can take. Please choose MP4, MOV, WebM, MKV or 3GP."),
    "file": _l("This kind of file cannot be sent. Please send a PDF, an office document, a text file, a "
               "picture, a sound recording or a video."),
}

#: Japanese eras as the message names them: in Japanese by their own names, elsewhere romanised with the kanji
#: (what the participant typed may be either).
ERA_NAMES = {"reiwa": "Reiwa (令和)", "heisei": "Heisei (平成)", "showa": "Shōwa (昭和)"}
ERA_NAMES_JA = {"reiwa": "令和", "heisei": "平成", "showa": "昭和"}


def _era(params: dict[str, Any]) -> str:
    locale = get_locale()
    names = ERA_NAMES_JA if locale is not None and locale.language == "ja" else ERA_NAMES
    era = names.get(str(params.get("era", "")), str(params.get("era", "")))
    if params.get("reason") == "after_end":
        return _("That month is after the end of the %(era)s era. Please check the era and the date.", era=era)
    if params.get("reason") == "before_start":
        return _("That month is before the start of the %(era)s era. Please check the era and the date.", era=era)
    return str(ERROR_MESSAGES["era_out_of_range"])


def message(error: dict[str, Any], *, instrument: Instrument, language: str) -> str:
    """The text of one error of :func:`webapp.forms.page_service.apply_page` (``{"code", "message",
    "params"}``)."""
    own = error.get("message")
    if isinstance(own, dict) and own:
        return instrument.text(own, language)
    code = str(error.get("code", ""))
    params = error.get("params") or {}
    if code == "too_long":
        return _("This answer is too long: please use at most %(max)s characters.", max=params.get("max", 2000))
    if code == "repeat_min":
        count = int(params.get("min", 1))
        return ngettext("Please add at least %(num)d entry.", "Please add at least %(num)d entries.", count)
    if code == "repeat_max":
        count = int(params.get("max", 1))
        return ngettext("Please add at most %(num)d entry.", "Please add at most %(num)d entries.", count)
    if code == "decimal":  # the example written as this language writes numbers: 2,5 in Vietnamese
        return _("Please write a number, for example %(example)s.", example=format_decimal(2.5, locale=get_locale()))
    if code == "era_out_of_range":
        return _era(params)
    if code == "file_too_large":
        return _("The file is too large (at most %(mb)s MB).", mb=params.get("mb", 10))
    if code == "file_type":
        return str(FILE_TYPE_MESSAGES.get(str(params.get("kind")), FILE_TYPE_MESSAGES["file"]))
    return str(ERROR_MESSAGES.get(code, ERROR_MESSAGES["constraint"]))
