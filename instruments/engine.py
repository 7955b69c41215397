"""Pure form logic shared by the web form and the records pipeline.

Relevance, required and constraint checks, calculations, choice filters and pruning, all evaluated
with :mod:`instruments.expressions` over the answer format of :mod:`instruments.model`. ``today`` is
always given by the caller.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from instruments.convert import NOT_ANSWERED, Converted, convert_answer
from instruments.errors import ExpressionError
from instruments.expressions import Context, EntryPath, evaluate_bool, evaluate_string, references
from instruments.model import Choice, Group, Instrument, Question, Text

__all__ = [
    "Converted", "ValidationIssue", "calculate_all", "convert_answer", "filtered_choices", "is_relevant",
    "prune_irrelevant", "required_missing", "validate_page",
]

Node = Question | Group
Entry = tuple[str, int] | EntryPath | None


@dataclass(frozen=True)
class ValidationIssue:
    """A problem with a page: ``code`` for the web app's catalogs (``required``, ``constraint``,
    ``repeat_min``, ``repeat_max``), ``message`` the instrument's own text when it has one."""

    code: str
    message: Text | None = None
    params: dict[str, Any] = field(default_factory=dict)


def _path(entry: Entry) -> EntryPath:
    if not entry:
        return ()
    if len(entry) == 2 and isinstance(entry[0], str):
        return ((entry[0], entry[1]),)
    return entry


_PARENTS: dict[int, tuple[Instrument, dict[int, Group]]] = {}


def _parents(instrument: Instrument) -> dict[int, Group]:
    """Enclosing group of every node, by ``id``; remembered for the last few instruments."""
    cached = _PARENTS.get(id(instrument))
    if cached is not None and cached[0] is instrument:
        return cached[1]
    parents: dict[int, Group] = {}

    def visit(group: Group) -> None:
        for child in group.children:
            parents[id(child)] = group
            if isinstance(child, Group):
                visit(child)

    for group in instrument.groups:
        visit(group)
    if len(_PARENTS) > 32:
        _PARENTS.clear()
    _PARENTS[id(instrument)] = (instrument, parents)
    return parents


def _ancestors(instrument: Instrument, node: Node) -> list[Node]:
    """``node``'s enclosing groups, outermost first, then ``node``."""
    parents = _parents(instrument)
    chain: list[Node] = [node]
    while id(chain[-1]) in parents:
        chain.append(parents[id(chain[-1])])
    return chain[::-1]


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _instances(children: tuple[Node, ...], scope: Mapping[str, Any], path: EntryPath
               ) -> Iterator[tuple[Node, EntryPath, Mapping[str, Any]]]:
    """Every node with the repeat entry it sits in and the answers dict holding its value."""
    for child in children:
        yield child, path, scope
        if isinstance(child, Group) and child.repeat:
            entries = scope.get(child.name)
            if isinstance(entries, list):
                for i, item in enumerate(entries):
                    if isinstance(item, Mapping):
                        yield from _instances(child.children, item, (*path, (child.name, i)))
        elif isinstance(child, Group):
            yield from _instances(child.children, scope, path)


def _calculation_order(instrument: Instrument) -> list[Question]:
    """Calculations, each after the calculations it refers to; worked out once per instrument (it is immutable
    and asked for on every relevance check)."""
    known = _ORDERS.get(id(instrument))
    if known is not None and known[0]() is instrument:
        return known[1]
    order = _order_calculations(instrument)
    key = id(instrument)
    _ORDERS[key] = (weakref.ref(instrument, lambda _ref: _ORDERS.pop(key, None)), order)
    return order


#: Calculation order by instrument (its id, checked against a weak reference: an id can be reused).
_ORDERS: dict[int, tuple[weakref.ref[Instrument], list[Question]]] = {}


def _order_calculations(instrument: Instrument) -> list[Question]:
    """Calculations, each after the calculations it refers to (document order on a cycle)."""
    calcs = {q.name: q for q in instrument.questions() if q.type == "calculate" and q.calculation}
    order: list[Question] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name):
            return
        state[name] = 1
        try:
            deps = [r.name for r in references(calcs[name].calculation or "")]
        except ExpressionError:
            deps = []
        for dep in deps:
            if dep in calcs:
                visit(dep)
        state[name] = 2
        order.append(calcs[name])

    for name in calcs:
        visit(name)
    return order


def _deep_copy(answers: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, list):
            value = [_deep_copy(v) if isinstance(v, Mapping) else v for v in value]
        out[key] = value
    return out


#: XLSForm metadata the server knows at submission (ODK's device values have no web equivalent).
SERVER_METADATA = ("start", "end", "today", "username")


