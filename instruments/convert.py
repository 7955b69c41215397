"""Convert what a participant typed into a stored answer (see the answer format in model.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from instruments.errors import AnswerError, ExpressionError
from instruments.expressions import Context, evaluate_bool
from instruments.geo import parse_geo
from instruments.model import GEO_TYPES, Choice, Instrument, Question
from instruments.normalise import normalise_email, normalise_phone, normalise_text, parse_partial_date

#: Longest accepted free text, in characters.
MAX_TEXT = 2000
#: Types whose values never come from the page.
NOT_ANSWERED = ("note", "calculate", "hidden")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_ACKNOWLEDGED = {"ok", "yes", "true", "1", "on"}


@dataclass(frozen=True)
class Converted:
    """A stored answer: ``value`` (``None`` when unanswered), what was typed when that differs in more
    than Unicode form and spaces (never for contact data), and quality_flag codes."""

    value: Any
    meta_raw: str | None = None
    flags: list[str] = field(default_factory=list)


def _number_text(raw: str) -> str:
    """Digits of any script (Myanmar ၁၉၉၈, Devanagari १९९८, full-width) as ASCII, spaces removed."""
    text = re.sub(r"[\s　]+", "", unicodedata.normalize("NFKC", raw))
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
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


def _convert(question: Question, text: str, region: str) -> Converted:
    qtype = question.type
    if qtype == "integer":
        number = _number_text(text)
        if not _INTEGER.fullmatch(number) or len(number.lstrip("+-")) > 15:
            raise AnswerError("integer")
        return Converted(int(number))
    if qtype == "decimal":
        number = _number_text(text)
        if not _DECIMAL.fullmatch(number) or len(number) > 30:
            raise AnswerError("decimal")
        try:
            return Converted(str(Decimal(number.lstrip("+"))))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise AnswerError("decimal") from None
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
) -> Converted:
    """Convert ``raw`` (text, or a list of choice names) into the stored answer of ``question``.

    Choices are checked against ``choices`` (or ``instrument``'s list); the constraint is checked when
    ``answers`` and ``today`` are given. Raises :class:`AnswerError` with code ``required``,
    ``integer``, ``decimal``, ``date``, ``partial_date``, ``era_out_of_range``, ``choice``, ``phone``,
    ``email``, ``geo``, ``too_long`` or ``constraint``. An empty answer is ``Converted(None)`` unless the
    question is always required.
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
        converted = _convert(question, text, region)
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
