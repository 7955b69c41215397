"""Field builders for XLSForm's geographic questions (``geopoint``, ``geotrace``, ``geoshape``).

The participant types the coordinates (``35.6812 139.7671``; points of a trace or shape joined by
``;``); this works with JavaScript off. The answer is checked by :func:`instruments.geo.parse_geo`.
Registered in :data:`webapp.forms.builder.FIELD_BUILDERS` on import (see ``webapp/forms/__init__.py``).
"""

from __future__ import annotations

from typing import Any

from wtforms import StringField, TextAreaField

from instruments.model import Question
from webapp.forms.builder import FIELD_BUILDERS, FieldContext, _common


def _geopoint(question: Question, ctx: FieldContext) -> Any:
    return StringField(**_common(question, ctx, maxlength=120, autocomplete="off", inputmode="decimal",
                                 placeholder="35.6812 139.7671", spellcheck="false"))


def _geotrace(question: Question, ctx: FieldContext) -> Any:
    return TextAreaField(**_common(question, ctx, maxlength=2000, rows=3, spellcheck="false",
                                   placeholder="35.68 139.76; 35.69 139.77"))


FIELD_BUILDERS.update({"geopoint": _geopoint, "geotrace": _geotrace, "geoshape": _geotrace})
