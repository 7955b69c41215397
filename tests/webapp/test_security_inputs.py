"""Security review: odd input to the researchers' pages is a 404 or an ignored value, never a 500 (on SQLite and
PostgreSQL), and no template has inline scripts, styles or event handlers (the CSP forbids them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.webapp.research import factories as f
from webapp.api import services as api_tokens

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


@pytest.fixture
def owned(session: Session, make_study: Any, make_user: Any, sign_in: Any) -> Any:
    study = make_study()
    for i in range(3):
        f.participant(session, study, code=f"TI-000{i}", ptype="ti")
    sign_in(make_user(study=study, role="owner"))
    return study


#: Query strings of the participant list and the audit log, and what each must give.
ODD_QUERIES = [
    ("page=%C2%B2", 200),                # "²": str.isdigit() says yes, int() says no
    ("page=%C2%B9%C2%B2", 200),
    ("page=%D9%A3", 200),                # Arabic-Indic three
    ("page=0", 200), ("page=-1", 200), ("page=1e3", 200), ("page=+2", 200), ("page=%201", 200),
    ("page=99999999999999999999999999", 200), ("page=", 200), ("page=1&page=x", 200),
    ("type=%E2%80%AEti", 200), ("status=" + "x" * 5000, 200), ("language=zh-Hans%0A", 200),
    ("channel=-1", 200), ("channel=1.0", 200), ("channel=%C2%B2", 200), ("flag=any&flag=overlap", 200),
    ("action=%27%3B--", 200),
    ("type=%00", 200), ("page=%00", 200), ("channel=1%00", 200), ("action=%00", 200), ("%00=1", 200),
]


@pytest.mark.parametrize(("query", "status"), ODD_QUERIES)
def test_odd_list_queries(client: FlaskClient, owned: Any, query: str, status: int) -> None:
    for path in ("participants", "audit"):
        response = client.get(f"/studies/{owned.slug}/{path}?{query}")
        assert response.status_code == status, (path, query, response.get_data(as_text=True)[:300])


def test_an_odd_page_number_shows_the_first_page(client: FlaskClient, owned: Any) -> None:
    html = client.get(f"/studies/{owned.slug}/participants?page=%C2%B2").get_data(as_text=True)
    assert "TI-0000" in html


@pytest.mark.parametrize("path", [
    "/studies/a%00b/", "/studies/a%00b/participants", "/studies/{s}/participants/TI%000000",
    "/studies/{s}/participants/%00/contact", "/studies/a%00b/audit", "/studies/a%00b/exports",
    "/s/a%00b", "/s/{s}/p/%00", "/auth/invite/%00",
])
def test_nul_in_a_path_is_404(client: FlaskClient, owned: Any, path: str) -> None:
    assert client.get(path.format(s=owned.slug)).status_code == 404


def test_nul_in_an_api_path_is_404_json(client: FlaskClient, session: Session, owned: Any, make_user: Any) -> None:
    _row, token = api_tokens.create_token(session=session, study=owned, name="x", user=make_user())
    response = client.get("/api/v1/studies/a%00b/participants", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(study=st.one_of(st.just(""), st.text(min_size=1, max_size=20)), code=st.text(min_size=1, max_size=24),
       tail=st.sampled_from(["", "/contact"]))
def test_any_study_or_participant_in_the_path(client: FlaskClient, owned: Any, study: str, code: str,
                                              tail: str) -> None:
    slug = quote(study or owned.slug, safe="")
    response = client.get(f"/studies/{slug}/participants/{quote(code, safe='')}{tail}")
    assert response.status_code in (200, 308, 403, 404), (study, code, response.status_code)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(st.tuples(st.sampled_from(["type", "status", "language", "channel", "flag", "page", "action"]),
                               st.text(max_size=12) | st.sampled_from(["²", "٣", "1", "0", "any", "ti"])),
                     max_size=6))
def test_any_list_query(client: FlaskClient, owned: Any, args: list[tuple[str, str]]) -> None:
    for path in ("participants", "audit"):
        response = client.get(f"/studies/{owned.slug}/{path}", query_string=args)
        assert response.status_code == 200, (path, args)


def test_no_template_has_inline_scripts_styles_or_handlers() -> None:
    found = []
    for template in sorted(WEBAPP.rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", r"<style\b",
                        r"\sstyle=", r"<[^>]+\son[a-z]+\s*="):
            found += [f"{template.relative_to(WEBAPP)}: {m.group(0)[:60]}" for m in re.finditer(pattern, text)]
    assert not found, "\n".join(found)


def test_every_page_kind_sends_the_strict_csp(app: Flask, client: FlaskClient, owned: Any) -> None:
    for path in (f"/studies/{owned.slug}/", f"/studies/{owned.slug}/participants", "/auth/signin",
                 f"/studies/{owned.slug}/participants/TI-0000", f"/studies/{owned.slug}/audit", "/api/v1/openapi.json",
                 "/studies/a%00b/", "/nowhere"):
        csp = client.get(path).headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp, path
        assert "style-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
