"""Build WTForms classes from instrument questions through a registry: question type -> field builder.

The registry (:data:`FIELD_BUILDERS`) is the one place that says how a question type becomes a form
field; the participant's pages and the interviewer's debrief both build their forms with
:func:`build_form_class`. Fields carry no WTForms validators: what is typed is read back raw with
:func:`raw_value` and converted and checked by ``instruments.engine`` (one rule set for the web, the
pipeline and the browser). Field attributes are ``q_<name>`` (no clash with Form's own attributes);
the HTML names are the question names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.form import Form
from wtforms.widgets import CheckboxInput, ListWidget

from instruments.convert import MAX_TEXT, NOT_ANSWERED
from instruments.model import UPLOAD_TYPES, Choice, Instrument, Question, max_pixels

#: A select_one with more choices than this is a drop-down list instead of radio buttons.
RADIO_LIMIT = 12


@dataclass(frozen=True)
class FieldContext:
    """What a field builder needs besides the question: the instrument, the language and the
    choices to offer (already narrowed by the question's ``choice_filter``)."""

    instrument: Instrument
    language: str
    choices: tuple[Choice, ...] = ()

    def text(self, value: Mapping[str, str]) -> str:
        return self.instrument.text(dict(value), self.language) if value else ""

    def options(self) -> list[SelectChoice]:
        return [SelectChoice(c.name, self.text(c.label) or c.name) for c in self.choices]


FieldBuilder = Callable[[Question, FieldContext], Any]


def _common(question: Question, ctx: FieldContext, **render_kw: Any) -> dict[str, Any]:
    return {
        "label": ctx.text(question.label) or question.name,
        "description": ctx.text(question.hint),
        "name": question.name,
        "render_kw": render_kw,
    }


def _text(question: Question, ctx: FieldContext) -> Any:
    if question.appearance and "multiline" in question.appearance:
        return TextAreaField(**_common(question, ctx, maxlength=MAX_TEXT, rows=4))
    return StringField(**_common(question, ctx, maxlength=MAX_TEXT, autocomplete="off"))


def _integer(question: Question, ctx: FieldContext) -> Any:
    return StringField(**_common(question, ctx, inputmode="numeric", autocomplete="off", maxlength=40))


def _decimal(question: Question, ctx: FieldContext) -> Any:
    return StringField(**_common(question, ctx, inputmode="decimal", autocomplete="off", maxlength=40))


def _date(question: Question, ctx: FieldContext) -> Any:
    # Typed, not <input type=date>: people write 2019, 2019-04, 令和6年4月; a picker would invent a day.
    return StringField(**_common(question, ctx, autocomplete="off", maxlength=40))


def _select_one(question: Question, ctx: FieldContext) -> Any:
    options = ctx.options()
    if len(options) > RADIO_LIMIT or (question.appearance and "minimal" in question.appearance):
        return SelectField(
            choices=[SelectChoice("", "—"), *options], validate_choice=False, **_common(question, ctx)
        )
    return RadioField(choices=options, validate_choice=False, **_common(question, ctx))


def _select_multiple(question: Question, ctx: FieldContext) -> Any:
    return SelectMultipleField(
        choices=ctx.options(),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        **_common(question, ctx),
    )


def _acknowledge(question: Question, ctx: FieldContext) -> Any:
    return BooleanField(false_values=("", "false", "no", "0", "off"), **_common(question, ctx))


def _phone(question: Question, ctx: FieldContext) -> Any:
    return TelField(**_common(question, ctx, autocomplete="tel", maxlength=40))


def _email(question: Question, ctx: FieldContext) -> Any:
    return EmailField(**_common(question, ctx, autocomplete="email", maxlength=254))


#: The file input's ``accept=`` by upload type: what the phone's picker offers first. The server checks the
#: content itself (webapp/services/uploads.py ``ALLOWED``).
ACCEPT = {
    "image": "image/*", "audio": "audio/*", "video": "video/*",
    "file": ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.rtf,.txt,.csv,image/*,audio/*,video/*",
}


def _upload(question: Question, ctx: FieldContext) -> Any:
    """A file input (the page becomes multipart); what is stored is decided by webapp/services/uploads.py.

    A picture question with ``max-pixels`` tells ``participate/picture.js`` the bound (``data-max-pixels``):
    with JavaScript the phone sends the picture already that small; the server bounds it in any case."""
    longest = max_pixels(question) if question.type == "image" else None
    render_kw = {"accept": ACCEPT.get(question.type, ""), **({"data-max-pixels": str(longest)} if longest else {})}
    note_picture(render_kw)
    return FileField(**_common(question, ctx, **render_kw))


def note_picture(render_kw: Mapping[str, Any]) -> None:
    """A page showing a field with these attributes loads ``participate/picture.js`` (a picture question with
    ``max-pixels``). Called when the field is built and when a page shows a field built earlier
    (webapp/forms/rows.py keeps what a question shows)."""
    if "data-max-pixels" in render_kw and has_request_context():
        g.wants_picture_script = True


#: Question type -> field builder. Types absent here (note, calculate, hidden) are not form fields.
FIELD_BUILDERS: dict[str, FieldBuilder] = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "partial_date": _date,
    "select_one": _select_one,
    "select_multiple": _select_multiple,
    "acknowledge": _acknowledge,
    "phone": _phone,
    "email": _email,
    "image": _upload,
    "audio": _upload,
    "video": _upload,
    "file": _upload,
}


def field_name(question: Question) -> str:
    """The form attribute of a question's field."""
    return f"q_{question.name}"


def build_form_class(
    *,
    instrument: Instrument,
    questions: Iterable[Question],
    language: str,
    choices: Mapping[str, tuple[Choice, ...]] | None = None,
    base: type[Form] = FlaskForm,
) -> type[Form]:
    """A form class with one field per answerable question, labels and hints in ``language``.

    ``choices`` maps question names to the choices to offer (default: the question's whole list)."""
    attrs: dict[str, Any] = {}
    for question in questions:
        builder = FIELD_BUILDERS.get(question.type)
        if builder is None or question.type in NOT_ANSWERED:
            continue
        offered = (choices or {}).get(question.name)
        if offered is None:
            offered = instrument.choice_lists.get(question.choices or "", ())
        attrs[field_name(question)] = builder(question, FieldContext(instrument, language, tuple(offered)))
    return type("InstrumentForm", (base,), attrs)


def raw_value(form: Form, question: Question) -> str | list[str]:
    """What was typed or chosen for ``question`` in a submitted form (a list for select_multiple)."""
    field: Field | None = getattr(form, field_name(question), None)
    return _raw([str(v) for v in (field.raw_data or [])] if field is not None else [], question)


def posted_value(formdata: Any, question: Question) -> str | list[str]:
    """:func:`raw_value` read straight from submitted form data (a ``MultiDict``), without building a form:
    what the question's field would hold (nothing for a question that has no field)."""
    has_field = question.type in FIELD_BUILDERS and question.type not in NOT_ANSWERED
    return _raw([str(v) for v in formdata.getlist(question.name)] if has_field and formdata else [], question)


def _raw(raw: list[str], question: Question) -> str | list[str]:
    if question.type == "select_multiple":
        return raw[:500]
    if question.type in UPLOAD_TYPES:
        return ""  # set from the server's own records by webapp.services.uploads.take_page
    if question.type == "acknowledge":
        return "yes" if raw and raw[0].strip().lower() not in ("", "false", "no", "0", "off") else ""
    return raw[0] if raw else ""


def form_values(questions: Iterable[Question], values: Mapping[str, Any]) -> dict[str, Any]:
    """Prefill data for a form from stored answers or typed values keyed by question name."""
    data: dict[str, Any] = {}
    for question in questions:
        if question.name not in values:
            continue
        value = values[question.name]
        if question.type == "select_multiple":
            data[field_name(question)] = (
                [str(v) for v in value] if isinstance(value, list) else str(value).split()
            )
        elif question.type == "acknowledge":
            data[field_name(question)] = bool(value)
        else:
            data[field_name(question)] = "" if value is None else str(value)
    return data


def widget_of(field: Field) -> str:
    """How a template draws the field: radio, select, checkboxes, checkbox, textarea or input."""
    if isinstance(field, RadioField):
        return "radio"
    if isinstance(field, SelectMultipleField):
        return "checkboxes"
    if isinstance(field, SelectField):
        return "select"
    if isinstance(field, BooleanField):
        return "checkbox"
    if isinstance(field, FileField):
        return "file"
    if isinstance(field, TextAreaField):
        return "textarea"
    return "input"
