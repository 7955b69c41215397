"""Turn what real participants type into stored values (DOMAIN.md, "Text and dates").

Burmese typed in the legacy Zawgyi encoding is converted to Unicode (the original is kept), text is
stored NFC, full-width digits are read, Japanese era dates are converted to ISO (an era year outside
its era is an error, never a guess), partial dates keep their precision and never get an invented
day. Failures raise :class:`~instruments.errors.AnswerError` with a code.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from instruments.errors import AnswerError

#: Above this Zawgyi probability a text is converted (myanmartools' recommended threshold).
ZAWGYI_THRESHOLD = 0.95
#: Career dates outside these years are typing mistakes.
MIN_YEAR, MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class Normalised:
    value: str
    raw: str  #: exactly what was typed
    flags: tuple[str, ...] = ()  #: quality_flag codes, e.g. ``zawgyi_converted``


@dataclass(frozen=True)
class PartialDate:
    value: str  #: "YYYY" | "YYYY-MM" | "YYYY-MM-DD"
    precision: str  #: "year" | "month" | "day"
    era_parsed: bool = False  #: written as a Japanese era date (令和6年4月, R6.4)


@lru_cache(maxsize=1)
def _zawgyi() -> tuple[Any, Any]:
    import icu
    from myanmartools import ZawgyiDetector

    with warnings.catch_warnings():
        # myanmartools 1.2 reads its model with importlib.resources.open_binary, deprecated in 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        detector = ZawgyiDetector()
    return detector, icu.Transliterator.createInstance("Zawgyi-my")


def zawgyi_probability(text: str) -> float:
    """Probability that ``text`` is Zawgyi-encoded Burmese; 0.0 for text without Myanmar letters."""
    if not any("\u1000" <= ch <= "\u109f" for ch in text):
        return 0.0
    probability = _zawgyi()[0].get_zawgyi_probability(text)
    return probability if math.isfinite(probability) else 0.0


def normalise_text(raw: str) -> Normalised:
    """NFC, surrounding white space removed, Zawgyi converted to Unicode (flag ``zawgyi_converted``)."""
    value = unicodedata.normalize("NFC", raw).strip()
    flags: tuple[str, ...] = ()
    if zawgyi_probability(value) > ZAWGYI_THRESHOLD:
        value = unicodedata.normalize("NFC", _zawgyi()[1].transliterate(value))
        flags = ("zawgyi_converted",)
    return Normalised(value=value, raw=raw, flags=flags)


# Era: (first day, last day or None)
_ERAS: dict[str, tuple[date, date | None]] = {
    "reiwa": (date(2019, 5, 1), None),
    "heisei": (date(1989, 1, 8), date(2019, 4, 30)),
    "showa": (date(1926, 12, 25), date(1989, 1, 7)),
}
_ERA_NAMES = {"令和": "reiwa", "平成": "heisei", "昭和": "showa", "r": "reiwa", "h": "heisei", "s": "showa"}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_N = r"(\d{1,2})"
_ERA = re.compile(
    r"(?P<era>令和|平成|昭和|[RrHhSs])\.?(?P<year>\d{1,2}|元)(?:[年./-]"
    r"(?:(?P<month>\d{1,2})(?:[月./-](?:(?P<day>\d{1,2})日?)?)?)?)?"
)
_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?|年)?"), ("y", "m", "d")),
    (re.compile(rf"{_N}[-/.]{_N}[-/.](\d{{4}})"), ("ambiguous",)),
    (re.compile(rf"{_N}[-/.](\d{{4}})"), ("m", "y")),
    (re.compile(r"([a-z]+)\.?,?(\d{4})"), ("mname", "y")),
    (re.compile(r"(\d{4}),?([a-z]+)\.?"), ("y", "mname")),
    (re.compile(r"tháng(\d{1,2})(?:năm|[/,.-])?(\d{4})"), ("m", "y")),
)


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _check_era(era: str, year: int, first: date, last: date) -> None:
    """An era date outside its era: a year the era never had (``reason`` "year"), or a month or day of
    its first or last year before it began ("before_start") or after it ended ("after_end")."""
    start, end = _ERAS[era]
    if not (last < start or (end is not None and first > end)):
        return
    reason = "year"
    if year == start.year and last < start:
        reason = "before_start"
    elif end is not None and year == end.year:
        reason = "after_end"
    raise AnswerError("era_out_of_range", {"era": era, "start": start.isoformat(),
                                           "end": end.isoformat() if end else "", "reason": reason})


def _build(year: int, month: int | None, day: int | None, *, era: str | None = None) -> PartialDate:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise AnswerError("partial_date", {"reason": "year"})
    if month is not None and not 1 <= month <= 12:
        raise AnswerError("partial_date", {"reason": "month"})
    try:
        first, last = (
            (date(year, month, day),) * 2 if month and day
            else _month_bounds(year, month) if month else (date(year, 1, 1), date(year, 12, 31))
        )
    except ValueError:
        raise AnswerError("partial_date", {"reason": "day"}) from None
    if era is not None:
        _check_era(era, year, first, last)
    if month is None:
        return PartialDate(f"{year:04d}", "year", era is not None)
    if day is None:
        return PartialDate(f"{year:04d}-{month:02d}", "month", era is not None)
    return PartialDate(f"{year:04d}-{month:02d}-{day:02d}", "day", era is not None)


def parse_partial_date(raw: str) -> PartialDate:
    """Read a year, year-month or full date as people write it; never invent a day.

    Accepts ISO forms (``2018``, ``2018-03``, ``2018-03-15``), ``2018/3``, ``3/2018``, ``2018年3月``,
    ``March 2019``, Vietnamese ``tháng 3 năm 2019``, full-width digits, and Japanese era dates
    (``令和6年4月``, ``令和元年``, ``R6.4``, ``H31/4/30``, ``平成31年4月30日``, ``S64.1.7``). Raises
    ``AnswerError("partial_date")`` for what it cannot read (``3/4/2018`` is ambiguous) and
    ``AnswerError("era_out_of_range")`` for an era year outside its era (``平成32年``; ``reason`` "year"),
    or a month of its first or last year outside it (``令和1年4月``: "before_start", ``平成31年5月``:
    "after_end").
    """
    text = re.sub(r"[\s　]+", "", unicodedata.normalize("NFKC", raw)).lower()
    if not text:
        raise AnswerError("partial_date", {"reason": "empty"})
    match = _ERA.fullmatch(text)
    if match:
        era = _ERA_NAMES[match["era"]]
        era_year = 1 if match["year"] == "元" else int(match["year"])
        if era_year < 1:
            raise AnswerError("era_out_of_range", {"era": era})
        base = _ERAS[era][0].year - 1
        month = int(match["month"]) if match["month"] else None
        day = int(match["day"]) if match["day"] else None
        return _build(base + era_year, month, day, era=era)
    for pattern, roles in _PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        if roles == ("ambiguous",):
            raise AnswerError("partial_date", {"reason": "ambiguous"})
        parts = dict(zip(roles, match.groups(), strict=True))
        if "mname" in parts:
            month_number = _MONTHS.get(parts["mname"])
            if month_number is None:
                continue
            parts["m"] = str(month_number)
        return _build(int(parts["y"]), int(parts["m"]) if parts.get("m") else None,
                      int(parts["d"]) if parts.get("d") else None)
    raise AnswerError("partial_date", {"reason": "format"})


def normalise_phone(raw: str, region: str = "JP") -> str:
    """A phone number in E.164 (``+819012345678``); national numbers are read for ``region``."""
    text = unicodedata.normalize("NFKC", raw).strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise AnswerError("phone") from None
    if not phonenumbers.is_valid_number(number):
        raise AnswerError("phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")


def normalise_email(raw: str) -> str:
    """An e-mail address, full-width characters read (``＠``), checked by ``email-validator`` (syntax only,
    no DNS): control and bidirectional-override characters, spaces and domains without a dot are refused;
    the domain comes back in lower case."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise AnswerError("email")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise AnswerError("email") from None
    return f"{checked.local_part}@{checked.domain.lower()}"
