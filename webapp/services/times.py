"""Instants as people read them: in a time zone, in the page's language, with the zone named.

Timestamps are stored (and written to export files) in UTC; every page that shows one to a signed-in person
goes through :func:`format_instant` — in templates the ``local_time`` filter (``local_range`` for a start and
an end), which also marks it up as ``<time datetime="…Z">`` so that a page with a time but no zone is found
by ``tests/webapp/test_times_shown.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location
from flask import Flask
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

JAPAN = "Asia/Tokyo"
#: Zone names Babel has no region for: shown as they are.
PLAIN_ZONES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Universal", "Zulu"}


def zone_of(name: str | None) -> ZoneInfo:
    """The zone called ``name``, else Japan's (a stored name is never trusted blindly)."""
    try:
        return ZoneInfo(name or JAPAN)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(JAPAN)


def user_zone() -> ZoneInfo:
    """The signed-in person's zone (their account setting), else Japan's."""
    name = getattr(current_user, "timezone", None) if current_user and current_user.is_authenticated else None
    return zone_of(name)


def zone_label(zone: ZoneInfo, locale: Locale | str) -> str:
    """The zone's name for a reader of ``locale``: "Japan Time", "日本時間"; UTC as "UTC"."""
    if zone.key in PLAIN_ZONES:
        return "UTC"
    return str(get_timezone_location(zone, locale=locale))


def format_instant(value: datetime, *, zone: ZoneInfo, locale: Locale | str, fmt: str = "medium") -> str:
    """``value`` in ``zone``, followed by the zone's name.

    ``fmt``: ``medium`` (date and time: "Dec 2, 2026, 2:00 PM"), ``short`` ("12/2/26, 2:00 PM"), ``full``
    (with the weekday: "Wed, Dec 2, 2026 2:00 PM"), ``time`` (the time only).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    loc = Locale.parse(locale)
    clock = format_time(value, "short", tzinfo=zone, locale=loc)
    if fmt == "time":
        text = clock
    elif fmt == "full":
        text = f"{format_skeleton('yMMMEd', value, tzinfo=zone, locale=loc)} {clock}"
    else:
        day = format_date(value.astimezone(zone), "short" if fmt == "short" else "medium", locale=loc)
        pattern = str(loc.datetime_formats.get("short" if fmt == "short" else "medium", "{1} {0}"))
        text = pattern.replace("'", "").replace("{0}", clock).replace("{1}", day)
    return f"{text} ({zone_label(zone, loc)})"


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_time(value: datetime | str | None, fmt: str = "medium", zone: str | None = None) -> Markup | str:
    """Template filter: ``<time datetime="…Z">`` with the instant in ``zone`` (default: the reader's)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    tz = zone_of(zone) if zone else user_zone()
    text = format_instant(value, zone=tz, locale=get_locale() or "en", fmt=fmt)
    return Markup('<time datetime="{}">{}</time>').format(_iso(value), escape(text))


def local_range(start: datetime, end: datetime, zone: str | None = None) -> Markup:
    """Template filter: "14:00–15:00 (Japan Time)" as one ``<time>`` (the start's instant)."""
    tz = zone_of(zone) if zone else user_zone()
    loc = get_locale() or "en"
    text = (f"{format_time(start, 'short', tzinfo=tz, locale=loc)}–{format_time(end, 'short', tzinfo=tz, locale=loc)}"
            f" ({zone_label(tz, loc)})")
    return Markup('<time datetime="{}">{}</time>').format(_iso(start), text)


def init_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_range"] = local_range
