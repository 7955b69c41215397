"""XForms functions over evaluated values (ODK XForms spec, "Functions"); ``rules.js`` has the same.

Definitions where the spec leaves room (both evaluators follow them, tests/instruments/test_rules_js.py):

- ``substr(s, start[, end])``: 0-based code points, ``end`` exclusive; positions are truncated and
  clamped to the text; ``translate`` and ``normalize-space`` follow XPath 1.0.
- ``round(x[, digits])``: XPath's ``floor(x + 0.5)`` (at ``digits`` decimals when given).
- ``min``/``max``/``sum`` take any number of arguments; a list (a select_multiple) gives its items.
  ``min``/``max`` of nothing, or of anything not a number, is NaN; ``sum`` of nothing is 0.
- ``date(x)``: a number of days since 1970-01-01, or an ISO date text, as ``YYYY-MM-DD`` (``""`` when
  not a date of years 1-9999); ``decimal-date-time(x)``: an ISO date or ``YYYY-MM-DDTHH:MM[:SS]`` as days
  since 1970-01-01 (NaN when not one); ``format-date(d, f)``: ``%Y %y %m %n %d %e %b %a``.
- ``once(x)`` is ``x`` (Keireki stores a calculation's value on each save); ``now()`` is the context's
  ``now`` (the server's time of the request), else today; ``pulldata()`` is ``""`` (external data is
  not loaded); ``uuid()`` a random UUID; ``jr:choice-name(value, '${q}')`` the label of choice ``value``
  of question ``q`` from the context's ``labels`` (the engine gives the default language's), else ``""``.
"""

from __future__ import annotations

import math
import re
import uuid as uuid_module
from collections.abc import Callable
from datetime import date, timedelta

from instruments.expressions.values import Value, is_numeric, split_selected, to_bool, to_number, to_string

_EPOCH = date(1970, 1, 1)
_DAYS_MIN, _DAYS_MAX = (date(1, 1, 1) - _EPOCH).days, (date(9999, 12, 31) - _EPOCH).days
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")
_SPACE = re.compile(r"[ \t\n\r]+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _flat(values: list[Value]) -> list[Value]:
    out: list[Value] = []
    for v in values:
        out += split_selected(v) if isinstance(v, list) else [v]
    return out


def _index(v: Value, default: int) -> int:
    x = to_number(v)
    return default if math.isnan(x) else int(max(min(x, 1e15), -1e15))


def _substr(values: list[Value]) -> Value:
    chars = list(to_string(values[0]))
    start = max(_index(values[1], 0), 0)
    end = max(min(_index(values[2], len(chars)), len(chars)), 0) if len(values) > 2 else len(chars)
    return "".join(chars[start:end])


def _translate(values: list[Value]) -> Value:
    text, source, target = (list(to_string(v)) for v in values)
    table: dict[str, str] = {}
    for i, ch in enumerate(source):
        table.setdefault(ch, target[i] if i < len(target) else "")
    return "".join(table.get(ch, ch) for ch in text)


def _round(values: list[Value]) -> Value:
    x = to_number(values[0])
    # float("1e<n>") is correctly rounded, like JavaScript's Number("1e<n>") (pow may not be)
    scale = float(f"1e{max(min(_index(values[1], 0), 308), -308)}") if len(values) > 1 else 1.0
    if not math.isfinite(x) or not math.isfinite(x * scale):
        return x
    return float(math.floor(x * scale + 0.5)) / scale


def _extreme(values: list[Value], smaller: bool) -> Value:
    numbers = [to_number(v) for v in _flat(values)]
    if not numbers or any(math.isnan(n) for n in numbers):
        return math.nan
    best = numbers[0]
    for n in numbers[1:]:
        if (n < best if smaller else n > best) or (n == best == 0 and (math.copysign(1, n) < 0) == smaller):
            best = n
    return best


def _sum(values: list[Value]) -> Value:
    total = 0.0
    for v in _flat(values):
        total += to_number(v)
    return total


def _days(v: Value) -> float | None:
    """Days since 1970-01-01 of a date or date-time text; None when it is not one."""
    match = _ISO.fullmatch(to_string(v).strip(" \t\n\r"))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        days = (date(year, month, day) - _EPOCH).days
    except ValueError:
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return days + (hour * 3600 + minute * 60 + second) / 86400


def _as_date(v: Value) -> date | None:
    """A number of days since 1970-01-01, or an ISO date (time) text, as a date of years 1-9999."""
    if isinstance(v, float | bool) or is_numeric(v):
        x = to_number(v)
        if not math.isfinite(x) or not _DAYS_MIN <= math.floor(x) <= _DAYS_MAX:
            return None
        return _EPOCH + timedelta(days=math.floor(x))
    days = _days(v)
    return None if days is None else _EPOCH + timedelta(days=math.floor(days))


def _date(values: list[Value]) -> Value:
    day = _as_date(values[0])
    return day.isoformat() if day else ""


def _decimal_date_time(values: list[Value]) -> Value:
    v = values[0]
    if isinstance(v, float | bool):
        return to_number(v)
    days = _days(v)
    return math.nan if days is None else days


def _format_date(values: list[Value]) -> Value:
    day = _as_date(values[0])
    if day is None:
        return ""
    codes = {"Y": f"{day.year:04d}", "y": f"{day.year % 100:02d}", "m": f"{day.month:02d}",
             "n": str(day.month), "d": f"{day.day:02d}", "e": str(day.day), "b": _MONTHS[day.month - 1],
             "a": _DAYS[day.weekday()]}
    return re.sub(r"%([A-Za-z])", lambda m: codes.get(m.group(1), m.group(0)), to_string(values[1]))


def _join(values: list[Value]) -> Value:
    return to_string(values[0]).join(to_string(v) for v in _flat(values[1:]))


def _selected_at(values: list[Value]) -> Value:
    items, n = split_selected(values[0]), _index(values[1], -1)
    return items[n] if 0 <= n < len(items) else ""


#: Name -> implementation over evaluated arguments.
VALUE_FUNCTIONS: dict[str, Callable[[list[Value]], Value]] = {
    "ends-with": lambda v: to_string(v[0]).endswith(to_string(v[1])),
    "substr": _substr,
    "translate": _translate,
    "normalize-space": lambda v: _SPACE.sub(" ", to_string(v[0])).strip(" "),
    "boolean": lambda v: to_bool(v[0]),
    "round": _round,
    "min": lambda v: _extreme(v, True),
    "max": lambda v: _extreme(v, False),
    "sum": _sum,
    "once": lambda v: v[0],
    "join": _join,
    "selected-at": _selected_at,
    "date": _date,
    "decimal-date-time": _decimal_date_time,
    "format-date": _format_date,
    "pulldata": lambda v: "",
    "uuid": lambda v: str(uuid_module.uuid4()),
}

#: Their numbers of arguments (minimum, maximum or None), merged into the parser's table.
ARITY: dict[str, tuple[int, int | None]] = {
    "ends-with": (2, 2), "substr": (2, 3), "translate": (3, 3), "normalize-space": (1, 1), "boolean": (1, 1),
    "round": (1, 2), "min": (1, None), "max": (1, None), "sum": (1, None), "once": (1, 1), "join": (2, None),
    "selected-at": (2, 2), "date": (1, 1), "decimal-date-time": (1, 1), "format-date": (2, 2),
    "pulldata": (4, 4), "uuid": (0, 1), "now": (0, 0), "indexed-repeat": (3, 3), "jr:choice-name": (2, 2),
}
