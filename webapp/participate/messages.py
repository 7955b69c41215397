"""Messages beside a field, in the participant's language: the instrument's own text when it has one,
else the UI catalog's message for the error code."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from instruments.model import Instrument

_BY_CODE = {
    "required": _l("Please answer this question."),
    "constraint": _l("Please check this answer."),
    "integer": _l("Please write a whole number, for example 25."),
    "decimal": _l("Please write a number, for example 2.5."),
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
}


def message(error: dict[str, Any], *, instrument: Instrument, language: str) -> str:
    """The text of one error from :func:`webapp.participate.pages.apply_page`."""
    own = error.get("message")
    if isinstance(own, dict) and own:
        return instrument.text(own, language)
    code = str(error.get("code", ""))
    params = error.get("params") or {}
    if code == "too_long":
        return _(
            "This answer is too long: please use at most %(max)s characters.", max=params.get("max", 2000)
        )
    if code == "repeat_min":
        count = int(params.get("min", 1))
        return ngettext("Please add at least %(num)d entry.", "Please add at least %(num)d entries.", count)
    if code == "repeat_max":
        count = int(params.get("max", 1))
        return ngettext("Please add at most %(num)d entry.", "Please add at most %(num)d entries.", count)
    return str(_BY_CODE.get(code, _BY_CODE["constraint"]))