def metadata_answers(instrument: Instrument, *, start: datetime, end: datetime, username: str) -> dict[str, str]:
    """Values of the top-level hidden metadata questions imported from XLSForm (``start``, ``end``,
    ``today``, ``username``): the start of the participant's session, the submission time, its date
    and the participant's code. ``deviceid``, ``audit`` and the other device values stay unanswered."""
    known = {"start": start.isoformat(timespec="seconds"), "end": end.isoformat(timespec="seconds"),
             "today": end.date().isoformat(), "username": username}
    return {q.name: known[q.xlsform["type"]] for group in instrument.groups for q in group.children
            if isinstance(q, Question) and q.type == "hidden" and q.xlsform.get("type") in SERVER_METADATA}


def choice_labels(instrument: Instrument, language: str | None = None) -> dict[str, dict[str, str]]:
    """Question name -> choice name -> label in ``language`` (default: the instrument's), for
    ``jr:choice-name()``."""
    lang = language or instrument.default_language
    return {q.name: {c.name: instrument.text(c.label, lang) for c in instrument.choice_lists.get(q.choices, ())}
            for q in instrument.questions() if q.choices}


def with_calculations(instrument: Instrument, answers: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """A copy of ``answers`` with every calculation's value written where it belongs (repeat
    calculations in each entry), so expressions can refer to calculations like to answers."""
    state = _deep_copy(answers)
    order = _calculation_order(instrument)
    if not order:
        return state  # no calculations (most instruments): nothing to find among the answers
    wanted = {id(q) for q in order}
    rank = {id(q): i for i, q in enumerate(order)}
    found = [(node, path, scope) for node, path, scope in _instances(instrument.groups, state, ())
             if id(node) in wanted]
    found.sort(key=lambda item: rank[id(item[0])])
    labels = choice_labels(instrument) if found else {}
    for node, path, scope in found:
        if not isinstance(node, Question) or not isinstance(scope, dict):
            continue
        try:
            scope[node.name] = evaluate_string(node.calculation or "",
                                               Context(state, today, entry=path, labels=labels))
        except ExpressionError:
            scope[node.name] = ""
    return state


def _relevant(instrument: Instrument, node: Node, state: Mapping[str, Any], path: EntryPath,
              today: date) -> bool:
    for item in _ancestors(instrument, node):
        if item.relevant:
            try:
                if not evaluate_bool(item.relevant, Context(state, today, entry=path)):
                    return False
            except ExpressionError:
                continue  # a broken expression is reported by the checker; do not hide the question
    return True


def is_relevant(instrument: Instrument, node: Node, answers: Mapping[str, Any], *, entry: Entry = None,
                today: date) -> bool:
    """Whether ``node`` is shown (and stored): its own and every enclosing group's ``relevant``."""
    state = with_calculations(instrument, answers, today=today)
    return _relevant(instrument, node, state, _path(entry), today)


def relevance(instrument: Instrument, answers: Mapping[str, Any], *, today: date) -> Callable[..., bool]:
    """:func:`is_relevant` for many nodes on the same answers: ``relevant(node, entry=None)``. The
    calculations are worked out once, not once per node (a page asks for each of its questions)."""
    state = with_calculations(instrument, answers, today=today)

    def relevant(node: Node, entry: Entry = None) -> bool:
        return _relevant(instrument, node, state, _path(entry), today)

    return relevant


def _required(question: Question, ctx: Context) -> bool:
    if isinstance(question.required, bool):
        return question.required
    try:
        return evaluate_bool(question.required, ctx)
    except ExpressionError:
        return False


def _key(node: Node, path: EntryPath, base: EntryPath) -> str:
    parts = [f"{name}[{index}]" for name, index in path[len(base):]]
    return ".".join([*parts, node.name])


def _check(instrument: Instrument, nodes: Iterator[tuple[Node, EntryPath, Mapping[str, Any]]],
           state: Mapping[str, Any], base: EntryPath, today: date) -> dict[str, ValidationIssue]:
    issues: dict[str, ValidationIssue] = {}
    for node, path, scope in nodes:
        if not _relevant(instrument, node, state, path, today):
            continue
        key = _key(node, path, base)
        ctx = Context(state, today, entry=path, current=scope.get(node.name, ""))
        if isinstance(node, Group):
            if node.repeat:
                issue = _repeat_issue(node, scope.get(node.name), ctx)
                if issue:
                    issues[key] = issue
            continue
        if node.type in NOT_ANSWERED:
            continue
        value = scope.get(node.name)
        if _is_empty(value):
            if _required(node, ctx):
                issues[key] = ValidationIssue("required", node.required_message or None)
            continue
        if node.constraint:
            try:
                ok = evaluate_bool(node.constraint, ctx)
            except ExpressionError:
                ok = True
            if not ok:
                issues[key] = ValidationIssue("constraint", node.constraint_message or None)
    return issues


def _repeat_issue(group: Group, entries: Any, ctx: Context) -> ValidationIssue | None:
    count = len(entries) if isinstance(entries, list) else 0
    low, high = group.min_count, group.max_count
    if group.repeat_count:
        try:
            wanted = int(float(evaluate_string(group.repeat_count, ctx)))
            low = high = wanted
        except (ExpressionError, ValueError, OverflowError):
            pass
    if low is not None and count < low:
        return ValidationIssue("repeat_min", None, {"min": low, "count": count})
    if high is not None and count > high:
        return ValidationIssue("repeat_max", None, {"max": high, "count": count})
    return None


def validate_page(instrument: Instrument, group: Group, answers: Mapping[str, Any], *, today: date,
                  entry: Entry = None) -> dict[str, ValidationIssue]:
    """Problems of one page, keyed by question name (``jobs[1].start`` for questions in repeat entries
    below ``entry``; a repeat's own count problem under the repeat's name).

    For a repeat group, ``entry=("jobs", 1)`` validates that entry; without an entry inside it, the
    whole repeat (its count and all its entries) is validated."""
    state = with_calculations(instrument, answers, today=today)
    base = _path(entry)
    scope: Mapping[str, Any] = state
    for name, index in base:
        entries = scope.get(name)
        scope = entries[index] if isinstance(entries, list) and 0 <= index < len(entries) else {}
    if not _relevant(instrument, group, state, base, today):
        return {}
    if group.repeat and not (base and base[-1][0] == group.name):
        # the whole repeat: its number of entries and every entry
        return _check(instrument, _instances((group,), scope, base), state, base, today)
    return _check(instrument, _instances(group.children, scope, base), state, base, today)


def required_missing(instrument: Instrument, answers: Mapping[str, Any], today: date) -> list[str]:
    """Paths of relevant required questions left unanswered (and repeats below their minimum)."""
    state = with_calculations(instrument, answers, today=today)
    issues = _check(instrument, _instances(instrument.groups, state, ()), state, (), today)
    return [path for path, issue in issues.items() if issue.code in ("required", "repeat_min")]


def calculate_all(instrument: Instrument, answers: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """The calculations' values: ``{name: text}`` at the top level and ``{repeat: [{name: text}]}``
    for calculations inside repeats."""
    state = with_calculations(instrument, answers, today=today)
    calcs = {id(q) for q in instrument.questions() if q.type == "calculate"}

    def pick(children: tuple[Node, ...], scope: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in children:
            if isinstance(child, Group) and child.repeat:
                entries = scope.get(child.name)
                picked = [pick(child.children, e) if isinstance(e, Mapping) else {}
                          for e in (entries if isinstance(entries, list) else [])]
                if any(picked):
                    out[child.name] = picked
            elif isinstance(child, Group):
                out.update(pick(child.children, scope))
            elif id(child) in calcs and child.name in scope:
                out[child.name] = scope[child.name]
        return out

    return pick(instrument.groups, state)


def filtered_choices(instrument: Instrument, question: Question, answers: Mapping[str, Any], *,
                     entry: Entry = None, today: date) -> tuple[Choice, ...]:
    """The choices of ``question`` its ``choice_filter`` keeps (all of them without a filter)."""
    choices = instrument.choice_lists.get(question.choices or "", ())
    if not question.choice_filter:
        return choices
    state = with_calculations(instrument, answers, today=today)
    kept = []
    for choice in choices:
        ctx = Context(state, today, entry=_path(entry), choice={**choice.extra, "name": choice.name})
        try:
            if evaluate_bool(question.choice_filter, ctx):
                kept.append(choice)
        except ExpressionError:
            continue
    return tuple(kept)


def _keep(instrument: Instrument, children: tuple[Node, ...], scope: Mapping[str, Any], path: EntryPath,
          state: Mapping[str, Any], today: date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in children:
        if not _relevant(instrument, child, state, path, today):
            continue
        if isinstance(child, Group) and child.repeat:
            entries = scope.get(child.name)
            if isinstance(entries, list):
                out[child.name] = [
                    _keep(instrument, child.children, e, (*path, (child.name, i)), state, today)
                    if isinstance(e, Mapping) else {}
                    for i, e in enumerate(entries)
                ]
        elif isinstance(child, Group):
            out.update(_keep(instrument, child.children, scope, path, state, today))
        elif child.type not in NOT_ANSWERED and child.name in scope:
            out[child.name] = scope[child.name]
    return out


def prune_irrelevant(instrument: Instrument, answers: Mapping[str, Any], today: date) -> dict[str, Any]:
    """``answers`` without the answers of irrelevant questions (and of names the instrument does not
    have), repeated until stable since clearing one answer can make another irrelevant."""
    current = _deep_copy(answers)
    for _ in range(20):
        state = with_calculations(instrument, current, today=today)
        pruned = _keep(instrument, instrument.groups, current, (), state, today)
        if pruned == current:
            break
        current = pruned
    return current
