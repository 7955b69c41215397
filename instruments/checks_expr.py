"""Expression checks: syntax, references (with suggestions), scopes, types and calculation cycles."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from instruments.errors import ExpressionError
from instruments.expressions import Binary, Call, Column, Current, Filter, Negate, Node, Parent, Ref, Step, parse, walk
from instruments.findings import Collector, from_xlsform
from instruments.model import Group, Location, Question

_TEXTUAL = ("text", "select_multiple", "date", "partial_date", "phone", "email", "acknowledge", "note")
_ARITHMETIC = ("+", "-", "*", "div", "mod")


@dataclass(frozen=True)
class Site:
    """Where an expression is written."""

    owner: Question | Group | None  #: None for instrument settings
    key: str  #: relevant, required, constraint, calculation, choice_filter, repeat_count, settings.*
    text: str
    repeats: tuple[str, ...]  #: enclosing repeats, outermost first (the repeat itself for its own keys)
    location: Location | None

    @property
    def field(self) -> str:
        return f"{self.owner.name}.{self.key}" if self.owner is not None else self.key


def _sites(children: tuple[Question | Group, ...], repeats: tuple[str, ...]) -> Iterator[Site]:
    for node in children:
        inner = (*repeats, node.name) if isinstance(node, Group) and node.repeat else repeats
        keys = ("relevant", "repeat_count") if isinstance(node, Group) else (
            "relevant", "required", "constraint", "calculation", "choice_filter")
        for key in keys:
            value = getattr(node, key)
            if isinstance(value, str) and value:
                yield Site(node, key, value, repeats, node.location)
        if isinstance(node, Group):
            yield from _sites(node.children, inner)


class _Scope:
    def __init__(self, c: Collector) -> None:
        self.nodes: dict[str, Question | Group] = {}
        self.repeats_of: dict[str, tuple[str, ...]] = {}

        def visit(children: tuple[Question | Group, ...], repeats: tuple[str, ...]) -> None:
            for node in children:
                self.nodes.setdefault(node.name, node)
                self.repeats_of.setdefault(node.name, repeats)
                if isinstance(node, Group):
                    visit(node.children, (*repeats, node.name) if node.repeat else repeats)

        visit(c.instrument.groups, ())


def _question_type(scope: _Scope, site: Site, node: Node) -> str | None:
    if isinstance(node, Ref):
        target = scope.nodes.get(node.name)
        if isinstance(target, Question):
            return target.type
        return "repeat" if isinstance(target, Group) and target.repeat else None
    if isinstance(node, Current) and isinstance(site.owner, Question):
        return site.owner.type
    return None


def _numeric_choices(c: Collector, scope: _Scope, site: Site, node: Node) -> bool:
    target = scope.nodes.get(node.name) if isinstance(node, Ref) else site.owner
    if not isinstance(target, Question) or target.choices not in c.instrument.choice_lists:
        return False
    choices = c.instrument.choice_lists[target.choices or ""]
    return all(ch.name.lstrip("-").replace(".", "", 1).isdigit() for ch in choices)


def _describe(node: Node) -> str:
    return f"${{{node.name}}}" if isinstance(node, Ref) else "."


def _check_call(c: Collector, scope: _Scope, site: Site, node: Call) -> None:
    if node.name in ("selected", "count-selected") and node.args:
        kind = _question_type(scope, site, node.args[0])
        if kind is not None and kind not in ("select_one", "select_multiple"):
            c.error(site.location, site.field,
                    f"{node.name}() on {_describe(node.args[0])}, a {kind} question, not a select")
    if node.name == "count" and node.args:
        kind = _question_type(scope, site, node.args[0])
        if kind is not None and kind != "repeat":
            what = _describe(node.args[0])
            c.error(site.location, site.field, f"count() of {what}, which is not a repeat")


def _check_arithmetic(c: Collector, scope: _Scope, site: Site, operands: tuple[Node, ...]) -> None:
    for side in operands:
        kind = _question_type(scope, site, side)
        textual = kind in _TEXTUAL or kind == "repeat" or (
            kind == "select_one" and not _numeric_choices(c, scope, site, side))
        if textual:
            c.error(site.location, site.field, f"arithmetic on {_describe(side)}, a {kind} question")


def _check_types(c: Collector, scope: _Scope, site: Site, tree: Node) -> None:
    for node in walk(tree):
        if isinstance(node, Call):
            _check_call(c, scope, site, node)
        if isinstance(node, Binary) and node.op in ("=", "!="):
            for side in (node.left, node.right):
                if _question_type(scope, site, side) == "select_multiple":
                    what = _describe(side)
                    # ODK compares the space-separated names, so an XLSForm may: a warning there
                    report = c.warning if from_xlsform(c.instrument) else c.error
                    report(site.location, site.field, f"{what} is a select_multiple: compare it with "
                           f"selected({what}, 'code'), not {node.op}")
        if isinstance(node, Binary) and node.op in _ARITHMETIC:
            _check_arithmetic(c, scope, site, (node.left, node.right))
        elif isinstance(node, Negate):
            _check_arithmetic(c, scope, site, (node.operand,))


def _check_column(c: Collector, site: Site, node: Column) -> None:
    if site.key != "choice_filter":
        c.error(site.location, site.field, f"bare name {node.name!r}: write ${{{node.name}}} to refer to a question")
        return
    assert isinstance(site.owner, Question)
    columns = {"name"} | {k for ch in c.instrument.choice_lists.get(site.owner.choices or "", ()) for k in ch.extra}
    if node.name not in columns:
        # XPath reads a missing column as empty, so ODK accepts ``pastel=yes``: an XLSForm gets a warning
        report = c.warning if from_xlsform(c.instrument) else c.error
        report(site.location, site.field, f"choice column {node.name!r} does not exist, so it is empty for "
               f"every choice (columns: {', '.join(sorted(columns))}; a text needs quotes: '{node.name}')")


def _in_predicates(tree: Node) -> set[int]:
    """The nodes inside predicates ``[ ]``: there bare names are the entry's answers, ``position()`` and
    ``.`` its position and value."""
    return {id(n) for f in walk(tree) if isinstance(f, Filter) for n in walk(f.predicate)}


def _path_checked(c: Collector, scope: _Scope, site: Site, node: Node, in_predicate: bool) -> bool:
    """Check a step ``/x`` and what is inside a predicate (bare names there are the entry's questions);
    True when ``node`` needs no other check."""
    if isinstance(node, Step):
        if node.name not in scope.nodes:
            c.error(site.location, site.field, f"unknown question {node.name!r} in a path")
        return True
    if not in_predicate or not isinstance(node, Column | Call | Parent | Current):
        return False
    if isinstance(node, Column) and node.name not in scope.nodes:
        c.error(site.location, site.field, f"unknown question {node.name!r} in a predicate [ ]")
    return True


def _check_refs(c: Collector, scope: _Scope, site: Site, tree: Node) -> list[str]:
    refs: list[str] = []
    inside = _in_predicates(tree)
    for node in walk(tree):
        if _path_checked(c, scope, site, node, id(node) in inside):
            continue
        if isinstance(node, Ref) and node.name.startswith("last-saved#"):
            saved = node.name.removeprefix("last-saved#")
            if saved not in scope.nodes:
                c.error(site.location, site.field, f"unknown reference ${{{node.name}}}")
            else:  # Response is unique per participant and instrument: nothing was saved before
                c.warning(site.location, site.field, f"${{{node.name}}} is always empty in Keireki: a participant "
                          "submits an instrument once, so there is no previous response to read")
        elif isinstance(node, Ref):
            refs.append(node.name)
            if node.name not in scope.nodes:
                close = difflib.get_close_matches(node.name, list(scope.nodes), n=1)
                hint = f"; did you mean ${{{close[0]}}}?" if close else ""
                c.error(site.location, site.field, f"unknown reference ${{{node.name}}}{hint}")
                continue
            target_repeats = scope.repeats_of[node.name]
            if target_repeats[: len(site.repeats)] != site.repeats[: len(target_repeats)] or \
                    len(target_repeats) > len(site.repeats):
                outside = target_repeats[-1]
                c.warning(site.location, site.field, f"${{{node.name}}} is inside the repeat {outside!r}; "
                          "from outside it, only count() of the repeat is meaningful")
        elif isinstance(node, Column):
            _check_column(c, site, node)
        elif isinstance(node, Call) and node.name == "position" and not site.repeats:
            c.error(site.location, site.field, "position(..) outside a repeat")
        elif isinstance(node, Parent) and not site.repeats:
            c.error(site.location, site.field, "'..' outside a repeat")
        elif isinstance(node, Current) and site.key in ("relevant", "repeat_count", "choice_filter") or (
                isinstance(node, Current) and site.owner is None):
            c.warning(site.location, site.field, f"'.' means nothing in {site.key}")
    return refs


def _check_cycles(c: Collector, graph: dict[str, list[str]], where: dict[str, Location | None]) -> None:
    state: dict[str, int] = {}
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for dep in graph.get(name, []):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):] + [dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    c.error(where[dep], f"{dep}.calculation",
                            "calculations refer to each other in a cycle: " + " -> ".join(cycle))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name)


def check_expressions(c: Collector) -> None:
    scope = _Scope(c)
    sites = list(_sites(c.instrument.groups, ()))
    for key in ("eligible",):
        if c.instrument.settings.get(key):
            sites.append(Site(None, f"settings.{key}", c.instrument.settings[key], (), None))
    graph: dict[str, list[str]] = {}
    where: dict[str, Location | None] = {}
    for site in sites:
        try:
            tree = parse(site.text)
        except ExpressionError as exc:
            c.error(site.location, site.field, f"{exc.message} at position {exc.position} in {site.text!r}")
            continue
        refs = _check_refs(c, scope, site, tree)
        _check_types(c, scope, site, tree)
        if site.key == "calculation" and site.owner is not None:
            graph[site.owner.name] = refs
            where[site.owner.name] = site.location
    _check_cycles(c, graph, where)
