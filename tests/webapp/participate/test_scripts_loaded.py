"""A page loads the rule evaluator (rules.js) only when it has relevance rules to evaluate; form.js wherever there
is a question to answer, not on a page of notes and repeat lists alone (nothing typed there to keep)."""

from __future__ import annotations

import json
import re

from tests.webapp.participate.journey import STUDY, Journey

_RULES = re.compile(r'<script type="application/json" id="rules">(.*?)</script>', re.S)


def _scripts(body: str) -> tuple[dict[str, object], list[str]]:
    found = _RULES.search(body)
    assert found, "no rules block on the page"
    return json.loads(found.group(1).replace("<\\/", "</")), re.findall(r'<script src="([^"]+)"', body)


def test_rules_js_only_on_pages_with_relevance_rules(journey: Journey) -> None:
    screening = journey.get(f"/s/{STUDY}/screening").get_data(as_text=True)
    data, scripts = _scripts(screening)
    assert data["rules"], "screening shows 'sme' only to managers"
    assert any("/rules-lite.js?v=" in s for s in scripts), "its one rule is a simple comparison"
    assert not any("/rules.js" in s or "rules-more.js" in s for s in scripts), scripts
    assert any("/form.js?v=" in s for s in scripts)

    journey.screen("manager")
    journey.consent()
    firm = journey.get(f"/s/{STUDY}/form/firm")
    assert firm.status_code == 200
    data, scripts = _scripts(firm.get_data(as_text=True))
    assert data["rules"] == {}
    assert not any("rules.js" in s for s in scripts), scripts
    assert any("/form.js?v=" in s for s in scripts)


def test_a_page_of_repeat_lists_alone_loads_no_form_js(journey: Journey) -> None:
    journey.screen("ti")
    journey.consent()
    jobs = journey.get(f"/s/{STUDY}/form/japan_jobs").get_data(as_text=True)
    assert 'name="action" value="add:jobs"' in jobs  # the list and its buttons work without a script
    assert "<script" not in jobs, "a note and a list of entries: nothing typed to keep"
    assert 'id="kept"' not in jobs
    assert "data-leave" in jobs  # leaving still clears the phone (Clear-Site-Data on the leave response)
    background = journey.get(f"/s/{STUDY}/form/background").get_data(as_text=True)
    assert "/form.js?v=" in background
    assert 'id="kept"' in background


def test_language_links_are_relative_and_lead_to_the_same_page_in_that_language(journey: Journey) -> None:
    from urllib.parse import urljoin

    journey.screen("manager")
    journey.consent()
    url = f"/s/{STUDY}/form/firm"
    page = journey.get(url + "?r=ignored").get_data(as_text=True)
    hrefs = dict(re.findall(r'<a href="([^"]+)" lang="([^"]+)"', page))
    links = {tag: href for href, tag in hrefs.items()}
    assert links["ja"] == "?lang=ja", links
    target = urljoin("http://localhost" + url + "?r=ignored", links["ja"])
    assert target == f"http://localhost{url}?lang=ja"
    assert '<html lang="ja"' in journey.get(target.removeprefix("http://localhost")).get_data(as_text=True)


def test_the_smallest_evaluator_the_rules_need() -> None:
    from webapp.forms.rows import rule_scripts

    def block(rules: dict[str, object], answers: dict[str, object] | None = None) -> str:
        return json.dumps({"today": "2026-12-02", "rules": rules, "answers": answers or {}}).replace("/", "\\/")

    simple = ["and", ["=", ["r", "b"], ["s", "x/y"]], ["f", "selected", ["r", "c"], ["s", "z"]]]
    assert rule_scripts(block({})) == ()
    assert rule_scripts(block({"a": simple}, {"b": "x", "c": ["z"], "n": 3})) == ("rules-lite.js",)
    assert rule_scripts(block({"a": simple}, {"b": True})) == ("rules-lite.js",)
    assert rule_scripts(block({"a": ["f", "string-length", ["r", "b"]]})) == ("rules.js", "rules-more.js")
    later = ["f", "not", ["<", ["f", "format-date", ["r", "d"], ["s", "%Y"]], ["s", "2020"]]]
    assert rule_scripts(block({"a": simple, "c": later})) == ("rules.js", "rules-more.js")
    assert rule_scripts(block({"a": ["=", ["f", "today"], ["s", "2026-12-02"]]})) == ("rules.js",)
