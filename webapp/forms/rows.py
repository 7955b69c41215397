"""What a template needs to draw a page of questions: rows with fields, errors, visibility and the
compiled relevance rules the page's script evaluates (the same rules the server evaluates)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from flask import has_request_context, request
from flask_wtf.form import SUBMIT_METHODS
from markupsafe import Markup, escape
from wtforms.form import Form

from instruments import engine
from instruments.errors import ExpressionError
from instruments.expressions import references, to_json
from instruments.model import Choice, Group, Instrument, Question
from instruments.rules import is_lite, needs_more
from webapp.forms import build_form_class, field_name, form_values, messages, widget_of
from webapp.forms.builder import note_picture
from webapp.forms.fields_geo import note_geolocation
from webapp.forms.pages import Entry, answerable, entry_query, find_page, items, per_instrument, scope_of


def _rules(group: Group, inherited: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """Relevance expressions of each question of a page: its own and those of plain groups around it."""
    out: dict[str, tuple[str, ...]] = {}
    for child in group.children:
        own = (*inherited, child.relevant) if child.relevant else inherited
        if isinstance(child, Group) and not child.repeat:
            out.update(_rules(child, own))
        else:
            out[child.name] = own
    return out


@dataclass(frozen=True)
class Shown:
    """What a question's row shows that no answer changes, in one language: how it is drawn, its label and
    hint, its input's attributes and the choices offered (each with ``value`` and ``label``)."""

    widget: str
    label: str
    hint: str
    input_type: str
    render_kw: dict[str, Any]
    choices: tuple[Any, ...]


@dataclass(frozen=True)
class FieldView:
    """What ``_fields.html`` reads of a question's field: the value it shows (as the WTForms field built from
    the same values holds it), the choices and the input's attributes."""

    data: Any
    choices: tuple[Any, ...]
    render_kw: dict[str, Any]


def _shown_now(instrument: Instrument, question: Question, language: str,
               offered: tuple[Choice, ...] | None) -> Shown:
    form_class = build_form_class(instrument=instrument, questions=[question], language=language,
                                  choices={question.name: offered} if offered is not None else None, base=Form)
    field = getattr(form_class(), field_name(question))
    return Shown(widget=widget_of(field), label=field.label.text, hint=field.description,
                 input_type=getattr(field.widget, "input_type", "text"), render_kw=field.render_kw or {},
                 choices=tuple(getattr(field, "choices", None) or ()))


#: Per instrument (``pages.per_instrument``): (question id, language) -> what the question shows.
_SHOWN: dict[int, Any] = {}


def shown(instrument: Instrument, question: Question, language: str) -> Shown:
    """What ``question`` shows in ``language`` with all its choices, cached per instrument and language (a
    question with a ``choice_filter`` offers what the answers keep: see :func:`page_rows`)."""
    cache = per_instrument(_SHOWN, instrument)
    found = cache.get((id(question), language))
    if found is None:
        found = cache[(id(question), language)] = _shown_now(instrument, question, language, None)
    return found


#: Per instrument (``pages.per_instrument``): a question row's markup (``_fields.html``'s ``question`` macro),
#: keyed by everything it depends on (:func:`_memo`); a text field's markup with :data:`_TYPED` where its value
#: goes, so that what a participant typed is never kept here. Bounded per instrument.
_MARKUP: dict[int, Any] = {}
_MARKUP_PER_INSTRUMENT = 8192
_TYPED = "\x00typed\x00"
_CHOSEN = object()  #: a row whose markup depends on a choice (the key holds it), not on a typed value


@dataclass(frozen=True)
class Memo:
    """Where a row's markup is kept (:func:`row_markup`): the instrument's cache, the key, and the typed value
    written into the kept markup (or :data:`_CHOSEN`)."""

    cache: dict[Any, Any]
    key: tuple[Any, ...]
    typed: Any


def _memo(instrument: Instrument, node: Question, language: str, row: dict[str, Any]) -> Memo | None:
    """How the markup of a question or note row is kept, or None for a row drawn every time (a message, a
    file, fields holding what was posted, choices filtered by the answers: see :func:`page_rows`)."""
    if row["error"] or row.get("widget") == "file":
        return None
    depends: tuple[Any, ...]
    if row["kind"] == "note":
        depends, typed = ("note",), _CHOSEN
    elif row["widget"] in ("radio", "checkboxes", "checkbox", "select"):
        data = row["field"].data
        chosen = tuple(data) if isinstance(data, list) else data
        try:
            hash(chosen)
        except TypeError:
            return None
        depends, typed = ("v", chosen), _CHOSEN
    else:
        depends, typed = ("t",), row["field"].data
    return Memo(per_instrument(_MARKUP, instrument), (id(node), language, row["hidden"], *depends), typed)


