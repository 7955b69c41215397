"""The one page service: what posting a page of questions does (screening, consent, the intake's pages
and entries, the interviewer's debrief; later the coding pages).

A view parses the request, calls the service and renders or redirects::

    raw = read_raw(instrument=instrument, questions=page_questions(group), language=g.language)
    outcome = apply_page(instrument=instrument, group=group, raw=raw, answers=saved, today=today,
                         language=g.language)
    if outcome.accepted:
        my_save_service(..., answers=outcome.answers)      # the caller's own service saves
    else:
        render the page with page_rows(..., errors=outcome.errors) (texts: webapp.forms.messages)

:func:`apply_page` runs the four steps in order:

1. **normalise** every answer with ``instruments.engine.convert_answer`` (numbers in the page's
   language, era dates, Zawgyi, phone numbers); what cannot be accepted is kept *pending*, as typed,
   with its error (nothing a participant typed is lost);
2. **validate** the page with ``instruments.engine.validate_page`` (required, constraints, entries);
   with ``complete=False`` (an "add an entry" or "remove" button) only what was typed is checked,
   not what the participant has not reached yet;
3. **relevance**: questions this post switched on and that are still empty are ``appeared``: the
   page is shown again with them (and a notice) instead of moving on — what JavaScript shows at once
   appears this way without it;
4. **save** is the caller's: the intake saves always (pending values beside the answers), the other
   pages only when ``outcome.accepted``.

Pure: no Flask and no database, except :func:`read_raw` and :func:`read_seen` (the request's form).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from instruments import engine
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question
from webapp.forms.builder import posted_value
from webapp.forms.pages import Entry, answerable, entry_prefix, questions, repeats

#: Longest text kept as typed when it cannot be accepted (what is longer is cut there).
MAX_PENDING = 10_000
#: Issues about what is missing (not about what was typed): left out when ``complete=False``.
_MISSING = ("required", "repeat_min", "entries_incomplete")


@dataclass
class PageOutcome:
    """What a posted page did: the new answers and metadata, and what stops the participant here."""

    answers: dict[str, Any]
    meta: dict[str, Any]
    #: question name -> {"code", "message" (instrument text or None), "params"}; texts: webapp.forms.messages
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: what could not be accepted, as typed (never contact data)
    pending: dict[str, Any] = field(default_factory=dict)
    #: converted contact answers (None = cleared) and contact text that could not be accepted
    contact: dict[str, Any] = field(default_factory=dict)
    contact_pending: dict[str, Any] = field(default_factory=dict)
    #: questions that became relevant through this post and are still empty
    appeared: list[str] = field(default_factory=list)
    #: problems inside repeat entries of the page, by path (``jobs[0].start``)
    entry_issues: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        """Nothing to correct and nothing newly shown: the participant may move on."""
        return not self.errors and not self.appeared


#: The former name, kept for callers written before the page service.
Outcome = PageOutcome


def page_questions(group: Group) -> list[Question]:
    """The questions of a page that take an answer (notes and calculations do not)."""
    return [q for q in questions(group) if answerable(q)]


def whole(instrument: Instrument) -> Group:
    """All of an instrument's pages as one page (screening and consent are asked on one page)."""
    return Group(name="_all", children=tuple(instrument.groups))


def read_raw(*, instrument: Instrument, questions: list[Question], language: str) -> dict[str, Any]:
    """What the request's form holds for each question (text, or a list for select_multiple).

    Read as the page's form fields (:func:`webapp.forms.build_form_class`) would read it — the posted form
    data, or a JSON body's — without building the form (labels in ``language``, choices, a CSRF token
    nobody uses: as much work as the rest of a save).
    """
    del instrument, language  # the fields' values do not depend on them
    from flask import request
    from werkzeug.datastructures import ImmutableMultiDict

    formdata: Any = request.form
    if not formdata and request.is_json:
        body = request.get_json(silent=True)
        formdata = ImmutableMultiDict(body) if isinstance(body, dict) else None
    return {q.name: posted_value(formdata, q) for q in questions}


