"""rules.js (the browser evaluator) agrees with the Python evaluator on the compiled trees."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import instruments
from instruments.errors import ExpressionError
from instruments.expressions import (
    FUNCTIONS,
    Context,
    Ref,
    evaluate,
    parse,
    references,
    resolve_reference,
    to_bool,
    to_json,
    to_string,
)

RULES_JS = Path(instruments.__file__).parent / "js" / "rules.js"
RULES_MORE_JS = RULES_JS.with_name("rules-more.js")
RULES_LITE_JS = RULES_JS.with_name("rules-lite.js")
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node (Node.js) is not installed: rules.js cannot run")

HARNESS = """
process.argv.slice(1).forEach(f => require(f));
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = cases.map(c => {
  try {
    const get = n => c.refs[n], v = KeirekiRules.evaluate(c.tree, get, c.ctx);
    return {type: typeof v === "object" ? "list" : typeof v, text: KeirekiRules.text(c.tree, get, c.ctx),
            test: KeirekiRules.test(c.tree, get, c.ctx)};
  } catch (e) { return {type: "error"}; }
});
process.stdout.write(JSON.stringify(out));
"""

TODAY = date(2026, 3, 15)
ANSWERS: dict[str, Any] = {
    "age": 34, "salary": "180000.50", "name": "Nguyễn Văn An", "skills": ["welding", "forklift"],
    "arrival": "2019-04", "consent": "yes", "zero": 0, "neg": "-3", "spaces": " 12 ", "ja": "東京都",
    "flag": True, "jobs": [{"employer": "A", "start": "2019-04"}, {"employer": "B", "start": "2021-06"}],
}
TABLE = [
    "1 + 2 * 3", "10 div 4", "7 mod 3", "-7 mod 3", "7 mod -3", "1 div 0", "-1 div 0", "0 div 0", "5 mod 0",
    "0.1 + 0.2", "1 div 3", "100000000000000000000 * 10", "0.000001 div 10", "123456789 * 1000000000000",
    "${age} + 1", "${salary} * 2", "${spaces} + 1", "${neg} * 2", "${age} = '34'", "'034' = 34",
    "${missing} = ''", "${missing} < 5", "${arrival} < '2019-05-01'", "${arrival} >= '2019'",
    "${arrival} > today()", "today()", "selected(${skills}, 'welding')", "count-selected(${skills})",
    "string-length(${name})", "string-length(${ja})", "regex('0901234567', '^0[0-9]{9}$')",
    "regex(${name}, '^[0-9]+$')", "if(${consent} = 'yes', 'go', 'stop')", "coalesce(${missing}, ${name})",
    "count(${jobs})", "count(${missing})", "count(${name})", "int('3.9')", "int(-3.9)", "int(-0.5)",
    "1 div int(-0.5)", "number('x')", "string(12.50)", "concat('a', 1, true(), ${skills})",
    "not(${consent} = 'yes') or false()", "contains(${name}, 'Văn')", "starts-with(${arrival}, '2019')",
    "true() = 'yes'", "${flag} = 1", "${flag} + 1", "${zero} = false()", "'abc' < 'abd'", "'b' > 'a'",
    "${skills} = 'welding forklift'", ". >= 1940 and . <= 2011", ". + 1", "position(..)", "${employer}",
    "region = 'kanto'", "name", "- ${salary}", "${skills} + 1", "${jobs}", "${skills}",
    "ends-with(${name}, 'An')", "substr(${ja}, 1)", "substr('hello', 1, 3)", "substr('hello', -2, 99)",
    "substr('hello', 3, 1)", "translate('abcab', 'abc', 'AB')", "normalize-space('  a \t b  ')",
    "boolean('')", "boolean(${skills})", "round(2.5)", "round(-2.5)", "round(2.567, 2)", "round(1234.5, -2)",
    "round('x')", "min(3, ${age}, 2.5)", "max(${salary}, ${age})", "min(${name})", "sum(1, 2, ${age})",
    "sum(${skills})", "once(${name})", "join('-', ${skills}, 'x')", "selected-at(${skills}, 1)",
    "selected-at(${skills}, 5)", "date(0)", "date(19000.7)", "date('2019-04-15')", "date('2019-02-30')",
    "date(${arrival})", "date(-800000)", "decimal-date-time('1970-01-02T12:00')",
    "decimal-date-time('2019-04-15')", "decimal-date-time('x')", "format-date('2019-04-05', '%e %b %Y %a')",
    "format-date(today(), '%d/%m/%y %n %q')", "format-date('', '%Y')", "pulldata('a', 'b', 'c', 'd')",
    "jr:choice-name('welding', '${skills}')", "jr:choice-name(${skills}, '/data/skills')",
    "jr:choice-name('x', 'skills')", "jr:choice-name('nope', '${skills}')", "../age + 1",
    "/data/about/age * 2", "selected(../skills, 'welding')", "${last-saved#name}",
    "indexed-repeat(${employer}, ${jobs}, 2)", "indexed-repeat(${employer}, ${jobs}, 3)", "now()",
    # predicates, steps and unions (XPath node-sets)
    "${jobs}[2]/employer", "${jobs}[3]/employer", "/data/jobs[position()=1]/start", "${jobs}[position() > 1]",
    "count(${jobs}[employer = 'A'])", "${jobs}[start > '2020']/employer", "count(${jobs} | ${jobs})",
    "${jobs}[1]/employer = 'A'", "${jobs}/employer", "join(',', ${jobs}/employer)", "${jobs}[last]/employer",
    "count(${jobs}[.])", "${skills}[. = 'forklift']", "${skills}[2]", "count(${name} | ${age})",
    "${age}[. > 30] + 1", "${jobs}[true()]/start < '2020'", "${jobs}[0]", "${jobs}[1.5]",
    "string-length(${jobs}[2]/employer)",
]


def _run_node(
    cases: list[dict[str, Any]], scripts: tuple[Path, ...] = (RULES_JS, RULES_MORE_JS)
) -> list[dict[str, Any]]:
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [NODE, "-e", HARNESS, *map(str, scripts)], input=json.dumps(cases), capture_output=True, text=True,
        timeout=60, check=True,
    )
    return json.loads(done.stdout)


def _python(tree_text: str, ctx: Context) -> dict[str, Any]:
    try:
        value = evaluate(tree_text, ctx)
    except ExpressionError:
        return {"type": "error"}
    kind = {bool: "boolean", float: "number", str: "string", list: "list"}[type(value)]
    return {"type": kind, "text": to_string(value), "test": to_bool(value)}


def _case(text: str, ctx: Context) -> dict[str, Any]:
    refs = {ref.name: resolve_reference(ref.name, ctx) for ref in references(text)}
    position = ctx.entry_path[-1][1] + 1 if ctx.entry_path else None
    return {"tree": to_json(parse(text)), "refs": refs,
            "ctx": {"value": ctx.current, "position": position, "today": ctx.today.isoformat(),
                    "choice": dict(ctx.choice or {}),
                    "labels": {k: dict(v) for k, v in ctx.labels.items()}}}


def _compare(texts: list[str], contexts: list[Context]) -> None:
    cases, expected = [], []
    for text in texts:
        for ctx in contexts:
            cases.append(_case(text, ctx))
            expected.append(_python(text, ctx))
    got = _run_node(cases)
    labels = [t for t in texts for _ in contexts]
    mismatches = [(t, e, g) for t, e, g in zip(labels, expected, got, strict=True) if e != g]
    assert sum(e["type"] != "error" for e in expected) > len(expected) // 2  # most cases give values
    assert not mismatches, mismatches[:5]


CONTEXTS = [
    Context(answers=ANSWERS, today=TODAY, current="1998"),
    Context(answers=ANSWERS, today=TODAY, current=12.5, entry=("jobs", 1),
            choice={"name": "13", "region": "kanto"}, labels={"skills": {"welding": "Welding", "x": "X"}}),
]


def test_rules_js_is_small_and_never_evaluates_code() -> None:
    import rjsmin

    for path, limit in ((RULES_JS, 3500), (RULES_MORE_JS, 4096), (RULES_LITE_JS, 1500)):  # with node-sets
        source = path.read_text(encoding="utf-8")
        assert len(rjsmin.jsmin(source)) < limit, path  # minified, as sent
        assert "eval(" not in source.replace("evaluate(", "")
        assert "Function(" not in source


def test_rules_js_alone_evaluates_the_core_functions_and_rules_more_js_the_others() -> None:
    from instruments.rules import CORE_FUNCTIONS, needs_more

    assert set(CORE_FUNCTIONS) < set(FUNCTIONS)
    core = [t for t in TABLE if not needs_more(to_json(parse(t)))]
    more = [t for t in TABLE if needs_more(to_json(parse(t)))]
    assert len(core) > 25
    assert len(more) > 40
    contexts = CONTEXTS[:1]
    cases = [_case(t, ctx) for t in core for ctx in contexts]
    alone = _run_node(cases, (RULES_JS,))
    expected = [_python(t, ctx) for t in core for ctx in contexts]
    assert [(t, g) for t, e, g in zip(core, expected, alone, strict=True) if e != g] == []
    # Without rules-more.js a page whose rules call e.g. format-date() gets an error (form.js then shows the
    # question), never a wrong value; with it, the value.
    without = _run_node([_case(t, contexts[0]) for t in more], (RULES_JS,))
    assert {r["type"] for r in without} == {"error"}
    assert needs_more(to_json(parse("format-date(today(), '%Y') = '2026'")))
    assert not needs_more(to_json(parse("selected(${a}, 'x') and not(${b} = '') or starts-with(${c}, 'ti_')")))


def test_table_agrees_with_python() -> None:
    _compare(TABLE, CONTEXTS)


def test_random_trees_agree_with_python() -> None:
    rng = random.Random(20261123)
    atoms = ["${age}", "${salary}", "${name}", "${skills}", "${arrival}", "${missing}", "${zero}", "${neg}",
             "${flag}", "${jobs}", ".", "0", "1", "2.5", "3", "'x'", "''", "'2019-04'", "'12'", "'-0'",
             "region", "today()", "true()"]
    functions = sorted(set(FUNCTIONS) - {"regex", "position", "uuid", "indexed-repeat"})
    ops = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]

    def gen(depth: int) -> str:
        roll = rng.random()
        if depth == 0 or roll < 0.3:
            return rng.choice(atoms)
        if roll < 0.4:
            return f"-({gen(depth - 1)})"
        if roll < 0.75:
            return f"({gen(depth - 1)} {rng.choice(ops)} {gen(depth - 1)})"
        name = rng.choice(functions)
        low, high = FUNCTIONS[name]
        count = rng.randint(low, high if high is not None else low + 2)
        return f"{name}({', '.join(gen(depth - 1) for _ in range(count))})"

    texts = [gen(4) for _ in range(600)]
    assert all(isinstance(parse(t), object) for t in texts)
    assert any(isinstance(r, Ref) for t in texts for r in references(t))
    _compare(texts, CONTEXTS)


def test_random_predicates_agree_with_python() -> None:
    """Predicates, steps and unions over random repeat entries: rules.js gives what Python gives."""
    rng = random.Random(20261202)
    tests = ["position() = 2", "position() > 1", "2", "1", "0", "pay > 150", "pay", "employer = 'B'", "true()",
             "not(position() = 1)", "pay + 1 > 200", "start > '2020'", "missing", "."]
    texts = []
    for _ in range(300):
        a, b = rng.choice(tests), rng.choice(tests)
        texts.append(rng.choice([
            f"${{jobs}}[{a}]/employer", f"count(${{jobs}}[{a}])", f"sum(${{jobs}}[{a}]/pay)",
            f"count(${{jobs}}[{a}] | ${{jobs}}[{b}])", f"${{jobs}}[{a}][{b}]/start", f"${{jobs}}[{a}]/pay * 2",
            f"join(' ', ${{jobs}}[{a}]/employer)", f"${{jobs}}[{a}]/pay = ${{jobs}}[{b}]/pay",
            f"${{skills}}[{a}]", f"max(${{jobs}}[{a}]/pay)",
        ]))
    contexts = []
    for _ in range(4):
        jobs = [{"employer": rng.choice("ABC"), "pay": rng.choice([100, 150, 250, "90"]),
                 "start": rng.choice(["2019-04", "2021-06"])} for _ in range(rng.randint(0, 4))]
        contexts.append(Context(answers={**ANSWERS, "jobs": jobs}, today=TODAY, current=""))
    _compare(texts, contexts)


def test_compile_rules_of_an_instrument() -> None:
    from instruments import load_text
    from instruments.rules import compile_rules, rules_js_path

    inst = load_text(
        "id: r\nversion: '1'\ndefault_language: en\ntitle: {en: R}\nsurvey:\n"
        "  - group: p\n    label: {en: P}\n    relevant: \"${a} = 'x'\"\n    children:\n"
        "      - {name: a, type: text, label: {en: A}, required: true}\n"
        "      - repeat: jobs\n        label: {en: J}\n        children:\n"
        "          - {name: b, type: integer, label: {en: B}, constraint: '. > 1'}\n", source="r")
    rules = compile_rules(inst)
    assert rules["p"] == {"repeats": [], "relevant": ["=", ["r", "a"], ["s", "x"]]}
    assert rules["a"] == {"repeats": [], "required": True}
    assert rules["b"] == {"repeats": ["jobs"], "constraint": [">", ["."], ["n", "1"]]}
    assert rules_js_path() == RULES_JS


def _lite_case(text: str, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    ctx = Context(answers=answers, today=TODAY)
    refs = {ref.name: resolve_reference(ref.name, ctx) for ref in references(text)}
    return {"tree": to_json(parse(text)), "refs": refs, "ctx": {}}, _python(text, ctx)


LITE_HARNESS = """
require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(c => {
  try { return KeirekiRules.test(c.tree, n => c.refs[n]); } catch (e) { return "error"; }
})));
"""


def test_rules_lite_js_agrees_with_python_on_the_trees_it_takes() -> None:
    """rules-lite.js (pages whose rules are all simple) gives what Python gives, on a table and on random
    trees of its operators over text, number, true/false and list answers."""
    from instruments.rules import is_lite

    answers = {k: v for k, v in ANSWERS.items() if k != "jobs"}
    answers.update({"blank": "", "num_text": "034", "dec": "2.50", "status": "ti_2", "one": ["x"]})
    table = [
        "${status} = 'ti_2'", "starts-with(${status}, 'ti_')", "${num_text} = 34", "${num_text} = '34'",
        "${dec} = 2.5", "${dec} != '2.5'", "${age} > 30", "${age} >= '34'", "${missing} < 5", "${missing} = ''",
        "${arrival} < '2019-05-01'", "'b' > 'a'", "${skills} = 'welding forklift'",
        "selected(${skills}, 'forklift')",
        "not(selected(${skills}, 'x')) and count-selected(${skills}) = 2", "${one} = 'x'", "${blank} < 'a'",
        "${spaces} = 12", "${neg} < 0", "${salary} > 180000", "${ja} = '東京都' or ${age} = 0",
        "count-selected(${missing}) = 0", "starts-with(${skills}, 'weld')", "${zero} = ''", "${zero} = 0",
    ]
    rng = random.Random(20261202)
    atoms = ["${age}", "${salary}", "${name}", "${skills}", "${arrival}", "${missing}", "${zero}", "${neg}",
             "${num_text}", "${dec}", "${status}", "${one}", "${blank}", "${flag}", "0", "1", "2.5", "'x'", "''",
             "'12'", "'-0'", "'ti_2'", "'welding'", "'2019-04'"]
    ops = ["or", "and", "=", "!=", "<", "<=", ">", ">="]

    def gen(depth: int) -> str:
        roll = rng.random()
        if depth == 0 or roll < 0.3:
            return rng.choice(atoms)
        if roll < 0.7:
            return f"({gen(depth - 1)} {rng.choice(ops)} {gen(depth - 1)})"
        name = rng.choice(["not", "selected", "count-selected", "starts-with"])
        count = 1 if name in ("not", "count-selected") else 2
        return f"{name}({', '.join(gen(depth - 1) for _ in range(count))})"

    texts = table + [gen(4) for _ in range(600)]
    assert all(is_lite(to_json(parse(t))) for t in texts)
    cases, expected = zip(*(_lite_case(t, answers) for t in texts), strict=True)
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [NODE, "-e", LITE_HARNESS, str(RULES_LITE_JS)], input=json.dumps(list(cases)), capture_output=True,
        text=True, timeout=60, check=True,
    )
    got = json.loads(done.stdout)
    want = ["error" if e["type"] == "error" else e["test"] for e in expected]
    assert sum(w is True for w in want) > 50
    assert sum(w is False for w in want) > 50
    mismatches = [(t, w, g) for t, w, g in zip(texts, want, got, strict=True) if w != g]
    assert not mismatches, mismatches[:5]
    assert not is_lite(to_json(parse("string-length(${name}) > 2")))
    assert not is_lite(to_json(parse("${age} + 1 > 2")))
    assert not is_lite(to_json(parse("today() > '2020'")))