def row_markup(row: dict[str, Any], draw: Any) -> Markup:
    """A row's markup, ``draw(row)`` (the ``question`` macro), drawn once per key (:func:`_memo`) and
    kept; a text field's value is escaped into the kept markup where the macro writes ``field.data or ''``.
    A row without a memo, or whose drawn markup does not hold the value's place exactly once (noted once), is
    drawn every time. Rendering a page's questions was most of its rendering (bench/README.md, "Web requests")."""
    memo: Memo | None = row.get("memo")
    if memo is None:
        return Markup(draw(row))  # noqa: S704 - the macro's own (escaped) markup
    found: tuple[Markup, ...] | None = memo.cache.get(memo.key)
    if found is None:
        if memo.typed is _CHOSEN:
            found = (Markup(draw(row)),)  # noqa: S704 - the macro's own (escaped) markup
        else:
            drawn = str(draw({**row, "field": FieldView(_TYPED, row["field"].choices, row["field"].render_kw)}))
            before, place, after = drawn.partition(_TYPED)
            # Kept as () where the value's place is not there exactly once: drawn every time, not tried again.
            found = () if not place or _TYPED in after else (
                Markup(before), Markup(after))  # noqa: S704 - the macro's own (escaped) markup
        if len(memo.cache) < _MARKUP_PER_INSTRUMENT:
            memo.cache[memo.key] = found
    if not found:
        return Markup(draw(row))  # noqa: S704 - the macro's own (escaped) markup
    if len(found) == 1:
        return found[0]
    return found[0] + escape(memo.typed or "") + found[1]


def _data(question: Question, values: dict[str, Any]) -> Any:
    """The value a question's WTForms field holds when built with ``data=form_values(...)`` (its
    ``process_data``): the prefill, else nothing (``False`` for a checkbox)."""
    data = form_values([question], values)
    return data.get(field_name(question), False if question.type == "acknowledge" else None)


@lru_cache(maxsize=4096)
def _compiled(exprs: tuple[str, ...]) -> tuple[Any, frozenset[str]] | None:
    """A row's relevance expressions as one rule for the page's script, and the answers it refers to."""
    try:
        tree = to_json(" and ".join(f"({e})" for e in exprs))
        return tree, frozenset(r.name for e in exprs for r in references(e))
    except ExpressionError:
        return None


def _posted() -> bool:
    """Whether this request carries submitted values (a page sent back with its messages): the fields then
    show what was posted, as a Flask-WTF form reads it."""
    return has_request_context() and request.method in SUBMIT_METHODS and bool(
        request.files or request.form or request.is_json)


def page_rows(
    *,
    instrument: Instrument,
    group: Group,
    answers: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, dict[str, Any]],
    entry: Entry,
    today: date,
    language: str,
    contact_values: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """The rows of a page (questions and repeat groups) and the JSON block for ``form.js``.

    ``values`` are what the fields show: stored answers, typed values kept as pending, contact
    details; ``answers`` are the draft's answers that decide relevance. What a question shows whatever the
    answers (label, hint, choices, attributes) is worked out once per instrument and language
    (:func:`shown`); a question with a ``choice_filter`` gets its choices from the answers each time."""
    nodes = items(group)
    page_questions = [n for n in nodes if isinstance(n, Question)]
    state = answers
    if contact_values:
        state = {**answers, **{k: v for k, v in contact_values.items() if v not in (None, "")}}
    fields = _posted_fields(instrument, page_questions, state, values, entry, today, language) if _posted() else None
    rules = _rules(group)
    relevant = engine.relevance(instrument, state, today=today)
    compiled: dict[str, list[Any]] = {}
    referenced: set[str] = set()
    rows: list[dict[str, Any]] = []
    # A page's first repeat is the one its entry links lead to without ``?r=`` (intake_routes._entry_at).
    page = find_page(instrument, group.name)  # None on an entry's page: its repeats keep ?r=
    for node in nodes:
        row: dict[str, Any] = {
            "name": node.name,
            "hidden": not relevant(node, entry),
        }
        exprs = rules.get(node.name, ())
        rule = _compiled(exprs) if exprs else None
        if rule is not None:
            compiled[node.name] = rule[0]
            referenced.update(rule[1])
        error = errors.get(node.name)
        row["error"] = messages.message(error, instrument=instrument, language=language) if error else None
        if isinstance(node, Group):
            row.update(kind="repeat", group=node, label=instrument.text(node.label, language) or node.name,
                       query=f"?r={r}" if (r := entry_query(page, node.name)) else "")
        elif not answerable(node):
            row.update(kind="note", text=instrument.text(node.label, language))
            if node.type != "note":
                continue
            row["memo"] = _memo(instrument, node, language, row)
        else:
            if fields is not None:
                field: Any = fields[node.name]
                look = Shown(widget_of(field), field.label.text, field.description,
                             getattr(field.widget, "input_type", "text"), field.render_kw, ())
            else:
                look = shown(instrument, node, language) if not node.choice_filter else _shown_now(
                    instrument, node, language,
                    engine.filtered_choices(instrument, node, state, entry=entry, today=today))
                note_geolocation(look.render_kw)  # what building the field did: the page may ask for the location
                note_picture(look.render_kw)  # ... and make pictures smaller before they are sent
                field = FieldView(data=_data(node, values), choices=look.choices, render_kw=look.render_kw)
            row.update(kind="question", field=field, widget=look.widget, label=look.label, hint=look.hint,
                       required=node.required is True, input_type=look.input_type)
            if fields is None and not node.choice_filter:  # what it shows is the instrument's (rows.shown)
                row["memo"] = _memo(instrument, node, language, row)
        rows.append(row)
    scope = scope_of(answers, entry)
    known = {
        name: _plain(answers.get(name, scope.get(name)))
        for name in referenced
        if name in answers or name in scope
    }
    data = {"today": today.isoformat(), "rules": compiled, "answers": known}
    return rows, json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _posted_fields(instrument: Instrument, questions: list[Question], state: dict[str, Any],
                   values: dict[str, Any], entry: Entry, today: date, language: str) -> dict[str, Any]:
    """The page's WTForms fields holding what was posted (Flask-WTF reads the request), by question name."""
    choices = {
        q.name: engine.filtered_choices(instrument, q, state, entry=entry, today=today)
        for q in questions
        if q.choices
    }
    form_class = build_form_class(instrument=instrument, questions=questions, language=language, choices=choices)
    form = form_class(data=form_values(questions, values))
    return {q.name: getattr(form, field_name(q)) for q in questions if hasattr(form, field_name(q))}


