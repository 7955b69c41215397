"""``page_rows`` keeps what a question shows whatever the answers (label, hint, widget, choices, attributes)
per instrument and language: the rows it draws are those of the WTForms form built for the request, page
by page, in several languages, on the first call and from what was kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from wtforms import Form

import instruments
from instruments import engine
from instruments.model import Instrument, Question
from webapp.forms import build_form_class, field_name, form_values, pages, widget_of
from webapp.forms.rows import page_rows

TODAY = date(2026, 6, 1)
FORMS = Path(__file__).parents[2] / "instruments" / "forms"


def _instruments() -> list[tuple[Instrument, tuple[str, ...]]]:
    bundled = instruments.load_bundled()
    out = [(bundled[name], ("en", "ja", "my")) for name in ("ti_intake", "sie_intake", "screening", "consent")]
    for form in ("types.md", "logic.md", "roundtrip.md"):
        loaded = instruments.load(FORMS / form)
        out.append((loaded, loaded.languages))
    return out


def _values(instrument: Instrument, questions: list[Question]) -> dict[str, Any]:
    """An answer for two questions of three (the third left out: its field's empty value)."""
    values: dict[str, Any] = {}
    for i, q in enumerate(questions):
        if i % 3 == 2:
            continue
        names = [c.name for c in instrument.choice_lists.get(q.choices or "", ())]
        if q.type == "select_one" and names:
            values[q.name] = names[-1]
        elif q.type == "select_multiple" and names:
            values[q.name] = names[:2]
        elif q.type == "acknowledge":
            values[q.name] = "yes"
        elif q.type == "integer":
            values[q.name] = 7
        else:
            values[q.name] = f"typed {i}"
    return values


def _look(field: Any) -> tuple[Any, ...]:
    return (
        field.data,
        [(c.value, c.label) for c in field.choices] if getattr(field, "choices", None) else [],
        {k: str(v) for k, v in (field.render_kw or {}).items()},
    )


@pytest.mark.parametrize(("instrument", "languages"), _instruments(), ids=lambda v: getattr(v, "id", ""))
def test_rows_are_those_of_the_form_built_for_the_request(
    app: Flask, instrument: Instrument, languages: tuple[str, ...]
) -> None:
    for language in languages:
        for group in [p for page in instrument.groups for p in [page, *pages.repeats(page)]]:
            questions = [n for n in pages.items(group) if isinstance(n, Question)]
            for values in (_values(instrument, questions), {}):
                _check_page(app, instrument, group, questions, values, language)


def _check_page(app: Flask, instrument: Instrument, group: Any, questions: list[Question], values: dict[str, Any],
                language: str) -> None:
    choices = {q.name: engine.filtered_choices(instrument, q, values, today=TODAY) for q in questions if q.choices}
    form = build_form_class(instrument=instrument, questions=questions, language=language, choices=choices,
                            base=Form)(data=form_values(questions, values))
    for _ in range(2):  # the first call works out what a question shows, the second uses it
        with app.test_request_context(headers={"Accept-Language": language}):
            g.language = language
            rows, _rules = page_rows(instrument=instrument, group=group, answers=values, values=values, errors={},
                                     entry=None, today=TODAY, language=language)
            shown = {r["name"]: r for r in rows if r["kind"] == "question"}
            for q in questions:
                field = getattr(form, field_name(q), None)
                if field is None:
                    assert q.name not in shown
                    continue
                row = shown[q.name]
                assert (row["widget"], row["label"], row["hint"], row["input_type"]) == (
                    widget_of(field), field.label.text, field.description,
                    getattr(field.widget, "input_type", "text")), (q.name, language)
                assert _look(row["field"]) == _look(field), (q.name, language)
                if q.type.startswith("geo"):
                    assert g.get("wants_geolocation")


def test_a_filtered_question_offers_what_the_answers_keep(app: Flask) -> None:
    logic = instruments.load(FORMS / "logic.md")
    pref = next(q for q in logic.questions() if q.name == "pref")
    group = next(p for p in logic.groups if pref in pages.items(p))
    offered = []
    for answers in _region_answers(logic):
        with app.test_request_context():
            rows, _rules = page_rows(instrument=logic, group=group, answers=answers, values=answers, errors={},
                                     entry=None, today=TODAY, language="en")
        row = next(r for r in rows if r["name"] == "pref")
        kept = engine.filtered_choices(logic, pref, answers, today=TODAY)
        assert [c.value for c in row["field"].choices] == [c.name for c in kept]
        offered.append(tuple(c.value for c in row["field"].choices))
    assert len(set(offered)) > 1  # different answers, different choices


def _region_answers(logic: Instrument) -> list[dict[str, Any]]:
    """Answers to the questions the filter of ``pref`` refers to, one set per choice of the first of them."""
    from instruments.expressions import references

    pref = next(q for q in logic.questions() if q.name == "pref")
    names = [r.name for r in references(pref.choice_filter or "")]
    asked = next(q for q in logic.questions() if q.name in names)
    return [{asked.name: c.name} for c in logic.choice_lists.get(asked.choices or "", ())]