def read_seen() -> frozenset[str]:
    """The questions the page's script had on screen when it was sent (``form.js``: ``_seen``); none
    without JavaScript."""
    from flask import request

    return frozenset(str(request.form.get("_seen", ""))[:10_000].split())


def clean(raw: Any) -> str | list[str]:
    """What was posted, as text: control characters (but tab and line breaks) removed, length capped."""
    if isinstance(raw, list):
        return [t for t in (clean(r) for r in raw[:200]) if isinstance(t, str)]
    text = raw if isinstance(raw, str) else ""
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in text):
        text = "".join(ch for ch in text if ch in "\t\n\r" or not (ch < " " or "\x7f" <= ch <= "\x9f"))
    return text[:MAX_PENDING]


def _empty(raw: str | list[str]) -> bool:
    return not raw.strip() if isinstance(raw, str) else not [r for r in raw if r.strip()]


def _drop_meta(meta: dict[str, Any], path: str) -> None:
    meta.setdefault("raw", {}).pop(path, None)
    meta["flags"] = [f for f in meta.get("flags", []) if not (isinstance(f, dict) and f.get("path") == path)]


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (int, float, str)) else str(v) for k, v in params.items()}


def _with_contact(answers: dict[str, Any], contact: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """Answers with contact values beside them, for rules and required checks only (never stored)."""
    values = {k: v for k, v in contact.items() if v not in (None, "")}
    if not values:
        return answers
    state = copy.deepcopy(answers)
    target = state
    if entry:
        entries = state.get(entry[0])
        if isinstance(entries, list) and entry[1] < len(entries) and isinstance(entries[entry[1]], dict):
            target = entries[entry[1]]
    target.update(values)
    return state


def _entry_scope(answers: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """The dict the page writes into: the answers, or the repeat entry (created when new)."""
    if not entry:
        return answers
    entries = answers.setdefault(entry[0], [])
    if not isinstance(entries, list):
        entries = answers[entry[0]] = []
    while len(entries) <= entry[1]:
        entries.append({})
    if not isinstance(entries[entry[1]], dict):
        entries[entry[1]] = {}
    scope: dict[str, Any] = entries[entry[1]]
    return scope


@dataclass
class _Page:
    """One call of :func:`apply_page`: its inputs and the outcome being built."""

    instrument: Instrument
    group: Group
    entry: Entry
    today: date
    region: str
    locale: str | None
    scope: dict[str, Any]
    before: dict[str, Any]  #: the answers before this post (with an empty entry when it is new)
    out: PageOutcome


def _normalise(page: _Page, question: Question, typed: str | list[str]) -> None:
    """Step 1 for one question: store the converted answer, or keep what was typed as pending."""
    out, path = page.out, entry_prefix(page.entry) + question.name
    if question.is_contact and _empty(typed):
        out.contact[question.name] = None
        return
    if not question.is_contact:
        _drop_meta(out.meta, path)
        if _empty(typed):
            page.scope.pop(question.name, None)
            return
    choices = engine.filtered_choices(page.instrument, question, page.before, entry=page.entry, today=page.today)
    try:
        converted = engine.convert_answer(question, typed, choices=choices, region=page.region, locale=page.locale)
    except AnswerError as exc:
        out.errors[question.name] = {"code": exc.code, "message": None, "params": _plain(exc.params)}
        if question.is_contact:
            out.contact_pending[question.name] = typed
            out.contact[question.name] = None
        else:
            page.scope.pop(question.name, None)
            out.pending[question.name] = typed
        return
    if question.is_contact:
        out.contact[question.name] = converted.value
        return
    page.scope[question.name] = converted.value
    if converted.meta_raw is not None:
        out.meta.setdefault("raw", {})[path] = converted.meta_raw
    for flag in converted.flags:
        out.meta.setdefault("flags", []).append({"path": path, "flag": flag, "detail": ""})


def _validate(page: _Page, state: dict[str, Any], newly_shown: set[str], complete: bool) -> None:
    """Step 2: the engine's issues of the page; a missing answer of a question shown only now is
    not an error (step 3 shows it), nor one the participant was not asked yet (``complete=False``)."""
    out = page.out
    issues = engine.validate_page(page.instrument, page.group, state, today=page.today, entry=page.entry)
    for key, issue in issues.items():
        if "[" in key:
            out.entry_issues[key] = issue.code
            continue
        if key in out.errors or (issue.code in _MISSING and (key in newly_shown or not complete)):
            continue
        out.errors[key] = {"code": issue.code, "message": issue.message, "params": _plain(issue.params)}


def _still_empty(page: _Page, node: Question | Group, typed: dict[str, Any]) -> bool:
    if isinstance(node, Group):
        return not page.scope.get(node.name)
    if node.is_contact:
        return page.out.contact.get(node.name) in (None, "") and node.name not in page.out.errors
    return node.name not in page.scope and node.name not in page.out.errors and _empty(typed.get(node.name, ""))


def _relevance(page: _Page, nodes: list[Question | Group], shown: set[str], state: dict[str, Any],
               typed: dict[str, Any]) -> None:
    """Step 3: questions switched on by this post and still empty appear; contact details of a
    question now hidden are not kept."""
    out = page.out
    is_relevant = engine.relevance(page.instrument, state, today=page.today)
    for node in nodes:
        relevant = is_relevant(node, page.entry)
        if isinstance(node, Question) and node.is_contact and not relevant:
            out.contact[node.name] = None
            out.contact_pending.pop(node.name, None)
            out.errors.pop(node.name, None)
        elif relevant and node.name not in shown and _still_empty(page, node, typed):
            out.appeared.append(node.name)


def _mark_incomplete_entries(page: _Page, state: dict[str, Any], complete: bool) -> None:
    if page.entry or not complete:
        return
    out = page.out
    for repeat in repeats(page.group):
        if repeat.name in out.errors or not any(k.startswith(f"{repeat.name}[") for k in out.entry_issues):
            continue
        if engine.is_relevant(page.instrument, repeat, state, today=page.today):
            out.errors[repeat.name] = {"code": "entries_incomplete", "message": None, "params": {}}


def apply_page(
    *,
    instrument: Instrument,
    group: Group,
    raw: dict[str, str | list[str]],
    answers: dict[str, Any],
    today: date,
    meta: dict[str, Any] | None = None,
    contact: dict[str, Any] | None = None,
    entry: Entry = None,
    language: str | None = None,
    region: str = "JP",
    complete: bool = True,
    seen: frozenset[str] = frozenset(),
) -> PageOutcome:
    """Apply a posted page (``group``; for an entry, the repeat group and ``entry=(name, index)``).

    ``answers``/``meta`` are what is saved so far (not changed), ``contact`` the contact details
    already given (kept apart from the answers), ``language`` the page's language (how numbers are
    written), ``complete=False`` checks only what was typed (a button that is not "next"), ``seen`` the
    questions the browser had on screen (its script shows questions at once: they are not new)."""
    known = dict(contact or {})
    new = copy.deepcopy(answers)
    scope = _entry_scope(new, entry)
    page = _Page(instrument, group, entry, today, region, language, scope, copy.deepcopy(new),
                 PageOutcome(answers=new, meta=copy.deepcopy(meta or {})))
    asked = page_questions(group)
    nodes: list[Question | Group] = [*asked, *(repeats(group) if not entry else [])]
    was_relevant = engine.relevance(instrument, _with_contact(answers, known, entry), today=today)
    shown = {n.name for n in nodes if n.name in seen or was_relevant(n, entry)}
    typed = {q.name: clean(raw.get(q.name, [] if q.type == "select_multiple" else "")) for q in asked}
    for question in asked:
        _normalise(page, question, typed[question.name])
    state = _with_contact(new, {**known, **page.out.contact}, entry)
    newly_shown = {n.name for n in nodes if n.name not in shown}
    _validate(page, state, newly_shown, complete)
    _relevance(page, nodes, shown, state, typed)
    _mark_incomplete_entries(page, state, complete)
    return page.out
