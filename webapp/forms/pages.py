"""Pages of an instrument and what posting one does to the answers (pure: no Flask, no database).

A page is a top-level group; its repeat groups (the job history) are edited one entry at a time.
:func:`apply_page` converts what was typed (``instruments.engine.convert_answer``), keeps what could
not be accepted as *pending* beside the answers (nothing typed is lost), validates with
``engine.validate_page`` and tells which questions have just become relevant.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from instruments import engine
from instruments.convert import NOT_ANSWERED
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question

Entry = tuple[str, int] | None


def visible_pages(instrument: Instrument, answers: dict[str, Any], today: date) -> list[Group]:
    """The pages the participant sees, in order (a page whose ``relevant`` is false is skipped)."""
    return [g for g in instrument.groups if engine.is_relevant(instrument, g, answers, today=today)]


def find_page(instrument: Instrument, name: str) -> Group | None:
    return next((g for g in instrument.groups if g.name == name), None)


def items(group: Group) -> list[Question | Group]:
    """A page's questions and repeat groups in order (plain nested groups are flattened)."""
    out: list[Question | Group] = []
    for child in group.children:
        if isinstance(child, Group) and not child.repeat:
            out.extend(items(child))
        else:
            out.append(child)
    return out


def questions(group: Group) -> list[Question]:
    return [node for node in items(group) if isinstance(node, Question)]


def repeats(group: Group) -> list[Group]:
    return [node for node in items(group) if isinstance(node, Group)]


#: Estimated bytes of questions per page part: what stays within the 30 KB page budget once the
#: page's frame, stylesheets and scripts (about 12 KB) are added.
PART_BUDGET = 15_000


def _weight(instrument: Instrument, question: Question, language: str) -> int:
    """Rough bytes a question adds to a page: its texts, its options and their markup."""
    size = 160 + len(instrument.text(question.label, language).encode())
    size += len(instrument.text(question.hint, language).encode()) if question.hint else 0
    for choice in instrument.choice_lists.get(question.choices or "", ()):
        size += 70 + len(instrument.text(choice.label, language).encode())
    return size


def parts(instrument: Instrument, group: Group, language: str, budget: int = PART_BUDGET) -> list[Group]:
    """``group`` cut into consecutive parts that each fit the page budget in ``language`` (a long repeat
    entry in Burmese is two pages on a phone); one part, ``group`` itself, when it fits."""
    chunks: list[list[Question | Group]] = [[]]
    size = 0
    for node in items(group):
        weight = _weight(instrument, node, language) if isinstance(node, Question) else 400
        if chunks[-1] and size + weight > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(node)
        size += weight
    if len(chunks) == 1:
        return [group]
    return [dataclasses.replace(group, children=tuple(chunk)) for chunk in chunks]


def answerable(question: Question) -> bool:
    return question.type not in NOT_ANSWERED


def entry_prefix(entry: Entry) -> str:
    return f"{entry[0]}[{entry[1]}]." if entry else ""


