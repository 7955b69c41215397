"""Turning one answer into one cell of a contract column, and pseudonymous references."""

from __future__ import annotations

import functools
import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from instruments.contract import Column, vocabulary

from .dates import _parse_text, parse_partial_date
from .types import Cell

_TRUE = frozenset({"yes", "true"})
_FALSE = frozenset({"no", "false"})


class Coerced(NamedTuple):
    """A converted cell, or None with the reason it could not be converted."""

    value: Cell
    problem: str | None = None
    #: The flag code a problem is reported under (``unparsed_date`` or ``conversion_note``).
    flag: str = "conversion_note"


def to_bool(value: object) -> bool | None:
    """Choice codes to booleans: ``yes``/``true`` -> True, ``no``/``false`` -> False, others None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = value.strip().casefold()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    return None


def _to_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str | float):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    return None


def _to_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return float(number) if number.is_finite() else None
    return None


@functools.cache
def _allowed(vocab: str | None) -> frozenset[str]:
    return frozenset(vocabulary(vocab)) if vocab else frozenset()


def _to_code(value: object, column: Column, codes: Mapping[str, str]) -> Coerced:
    if type(value) is str:  # the common case first: a choice name that is a code
        text = codes.get(value, value) if codes else value
        if text in _allowed(column.vocab):
            return Coerced(text)
    elif isinstance(value, bool) or not isinstance(value, str | int):
        return Coerced(None, f"{column.name}: {value!r} is not a code")
    text = codes.get(str(value), str(value))
    allowed = _allowed(column.vocab)
    if text in allowed:
        return Coerced(text)
    if text.zfill(2) in allowed:  # an integer answer for a zero-padded code such as a prefecture
        return Coerced(text.zfill(2))
    return Coerced(None, f"{column.name}: {text!r} is not in the {column.vocab} vocabulary")


def coerce(value: object, column: Column, codes: Mapping[str, str]) -> Coerced:
    """Convert an answer to the column's kind; invalid answers give None and a problem to flag."""
    kind = column.kind
    if kind == "string" and type(value) is str:
        return Coerced(unicodedata.normalize("NFC", value))
    if kind == "code":
        return _to_code(value, column, codes)
    if kind == "boolean":
        result: Cell = to_bool(codes.get(value, value) if isinstance(value, str) else value)
    elif kind == "integer":
        result = _to_int(value)
    elif kind == "number":
        result = _to_float(value)
    elif kind == "date":
        parsed = parse_partial_date(value)
        if parsed is None:
            return Coerced(None, f"{column.name}: cannot read {value!r} as a date", "unparsed_date")
        return Coerced(parsed.iso())
    else:  # string, datetime
        if isinstance(value, list):
            value = ";".join(str(codes.get(str(v), v)) for v in value)
        result = unicodedata.normalize("NFC", str(value)) if value is not None else None
    if result is None and value is not None:
        return Coerced(None, f"{column.name}: {value!r} is not a {kind}")
    return Coerced(result)


#: A converter of one mapped question (:func:`converter`): the cell, or a :class:`Coerced` carrying the problem.
Converter = Callable[[object], "Cell | Coerced"]


def converter(column: Column, codes: Mapping[str, str]) -> Converter:
    """``coerce`` for one column and set of codes, done once: a function of the answer alone that returns the
    converted cell (None for no answer), or the :class:`Coerced` of a problem. The common answers (a choice
    name that is a code, a text, a date, an integer) take a path specialised for the column's kind; anything
    else goes through :func:`coerce` itself, so the result is always ``coerce``'s."""
    codes = dict(codes)

    def general(value: object) -> Cell | Coerced:
        result = coerce(value, column, codes)
        return result.value if result.problem is None else result

    make = _CONVERTERS.get(column.kind)
    return make(column, codes, general) if make else general


def _string(column: Column, codes: dict[str, str], general: Converter) -> Converter:
    normalize = unicodedata.normalize

    def string(value: object) -> Cell | Coerced:
        return normalize("NFC", value) if type(value) is str else general(value)
    return string


def _code(column: Column, codes: dict[str, str], general: Converter) -> Converter:
    allowed = _allowed(column.vocab)
    get = codes.get

    def code(value: object) -> Cell | Coerced:
        if type(value) is str:
            text = get(value, value)
            if text in allowed:
                return text
        return general(value)
    return code


def _date(column: Column, codes: dict[str, str], general: Converter) -> Converter:
    def partial_date(value: object) -> Cell | Coerced:
        if type(value) is str:
            text = _date_text(value)
            if text is not None:
                return text
        return general(value)
    return partial_date


def _integer(column: Column, codes: dict[str, str], general: Converter) -> Converter:
    def integer(value: object) -> Cell | Coerced:
        return value if type(value) is int else general(value)
    return integer


def _boolean(column: Column, codes: dict[str, str], general: Converter) -> Converter:
    known: dict[str, bool] = {}  # what to_bool gives the choice names seen (yes, no...), at most 64 of them
    get = codes.get

    def boolean(value: object) -> Cell | Coerced:
        if type(value) is str:
            hit = known.get(value)
            if hit is not None:
                return hit
            answer = to_bool(get(value, value))
            if answer is not None and len(known) < 64:
                known[value] = answer
                return answer
        return general(value)
    return boolean


_CONVERTERS: dict[str, Callable[[Column, dict[str, str], Converter], Converter]] = {
    "string": _string, "code": _code, "date": _date, "integer": _integer, "boolean": _boolean,
}


@functools.lru_cache(maxsize=8192)
def _date_text(value: str) -> str | None:
    """The ISO text of a partial date answer, None when it is not one."""
    parsed = _parse_text(value)
    return parsed.iso() if parsed is not None else None


def normalise_name(name: str) -> str:
    """The form of a name that is pseudonymised: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def pseudonym(prefix: str, name: str, key: bytes) -> str:
    """A stable reference for a name within a study: prefix + first 10 hex of HMAC-SHA256."""
    return prefix + _digest(name, key)[:10]


@functools.lru_cache(maxsize=4096)
def _digest(name: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised name (hex), kept for the names seen last: the same employers and firms
    come back participant after participant."""
    return hmac.new(key, normalise_name(name).encode("utf-8"), hashlib.sha256).hexdigest()
