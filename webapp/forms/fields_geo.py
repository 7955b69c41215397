"""Field builders for XLSForm's geographic questions (``geopoint``, ``geotrace``, ``geoshape``).

The participant types the coordinates (``35.6812 139.7671``; points of a trace or shape joined by
``;``); this works with JavaScript off. With JavaScript, ``participate/geo.js`` adds a "Use my location"
button: the browser's geolocation, after the participant presses it and the browser's own permission
prompt. The answer is checked by :func:`instruments.geo.parse_geo`.
Registered in :data:`webapp.forms.builder.FIELD_BUILDERS` on import (see ``webapp/forms/__init__.py``).
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from instruments.model import Question
from webapp.forms.builder import FIELD_BUILDERS, FieldContext, _common


def note_geolocation(render_kw: dict[str, Any]) -> None:
    """A page showing a field with these attributes may use the browser's geolocation (a geographic
    question's field): ``Permissions-Policy: geolocation=(self)`` for this response only (webapp/security.py),
    ``geolocation=()`` everywhere else, and ``geo.js`` on the page. Called when a field is built and when a
    page shows a field built earlier (webapp/forms/rows.py keeps what a question shows)."""
    if "data-geo" in render_kw and has_request_context():
        g.wants_geolocation = True


def _geo_kw(kind: str) -> dict[str, Any]:
    """What geo.js needs, in the participant's language (the script has no catalog of its own); the page
    may then use the browser's geolocation (:func:`note_geolocation`)."""
    note_geolocation({"data-geo": kind})
    return {"data-geo": kind, "data-geo-label": _l("Use my location"),
            "data-geo-wait": _l("Finding your location…"),
            "data-geo-error": _l("Your location could not be found. Please type it instead.")}


def _geopoint(question: Question, ctx: FieldContext) -> Any:
    return StringField(**_common(question, ctx, maxlength=120, autocomplete="off", inputmode="decimal",
                                 placeholder="35.6812 139.7671", spellcheck="false", **_geo_kw("point")))


def _geotrace(question: Question, ctx: FieldContext) -> Any:
    return TextAreaField(**_common(question, ctx, maxlength=2000, rows=3, spellcheck="false",
                                   placeholder="35.68 139.76; 35.69 139.77", **_geo_kw("points")))


FIELD_BUILDERS.update({"geopoint": _geopoint, "geotrace": _geotrace, "geoshape": _geotrace})
