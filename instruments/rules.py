"""The page's share of the expressions: compiled trees for ``instruments/js/rules.js``.

The server hands a page ``compile_rules(instrument)`` (JSON) and the script ``rules_js_path()``; the
page then shows and hides questions instantly with the same semantics as the Python engine, without
anyone writing the rules twice. ``rules.js`` has the operators and :data:`CORE_FUNCTIONS`; the other
functions are in ``rules-more.js`` (``rules_more_js_path()``), which a page needs only when
:func:`needs_more` says so for its trees. A page whose trees are all :func:`is_lite` (comparisons, and/or,
not/selected/count-selected/starts-with) loads ``rules-lite.js`` alone instead, the same semantics in less.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from instruments.errors import ExpressionError
from instruments.expressions import parse, to_json
from instruments.model import Group, Instrument, Question

_KEYS = ("relevant", "required", "constraint", "calculation", "choice_filter", "repeat_count")


#: The functions ``rules.js`` itself evaluates: what most relevance rules use. Any other is in ``rules-more.js``.
CORE_FUNCTIONS = frozenset({"true", "false", "today", "not", "selected", "count-selected", "starts-with"})


def rules_js_path() -> Path:
    """The browser evaluator (about 2.3 kB minified, no eval)."""
    return Path(__file__).parent / "js" / "rules.js"


def rules_more_js_path() -> Path:
    """The browser evaluator's other functions (dates, strings, numbers, ...), loaded after ``rules.js``."""
    return Path(__file__).parent / "js" / "rules-more.js"


#: What ``rules-lite.js`` evaluates (as ``rules.js`` does): the trees of most relevance rules.
LITE_OPERATORS = frozenset({"s", "n", "r", "=", "!=", "<", "<=", ">", ">=", "and", "or"})
LITE_FUNCTIONS = frozenset({"not", "selected", "count-selected", "starts-with"})


def rules_lite_js_path() -> Path:
    """The small evaluator for pages whose rules are all :func:`is_lite` (under 1.5 kB minified)."""
    return Path(__file__).parent / "js" / "rules-lite.js"


def is_lite(tree: Any) -> bool:
    """Whether ``rules-lite.js`` evaluates a compiled tree (as ``rules.js`` does)."""
    if not isinstance(tree, list) or not tree:
        return False
    if tree[0] == "f":
        return tree[1] in LITE_FUNCTIONS and all(is_lite(child) for child in tree[2:])
    if tree[0] in ("s", "n", "r"):
        return True
    return tree[0] in LITE_OPERATORS and all(is_lite(child) for child in tree[1:])


def needs_more(tree: Any) -> bool:
    """Whether a compiled tree calls a function outside :data:`CORE_FUNCTIONS` (so needs ``rules-more.js``)."""
    if not isinstance(tree, list) or not tree:
        return False
    if tree[0] == "f" and tree[1] not in CORE_FUNCTIONS:
        return True
    return any(needs_more(child) for child in tree[1:] if isinstance(child, list))


def compile_rules(instrument: Instrument) -> dict[str, dict[str, Any]]:
    """Node name -> ``{"relevant": tree, "required": tree | true, "constraint": tree, "calculation":
    tree, "choice_filter": tree, "repeat_count": tree, "repeats": [enclosing repeat names]}`` with only
    the keys the node has. Raises ExpressionError (with the node's location) for a broken expression,
    which ``instruments check`` reports first."""
    out: dict[str, dict[str, Any]] = {}

    def visit(children: tuple[Question | Group, ...], repeats: tuple[str, ...]) -> None:
        for node in children:
            entry: dict[str, Any] = {"repeats": list(repeats)}
            for key in _KEYS:
                value = getattr(node, key, None)
                if value is True:
                    entry[key] = True
                elif isinstance(value, str) and value:
                    try:
                        entry[key] = to_json(parse(value))
                    except ExpressionError as exc:
                        raise ExpressionError(f"{node.name}.{key}: {exc.message}", exc.position,
                                              node.location) from None
            out[node.name] = entry
            if isinstance(node, Group):
                visit(node.children, (*repeats, node.name) if node.repeat else repeats)

    visit(instrument.groups, ())
    return out
