"""The shared staff-page macros (webapp/templates/macros/tables.html), rendered by the app's own Jinja environment."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, g

_IMPORT = '{% from "macros/tables.html" import data_table, filter_form, filter_select, item_list, pager %}'

Render = Callable[..., str]


@pytest.fixture
def render(app: Flask) -> Render:
    """Render a template string (autoescaped, like the .html files) in a request of the given language."""

    def _render(source: str, language: str = "en", **context: Any) -> str:
        with app.test_request_context("/"):
            g.language = language
            template = app.jinja_env.from_string(_IMPORT + "{% autoescape true %}" + source + "{% endautoescape %}")
            return squeeze(template.render(**context))

    return _render


def squeeze(html: str) -> str:
    """The markup without the white space around its tags."""
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


@dataclass
class Item:
    id: int
    label: str


# data_table


def test_table_has_a_header_per_column_and_a_row_per_item(render: Render) -> None:
    html = render("{% call(row) data_table(['#', _('Name')], rows) %}<tr><td>{{ row[0] }}</td><td>{{ row[1] }}</td>"
                  "</tr>{% endcall %}", rows=[(1, "a"), (2, "b <i>")])
    assert html == ('<div class="table-scroll"><table>'
                    '<thead><tr><th scope="col">#</th><th scope="col">Name</th></tr></thead>'
                    '<tbody><tr><td>1</td><td>a</td></tr><tr><td>2</td><td>b &lt;i&gt;</td></tr></tbody>'
                    '</table></div>')


def test_table_headers_are_escaped_and_translated(render: Render) -> None:
    html = render("{% call(row) data_table([_('Name'), label], rows) %}<tr></tr>{% endcall %}", language="ja",
                  rows=[1], label="<b>")
    assert '<th scope="col">Name</th>' not in html
    assert '<th scope="col">&lt;b&gt;</th>' in html


def test_empty_table_shows_its_message_or_nothing(render: Render) -> None:
    source = "{% call(row) data_table(['A'], rows, empty=empty, empty_class=cls) %}<tr></tr>{% endcall %}"
    assert render(source, rows=[], empty="No rows yet.", cls=None) == "<p>No rows yet.</p>"
    assert render(source, rows=[], empty="No rows yet.", cls="muted") == '<p class="muted">No rows yet.</p>'
    assert render(source, rows=[], empty=None, cls="muted") == ""
    assert render(source, rows=None, empty=None, cls=None) == ""


def test_table_rows_may_be_unpacked_in_the_call_block(render: Render) -> None:
    html = render("{% call(row) data_table(['A', 'B'], rows) %}{% set a, b = row %}<tr id='r{{ a }}'><td>{{ b }}"
                  "</td></tr>{% endcall %}", rows=[(7, "x")])
    assert "<tbody><tr id='r7'><td>x</td></tr></tbody>" in html


# pager


def test_a_single_page_has_no_pager(render: Render) -> None:
    assert render("{{ pager(1, 1, '/p0', '/p2') }}") == ""


@pytest.mark.parametrize(("page", "previous", "following"), [(1, False, True), (2, True, True), (3, True, False)])
def test_pager_links_only_where_there_is_a_page(render: Render, page: int, previous: bool, following: bool) -> None:
    html = render("{{ pager(page, 3, '/list?a=1&page=' ~ (page - 1), '/list?a=1&page=' ~ (page + 1)) }}", page=page)
    assert html.startswith('<nav class="pager" aria-label="Pages">')
    assert f"<span>Page {page} of 3</span>" in html
    assert (f'<a class="button secondary" href="/list?a=1&amp;page={page - 1}">Previous page</a>' in html) is previous
    assert (f'<a class="button secondary" href="/list?a=1&amp;page={page + 1}">Next page</a>' in html) is following
    assert html.count("<a ") == previous + following


def test_pager_in_japanese(render: Render) -> None:
    html = render("{{ pager(2, 3, '/a', '/b') }}", language="ja")
    assert html.startswith('<nav class="pager"')
    assert "Previous page" not in html
    assert "Next page" not in html
    assert 'aria-label="Pages"' not in html


# filter_form and filter_select


def test_filter_form_wraps_its_selects_and_a_show_button(render: Render) -> None:
    html = render("{% call filter_form('/s?x=1&y=2') %}<div>inside</div>{% endcall %}")
    assert html == ('<form method="get" class="filters card" action="/s?x=1&amp;y=2"><div>inside</div>'
                    '<div class="filter-actions"><button type="submit">Show</button></div></form>')


def test_filter_select_of_plain_values(render: Render) -> None:
    html = render("{{ filter_select('action', 'Action', ['a', 'b<'], 'b<') }}")
    assert html == ('<div><label for="f-action">Action</label><select id="f-action" name="action">'
                    '<option value="">All</option><option value="a">a</option>'
                    '<option value="b&lt;" selected>b&lt;</option></select></div>')


def test_filter_select_with_nothing_selected(render: Render) -> None:
    html = render("{{ filter_select('action', 'Action', ['a', 'b'], '') }}")
    assert "<option" in html
    assert " selected" not in html


def test_filter_select_text_from_a_function(render: Render) -> None:
    html = render("{{ filter_select('type', 'Type', ['ti', 'sie'], 'sie', text=name) }}", name=str.upper)
    assert '<option value="ti">TI</option><option value="sie" selected>SIE</option>' in html


def test_filter_select_text_from_a_macro(render: Render) -> None:
    html = render("{% macro spelled(v) %}<{{ v }}>{% endmacro %}"
                  "{{ filter_select('l', 'L', ['en'], None, text=spelled) }}")
    assert '<option value="en"><en></option>' in html  # a macro's output is markup already


def test_filter_select_value_and_text_from_attributes(render: Render) -> None:
    html = render("{{ filter_select('channel', 'Channel', items, 2, text='label', value='id') }}",
                  items=[Item(1, "Agency <A>"), Item(2, "Facebook")])
    assert ('<option value="">All</option><option value="1">Agency &lt;A&gt;</option>'
            '<option value="2" selected>Facebook</option>') in html


def test_filter_select_all_is_translated(render: Render) -> None:
    html = render("{{ filter_select('a', 'A', [], None) }}", language="ja")
    assert '<option value="">' in html
    assert '<option value="">All</option>' not in html


# item_list


def test_item_list(render: Render) -> None:
    source = "{% call(item) item_list(items, empty=empty, class=cls) %}<b>{{ item }}</b>{% endcall %}"
    assert render(source, items=["x", "<y>"], empty="None.", cls="plain") == \
        '<ul class="plain"><li><b>x</b></li><li><b>&lt;y&gt;</b></li></ul>'
    assert render(source, items=["x"], empty=None, cls="plain job-summary") == \
        '<ul class="plain job-summary"><li><b>x</b></li></ul>'
    assert render(source, items=[], empty="None.", cls="plain") == "<p>None.</p>"
    assert render(source, items={}.items(), empty=None, cls="plain") == ""


def test_item_list_default_class(render: Render) -> None:
    assert render("{% call(item) item_list([1]) %}{{ item }}{% endcall %}") == '<ul class="plain"><li>1</li></ul>'
