"""XPath predicates ``[ ]``, steps ``/x`` and unions ``|`` on repeats, against XPath 1.0's definitions
(sections 2.4 and 3.3: a predicate filters a node-set with each node as the context node and its 1-based
proximity position; a number predicate is true when it equals the position; ``|`` is the union of node-sets,
each node once), as ODK's XForms use them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruments import load_text
from instruments.checker import check_instrument
from instruments.errors import ExpressionError
from instruments.expressions import Context, Filter, Step, evaluate, parse, to_json, to_string
from instruments.expressions.compiled import from_json

entries = st.lists(st.fixed_dictionaries({"n": st.integers(-5, 500), "t": st.sampled_from(["a", "b", "c"])}),
                   max_size=6)


def ctx(jobs: list[dict[str, Any]]) -> Context:
    return Context(answers={"jobs": jobs, "x": "7"}, today=date(2026, 1, 1))


@settings(max_examples=150)
@given(entries, st.integers(-1, 8))
def test_a_number_predicate_is_the_entry_at_that_position(jobs: list[dict[str, Any]], k: int) -> None:
    want = to_string(float(jobs[k - 1]["n"])) if 1 <= k <= len(jobs) else ""
    assert to_string(evaluate(f"${{jobs}}[{k}]/n", ctx(jobs))) == want
    assert to_string(evaluate(f"/data/jobs[position() = {k}]/n", ctx(jobs))) == want
    assert evaluate(f"count(${{jobs}}[{k}])", ctx(jobs)) == (1.0 if 1 <= k <= len(jobs) else 0.0)


@settings(max_examples=150)
@given(entries, st.integers(-5, 500), st.sampled_from(["a", "b", "c"]))
def test_a_predicate_keeps_the_entries_it_holds_for(jobs: list[dict[str, Any]], m: int, t: str) -> None:
    assert evaluate(f"count(${{jobs}}[n > {m}])", ctx(jobs)) == sum(j["n"] > m for j in jobs)
    kept = [j for j in jobs if j["n"] > m and j["t"] == t]
    assert evaluate(f"count(${{jobs}}[n > {m}][t = '{t}'])", ctx(jobs)) == len(kept)
    assert evaluate(f"sum(${{jobs}}[t = '{t}']/n)", ctx(jobs)) == sum(j["n"] for j in jobs if j["t"] == t)
    # positions inside a second predicate count within what the first one kept
    first = [j for j in jobs if j["t"] == t]
    second = to_string(evaluate(f"${{jobs}}[t = '{t}'][2]/n", ctx(jobs)))
    assert second == (to_string(float(first[1]["n"])) if len(first) > 1 else "")


@settings(max_examples=150)
@given(entries, st.integers(-5, 500), st.integers(-5, 500))
def test_a_union_holds_each_entry_once(jobs: list[dict[str, Any]], m: int, p: int) -> None:
    both = sum(j["n"] > m or j["n"] < p for j in jobs)
    assert evaluate(f"count(${{jobs}}[n > {m}] | ${{jobs}}[n < {p}])", ctx(jobs)) == both
    assert evaluate("count(${jobs} | ${jobs})", ctx(jobs)) == len(jobs)


def test_the_tree_and_its_compiled_form() -> None:
    tree = parse("/data/jobs[position()=1]/employer")
    assert isinstance(tree, Step)
    assert tree.name == "employer"
    assert isinstance(tree.base, Filter)
    assert to_json(tree) == ["/", ["[]", ["r", "jobs"], ["=", ["f", "position"], ["n", "1"]]], "employer"]
    assert to_json(from_json(to_json(tree))) == to_json(tree)
    assert to_json("${a} | ${b}") == ["|", ["r", "a"], ["r", "b"]]
    assert to_json("-${a}[1]") == ["neg", ["[]", ["r", "a"], ["n", "1"]]]  # [ ] binds tighter than minus
    for bad in ("${jobs}[1", "${jobs}[]", "${jobs}]", "| ${a}", "${a} |"):
        with pytest.raises(ExpressionError):
            parse(bad)


FORM = """id: p
version: '1'
default_language: en
title: {en: P}
survey:
  - group: work
    label: {en: Work}
    children:
      - repeat: jobs
        label: {en: Jobs}
        children:
          - {name: employer, type: text, label: {en: Employer}}
          - {name: pay, type: integer, label: {en: Pay}}
      - name: first
        type: note
        label: {en: First}
        relevant: "%s"
"""


def _errors(expression: str) -> list[str]:
    inst = load_text(FORM % expression, source="p")
    return [f.message for f in check_instrument(inst) if f.severity == "error"]


def test_the_checker_reads_predicates() -> None:
    assert _errors("${jobs}[position() = 1]/employer != ''") == []
    assert _errors("count(${jobs}[pay > 100]) > 0") == []
    assert _errors("/data/work/jobs[1]/pay > 3") == []
    assert any("unknown question 'salary' in a predicate" in e for e in _errors("count(${jobs}[salary > 1]) > 0"))
    assert any("unknown question 'wage' in a path" in e for e in _errors("${jobs}[1]/wage > 1"))
    assert any("position(..) outside a repeat" in e for e in _errors("position() = 1"))