def rule_scripts(rules: str) -> tuple[str, ...]:
    """For the JSON block of :func:`page_rows`: the evaluator scripts the page needs, by name: none (no
    relevance rules), ``rules-lite.js`` (every rule :func:`instruments.rules.is_lite`), else ``rules.js`` and,
    where a rule calls one of its functions, ``rules-more.js``."""
    data = json.loads(rules)
    compiled = data.get("rules") or {}
    if not compiled:
        return ()
    if all(is_lite(tree) for tree in compiled.values()):
        return ("rules-lite.js",)
    if any(needs_more(tree) for tree in compiled.values()):
        return ("rules.js", "rules-more.js")
    return ("rules.js",)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return value if isinstance(value, (str, int, float, bool)) else ""


DATE_TYPES = ("partial_date", "date", "month", "year")


def display(instrument: Instrument, question: Question, value: Any, language: str, typed: Any = None) -> str:
    """An answer as the participant reads it on the review page; a date they typed in another form (an era
    date, ``令和6年4月``) is shown as typed beside the stored value: ``令和6年4月 (2024-04)``."""
    if question.type in DATE_TYPES and isinstance(typed, str) and typed.strip() and typed != str(value):
        return f"{typed.strip()} ({value})"
    if question.choices and value is not None:
        labels = {
            c.name: instrument.text(c.label, language)
            for c in instrument.choice_lists.get(question.choices, ())
        }
        if isinstance(value, list):
            return ", ".join(labels.get(v, str(v)) for v in value)
        return labels.get(str(value), str(value))
    return "" if value is None else str(value)


def entry_summary(instrument: Instrument, questions: list[Question], entry: dict[str, Any], language: str,
                  typed: dict[str, Any] | None = None) -> str:
    """One line for a repeat entry (a job): its first typed name, its dates ("2019-04 – 2020-01", or
    "2019-04 –" while open; an era date as typed beside it), its first choice; a number only with its
    question ("Employees: 25"). ``typed``: what was typed of the entry's answers, by question (``meta.raw``)."""
    typed = typed or {}
    given = [q for q in questions if entry.get(q.name) not in (None, "", [])]
    name = next((display(instrument, q, entry[q.name], language) for q in given if q.type == "text"), "")
    dates = [display(instrument, q, entry[q.name], language, typed.get(q.name)) for q in given
             if q.type in DATE_TYPES]
    span = " – ".join(dates) + (" –" if len(dates) == 1 else "")
    choice = next((display(instrument, q, entry[q.name], language) for q in given if q.choices), "")
    parts = [p for p in (name, span, choice) if p]
    if not parts:
        parts = [
            f"{instrument.text(q.label, language) or q.name}: {display(instrument, q, entry[q.name], language)}"
            for q in given[:2]
        ]
    return " · ".join(parts)
