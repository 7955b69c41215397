"""Geographic answers (XLSForm ``geopoint``, ``geotrace``, ``geoshape``) as ODK stores them.

A point is ``"lat lon [altitude [accuracy]]"`` (decimal degrees, metres); a trace is points joined by
``;``; a shape is a closed trace (its last point equals its first, at least four points). Typed by hand
or filled by the browser's geolocation: ``12.5, 99.1`` and ``12.5 99.1`` are both accepted.
"""

from __future__ import annotations

import re

from instruments.errors import AnswerError

_SPLIT = re.compile(r"[\s,]+")


def _point(text: str) -> str:
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if not 2 <= len(parts) <= 4:
        raise AnswerError("geo")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise AnswerError("geo") from None
    lat, lon = numbers[0], numbers[1]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or any(n != n for n in numbers):
        raise AnswerError("geo")
    if len(numbers) == 4 and numbers[3] < 0:
        raise AnswerError("geo")
    return " ".join(parts)


def parse_geo(text: str, kind: str) -> str:
    """The stored answer of a ``kind`` question (``geopoint``/``geotrace``/``geoshape``) typed as
    ``text``; raises :class:`AnswerError` ``geo``."""
    if kind == "geopoint":
        return _point(text)
    points = [_point(p) for p in text.split(";") if p.strip()]
    if len(points) < 2 or kind == "geoshape" and (len(points) < 4 or points[0] != points[-1]):
        raise AnswerError("geo")
    return ";".join(points)
