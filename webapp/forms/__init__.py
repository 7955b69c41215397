"""Dynamic forms built from instruments: one WTForms class per page, fields from a type registry."""

from webapp.forms import fields_geo  # noqa: F401  (registers the geographic field builders)
from webapp.forms.builder import (
    FIELD_BUILDERS,
    FieldContext,
    build_form_class,
    field_name,
    form_values,
    raw_value,
    widget_of,
)

__all__ = [
    "FIELD_BUILDERS",
    "FieldContext",
    "build_form_class",
    "field_name",
    "form_values",
    "raw_value",
    "widget_of",
]
