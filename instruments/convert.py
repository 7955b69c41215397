"""Convert what a participant typed into a stored answer (see the answer format in model.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.core import UnknownLocaleError
from babel.numbers import NumberFormatError, parse_decimal

from instruments.errors import AnswerError, ExpressionError
from instruments.expressions import Context, evaluate_bool
from instruments.geo import parse_geo
from instruments.model import GEO_TYPES, UPLOAD_KEY, UPLOAD_TYPES, Choice, Instrument, Question
from instruments.normalise import normalise_email, normalise_phone, normalise_text, parse_partial_date

#: Longest accepted free text, in characters.
MAX_TEXT = 2000
#: Types whose values never come from the page.
NOT_ANSWERED = ("note", "calculate", "hidden")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_ACKNOWLEDGED = {"ok", "yes", "true", "1", "on"}
_UPLOAD_KEY = re.compile(UPLOAD_KEY)


@dataclass(frozen=True)
class Converted:
    """A stored answer: ``value`` (``None`` when unanswered), what was typed when that differs in more
    than Unicode form and spaces (never for contact data), and quality_flag codes."""

    value: Any
    meta_raw: str | None = None
    flags: list[str] = field(default_factory=list)


#: A number with a unit around it: ``¥50,000``, ``50人``, ``25tuổi`` (spaces already removed).
_WITH_UNIT = re.compile(r"(?P<before>[^\d+\-.,]*?)(?P<number>[+-]?[\d.,'٫٬]*\d[\d.,'٫٬]*)(?P<after>\D*)")
#: Words that multiply the number before them (``15万`` is 150,000, not 15): never dropped as a unit.
_MULTIPLIERS = ("万", "千", "百", "億", "十", "k", "m", "b", "tr", "ng", "jt", "juta", "rb", "ribu", "lakh",
                "lac", "हजार", "लाख", "သောင်း", "သိန်း", "ထောင်", "พัน", "หมื่น", "แสน", "ล้าน", "ពាន់", "ម៉ឺន",
                "សែន", "លាន")


def _strip_unit(text: str) -> str:
    """``50人`` -> ``50``: a currency sign before or a unit word after the number is not part of it."""
    match = _WITH_UNIT.fullmatch(text)
    if match is None or not (match["before"] or match["after"]):
        return text
    after = match["after"].lower()
    if any(m in after for m in _MULTIPLIERS):
        return text
    # Letters with their vowel signs and other marks (Khmer នាក់, Thai ปี, Hindi साल): a word.
    if any(not unicodedata.category(ch).startswith(("S", "L", "M")) for ch in match["before"] + match["after"]):
        return text
    return match["number"]


def _number_text(raw: str, locale: str | None = None) -> str:
    """A number as the participant wrote it, as plain ASCII (``-1234.5``), read with the separators of
    ``locale`` (the page's language: ``150.000.000`` and ``2,5`` in Vietnamese), else English's;
    digits of any script (Myanmar ၁၉၉၈, Devanagari १९९८, full-width ５０), spaces and a unit removed.
    What cannot be read is returned as it is (the caller's pattern then refuses it)."""
    text = re.sub(r"[\s　]+", "", unicodedata.normalize("NFKC", raw))
    text = _strip_unit("".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text))
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("+-") if text[:1] in "+-" else text
    for tag in dict.fromkeys([*([locale.replace("-", "_")] if locale else []), "en"]):
        try:
            return sign + str(parse_decimal(body, locale=tag, strict=True))
        except (NumberFormatError, UnknownLocaleError, ValueError):
            continue
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text


def _convert_choice(question: Question, raw: str | list[str], choices: Sequence[Choice] | None) -> Any:
    names = {c.name for c in choices} if choices is not None else None
    if question.type == "select_one":
        value = raw if isinstance(raw, str) else (raw[0] if len(raw) == 1 else None)
        if value is None or (names is not None and value not in names):
            raise AnswerError("choice", {"value": value})
        return value
    items = raw.split() if isinstance(raw, str) else list(raw)
    bad = [item for item in items if not isinstance(item, str) or (names is not None and item not in names)]
    if bad:
        raise AnswerError("choice", {"value": bad[0]})
    order = {c.name: i for i, c in enumerate(choices or ())}
    return sorted(dict.fromkeys(items), key=lambda name: order.get(name, len(order)))


def _convert_number(qtype: str, text: str, locale: str | None) -> Converted:
    number = _number_text(text, locale)
    if qtype == "integer":
        if not _INTEGER.fullmatch(number) or len(number.lstrip("+-")) > 15:
            raise AnswerError("integer")
        return Converted(int(number))
    if not _DECIMAL.fullmatch(number) or len(number) > 30:
        raise AnswerError("decimal")
    try:
        return Converted(str(Decimal(number.lstrip("+"))))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise AnswerError("decimal") from None


def _convert(question: Question, text: str, region: str, locale: str | None = None) -> Converted:
    qtype = question.type
    if qtype in ("integer", "decimal"):
        return _convert_number(qtype, text, locale)
    if qtype in ("date", "partial_date"):
        try:
            parsed = parse_partial_date(text)
        except AnswerError as exc:
            if qtype == "date" and exc.code == "partial_date":
                raise AnswerError("date", exc.params) from None
            raise
        if qtype == "date" and parsed.precision != "day":
            raise AnswerError("date", {"precision": parsed.precision})
        return Converted(parsed.value, flags=["era_date_parsed"] if parsed.era_parsed else [])
    if qtype in GEO_TYPES or qtype in ("phone", "email"):
        return Converted(parse_geo(text, qtype) if qtype in GEO_TYPES else
                         normalise_phone(text, region) if qtype == "phone" else normalise_email(text))
    if qtype in UPLOAD_TYPES:  # the web app stored the file and passes its key (webapp/services/uploads.py)
        if not _UPLOAD_KEY.fullmatch(text.strip()):
            raise AnswerError("file")
        return Converted(text.strip())
    if qtype == "acknowledge":
        if text.strip().lower() not in _ACKNOWLEDGED:
            raise AnswerError("choice", {"value": text})
        return Converted("OK")
    normalised = normalise_text(text)
    if len(normalised.value) > MAX_TEXT:
        raise AnswerError("too_long", {"max": MAX_TEXT, "length": len(normalised.value)})
    return Converted(normalised.value, flags=list(normalised.flags))


def convert_answer(
    question: Question, raw: str | list[str], *, instrument: Instrument | None = None,
    choices: Sequence[Choice] | None = None, region: str = "JP", answers: dict[str, Any] | None = None,
    today: date | None = None, entry: tuple[str, int] | tuple[tuple[str, int], ...] | None = None,
    locale: str | None = None,
) -> Converted:
    """Convert ``raw`` (text, or a list of choice names) into the stored answer of ``question``.

    Choices are checked against ``choices`` (or ``instrument``'s list); the constraint is checked when
    ``answers`` and ``today`` are given. Raises :class:`AnswerError` with code ``required``,
    ``integer``, ``decimal``, ``date``, ``partial_date``, ``era_out_of_range``, ``choice``, ``phone``,
    ``email``, ``geo``, ``file``, ``too_long`` or ``constraint``. An empty answer is ``Converted(None)`` unless the
    question is always required. Numbers are read with the separators of ``locale`` (the page's
    language tag, e.g. ``vi``) first, then English's.
    """
    if question.type in NOT_ANSWERED:
        return Converted(None)
    empty = (not raw.strip()) if isinstance(raw, str) else not [r for r in raw if r]
    if empty:
        if question.required is True:
            raise AnswerError("required")
        return Converted(None)
    if question.type in ("select_one", "select_multiple"):
        if choices is None and instrument is not None and question.choices:
            choices = instrument.choice_lists.get(question.choices, ())
        converted = Converted(_convert_choice(question, raw, choices))
    else:
        text = raw if isinstance(raw, str) else " ".join(raw)
        converted = _convert(question, text, region, locale)
        if not question.is_contact and str(converted.value) != unicodedata.normalize("NFC", text).strip():
            converted = Converted(converted.value, text, converted.flags)
    if question.constraint and answers is not None and today is not None:
        ctx = Context(answers=answers, today=today, current=converted.value, entry=entry)
        try:
            ok = evaluate_bool(question.constraint, ctx)
        except ExpressionError:
            ok = True  # a broken constraint is the checker's finding, not the participant's fault
        if not ok:
            raise AnswerError("constraint")
    return converted
