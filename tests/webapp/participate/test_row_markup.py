"""A question row's markup is drawn once per instrument, language and what it depends on, and kept
(``rows.row_markup``): every row of every page, in several languages, with answers chosen, typed (markup
characters too) and left out, hidden or shown, is exactly what the ``question`` macro draws for it — on the
first call and from what was kept — and what a participant typed is never kept."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g, get_template_attribute

from instruments.model import Instrument, Question
from tests.webapp.participate.test_rows_shown import TODAY, _instruments, _values
from webapp.forms import pages, rows
from webapp.forms.rows import page_rows, row_markup

TYPED = 'a <b>"bold"</b> & \'quoted\' %s {{ x }}'


def _answer_sets(instrument: Instrument, questions: list[Question]) -> list[dict[str, Any]]:
    typed = {q.name: TYPED for q in questions if not q.choices and q.type not in ("acknowledge", "integer")}
    return [{}, _values(instrument, questions), typed]


@pytest.mark.parametrize(("instrument", "languages"), _instruments(), ids=lambda v: getattr(v, "id", ""))
def test_kept_markup_is_what_the_macro_draws(app: Flask, instrument: Instrument, languages: tuple[str, ...]) -> None:
    checked = 0
    for language in languages:
        for group in [p for page in instrument.groups for p in [page, *pages.repeats(page)]]:
            questions = [n for n in pages.items(group) if isinstance(n, Question)]
            for values in _answer_sets(instrument, questions):
                for _ in range(2):  # the first call draws and keeps, the second uses what was kept
                    with app.test_request_context(headers={"Accept-Language": language}):
                        g.language = language
                        question = get_template_attribute("participate/_fields.html", "question")
                        drawn, _rules = page_rows(instrument=instrument, group=group, answers=values, values=values,
                                                  errors={}, entry=None, today=TODAY, language=language)
                        for row in drawn:
                            if row["kind"] == "repeat":
                                continue
                            assert str(row_markup(row, question)) == str(question(row)), (group.name, row["name"])
                            checked += 1
    assert checked > 0


def test_typed_values_are_never_kept(app: Flask) -> None:
    instrument, _languages = _instruments()[0]
    secret = "Nguyen Van A <lives at 1-2-3 Minato>"
    seen = 0
    for group in instrument.groups:
        questions = [n for n in pages.items(group) if isinstance(n, Question)]
        values = {q.name: secret for q in questions if not q.choices and q.type not in ("acknowledge", "integer")}
        if not values:
            continue
        with app.test_request_context():
            g.language = "en"
            question = get_template_attribute("participate/_fields.html", "question")
            drawn, _rules = page_rows(instrument=instrument, group=group, answers=values, values=values, errors={},
                                      entry=None, today=TODAY, language="en")
            typed_rows = [r for r in drawn if r["kind"] == "question" and r["name"] in values]
            shown = "".join(str(row_markup(row, question)) for row in typed_rows)
            assert shown.count("Nguyen Van A &lt;lives at 1-2-3 Minato&gt;") == len(typed_rows)
            seen += len(typed_rows)
    assert seen > 0
    cache = rows.per_instrument(rows._MARKUP, instrument)
    assert "Nguyen" not in repr(cache)
    assert "Minato" not in repr(cache)
    text_rows = [kept for key, kept in cache.items() if key[-1] == "t"]
    assert text_rows
    assert all(len(kept) == 2 for kept in text_rows)  # kept: the markup before and after the value


def test_rows_with_a_message_are_drawn_every_time(app: Flask) -> None:
    instrument, _languages = _instruments()[0]
    group = next(g_ for g_ in instrument.groups
                 if any(isinstance(n, Question) and not n.choices for n in pages.items(g_)))
    question_ = next(n for n in pages.items(group) if isinstance(n, Question) and not n.choices)
    with app.test_request_context():
        g.language = "en"
        question = get_template_attribute("participate/_fields.html", "question")
        drawn, _rules = page_rows(instrument=instrument, group=group, answers={}, values={},
                                  errors={question_.name: {"code": "required"}}, entry=None, today=TODAY,
                                  language="en")
        row = next(r for r in drawn if r["name"] == question_.name)
        assert row.get("memo") is None
        assert 'role="alert"' in str(row_markup(row, question))