def scope_of(answers: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """The dict holding the page's answers: the answers, or the repeat entry (read only)."""
    if not entry:
        return answers
    entries = answers.get(entry[0])
    if isinstance(entries, list) and 0 <= entry[1] < len(entries) and isinstance(entries[entry[1]], dict):
        return entries[entry[1]]
    return {}


@dataclass
class Outcome:
    answers: dict[str, Any]
    meta: dict[str, Any]
    #: question name -> {"code", "message" (instrument text or None), "params"}
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


#: Longest text kept as typed when it cannot be accepted (what is longer is cut there).
MAX_PENDING = 10_000


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


def apply_page(
    *,
    instrument: Instrument,
    group: Group,
    raw: dict[str, str | list[str]],
    answers: dict[str, Any],
    meta: dict[str, Any],
    contact: dict[str, Any],
    entry: Entry,
    today: date,
    region: str = "JP",
) -> Outcome:
    """Apply a posted page (``group``; for an entry, the repeat group and ``entry=(name, index)``)."""
    new = copy.deepcopy(answers)
    new_meta = copy.deepcopy(meta)
    if entry:
        entries = new.setdefault(entry[0], [])
        if not isinstance(entries, list):
            entries = new[entry[0]] = []
        while len(entries) <= entry[1]:
            entries.append({})
        scope = entries[entry[1]]
    else:
        scope = new
    merged_state = copy.deepcopy(new)
    page_questions = [q for q in questions(group) if answerable(q)]
    page_nodes: list[Question | Group] = [*page_questions, *(repeats(group) if not entry else [])]
    shown = {
        q.name
        for q in page_nodes
        if engine.is_relevant(instrument, q, _with_contact(answers, contact, entry), entry=entry, today=today)
    }
    out = Outcome(answers=new, meta=new_meta)
    for question in page_questions:
        typed = clean(raw.get(question.name, [] if question.type == "select_multiple" else ""))
        path = entry_prefix(entry) + question.name
        if question.is_contact:
            if _empty(typed):
                out.contact[question.name] = None
                continue
        else:
            _drop_meta(new_meta, path)
            if _empty(typed):
                scope.pop(question.name, None)
                continue
        choices = engine.filtered_choices(instrument, question, merged_state, entry=entry, today=today)
        try:
            converted = engine.convert_answer(question, typed, choices=choices, region=region)
        except AnswerError as exc:
            out.errors[question.name] = {"code": exc.code, "message": None, "params": _plain(exc.params)}
            if question.is_contact:
                out.contact_pending[question.name] = typed
                out.contact[question.name] = None
            else:
                scope.pop(question.name, None)
                out.pending[question.name] = typed
            continue
        if question.is_contact:
            out.contact[question.name] = converted.value
            continue
        scope[question.name] = converted.value
        if converted.meta_raw is not None:
            new_meta.setdefault("raw", {})[path] = converted.meta_raw
        for flag in converted.flags:
            new_meta.setdefault("flags", []).append({"path": path, "flag": flag, "detail": ""})
    contact_now = {**contact, **{k: v for k, v in out.contact.items()}}
    state = _with_contact(new, contact_now, entry)
    for key, issue in engine.validate_page(instrument, group, state, today=today, entry=entry).items():
        if "[" in key:
            out.entry_issues[key] = issue.code
            continue
        if key in out.errors:
            continue
        newly_shown = key not in shown and any(n.name == key for n in page_nodes)
        if issue.code in ("required", "repeat_min") and newly_shown:
            out.appeared.append(key)
            continue
        out.errors[key] = {"code": issue.code, "message": issue.message, "params": _plain(issue.params)}
    for question in page_questions:  # contact details of a question now hidden are not kept
        if question.is_contact and not engine.is_relevant(
            instrument, question, state, entry=entry, today=today
        ):
            out.contact[question.name] = None
            out.contact_pending.pop(question.name, None)
            out.errors.pop(question.name, None)
    if not entry:
        for repeat in repeats(group):
            if repeat.name not in out.errors and any(
                k.startswith(f"{repeat.name}[") for k in out.entry_issues
            ):
                if engine.is_relevant(instrument, repeat, state, today=today):
                    out.errors[repeat.name] = {"code": "entries_incomplete", "message": None, "params": {}}
    return out


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


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (int, float, str)) else str(v) for k, v in params.items()}


def remove_entry(
    *, answers: dict[str, Any], meta: dict[str, Any], repeat: str, index: int, page: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answers and metadata without entry ``index`` of ``repeat``; later entries' paths move up."""
    new = copy.deepcopy(answers)
    entries = new.get(repeat)
    if not isinstance(entries, list) or not 0 <= index < len(entries):
        return new, copy.deepcopy(meta)
    del entries[index]
    if not entries:
        new.pop(repeat)

    def moved(path: str) -> str | None:
        head = f"{repeat}["
        if not path.startswith(head):
            return path
        number, _, rest = path[len(head) :].partition("]")
        if not number.isdigit():
            return path
        n = int(number)
        if n == index:
            return None
        return f"{head}{n - 1 if n > index else n}]{rest}"

    new_meta = copy.deepcopy(meta)
    new_meta["raw"] = {p2: v for p, v in meta.get("raw", {}).items() if (p2 := moved(p)) is not None}
    flags = []
    for flag in meta.get("flags", []):
        if isinstance(flag, dict) and isinstance(flag.get("path"), str):
            path = moved(flag["path"])
            if path is None:
                continue
            flag = {**flag, "path": path}
        flags.append(flag)
    new_meta["flags"] = flags
    pending: dict[str, Any] = {}
    prefix = f"{page}/{repeat}/"
    for key, value in meta.get("pending", {}).items():
        number, slash, part = key[len(prefix) :].partition("/")
        if key.startswith(prefix) and number.isdigit():
            n = int(number)  # 1-based entry number in the page key
            if n == index + 1:
                continue
            key = f"{prefix}{n - 1 if n > index + 1 else n}{slash}{part}"
        pending[key] = value
    new_meta["pending"] = pending
    return new, new_meta
