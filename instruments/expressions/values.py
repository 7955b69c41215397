"""Values of the expression language and their conversions (XPath 1.0 as XLSForm uses it).

A value is ``str``, ``float``, ``bool`` or a ``list`` (a select_multiple's choice names, or a
repeat's entries as dicts). Unanswered is ``""``. ``rules.js`` implements the same conversions; keep
both in step (number -> text follows JavaScript's ``String(number)`` so both sides print alike).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

Value = str | float | bool | list[Any]

_NUMERIC = re.compile(r"[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*")
_SPACE = re.compile(r"[ \t\n\r]+")


def normalise(raw: Any) -> Value:
    """Turn a stored answer (JSON-like data) into a value; anything unknown is unanswered."""
    if raw is None:
        return ""
    if isinstance(raw, bool | str | float):
        return raw
    if isinstance(raw, int):
        try:
            return float(raw)
        except OverflowError:
            return math.inf if raw > 0 else -math.inf
    if isinstance(raw, list | tuple):
        return [item if isinstance(item, dict) else to_string(normalise(item)) for item in raw]
    return ""


def number_text(x: float) -> str:
    """``x`` as JavaScript's ``String(x)`` writes it."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x == int(x) and abs(x) < 2**53:
        return str(int(x))  # exact, and the shortest digits too in this range
    sign, digit_tuple, exp = Decimal(repr(x)).as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exp += len("".join(map(str, digit_tuple))) - len(digits)
    k = len(digits)
    n = exp + k
    prefix = "-" if sign else ""
    if k <= n <= 21:
        return prefix + digits + "0" * (n - k)
    if 0 < n <= 21:
        return prefix + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return prefix + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{prefix}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def to_string(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, list):
        return " ".join(item for item in v if isinstance(item, str))
    return v


def is_numeric(v: Value) -> bool:
    """True for numbers and for text that reads as a number (``"12"``, ``" 3.5"``)."""
    if isinstance(v, float):
        return True
    return isinstance(v, str) and _NUMERIC.fullmatch(v) is not None


def to_number(v: Value) -> float:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    text = to_string(v)
    return float(text) if _NUMERIC.fullmatch(text) else math.nan


def to_bool(v: Value) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return not (v == 0 or math.isnan(v))
    return len(v) > 0


def split_selected(v: Value) -> list[str]:
    """The choice names of a select_multiple value (a list, or XLSForm's space-separated text)."""
    if isinstance(v, list):
        return [item for item in v if isinstance(item, str)]
    return [part for part in _SPACE.split(to_string(v)) if part]


def equals(a: Value, b: Value) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if is_numeric(a) and is_numeric(b):
        return to_number(a) == to_number(b)
    return to_string(a) == to_string(b)


def compare(op: str, a: Value, b: Value) -> bool:
    """``< <= > >=``: numerically when both sides are numbers, else as text (ISO dates); unanswered is
    never smaller or greater than anything."""
    x: float | str
    y: float | str
    if (is_numeric(a) or isinstance(a, bool)) and (is_numeric(b) or isinstance(b, bool)):
        x, y = to_number(a), to_number(b)
    else:
        x, y = to_string(a), to_string(b)
        if x == "" or y == "":
            return False
    if op == "<":
        return x < y  # type: ignore[operator]
    if op == "<=":
        return x <= y  # type: ignore[operator]
    if op == ">":
        return x > y  # type: ignore[operator]
    return x >= y  # type: ignore[operator]


def arithmetic(op: str, x: float, y: float) -> float:
    """IEEE arithmetic as JavaScript does it (division by zero gives infinity, never an exception)."""
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "div":
        if y == 0:
            if x == 0 or math.isnan(x):
                return math.nan
            return math.copysign(math.inf, x) * math.copysign(1.0, y)
        return x / y
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0:
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)
