"""Pages of an instrument: which pages there are and are shown, their questions and repeat groups,
their parts, and removing a repeat entry (pure: no Flask, no database).

A page is a top-level group; its repeat groups (the job history) are edited one entry at a time.
What posting a page does is :mod:`webapp.forms.page_service`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import secrets
import threading
import weakref
from datetime import date
from typing import Any

from instruments import engine
from instruments.convert import NOT_ANSWERED
from instruments.model import Group, Instrument, Question
from webapp.forms.builder import RADIO_LIMIT

Entry = tuple[str, int] | None


def visible_pages(instrument: Instrument, answers: dict[str, Any], today: date) -> list[Group]:
    """The pages the participant sees, in order (a page whose ``relevant`` is false is skipped)."""
    relevant = engine.relevance(instrument, answers, today=today)
    return [g for g in instrument.groups if relevant(g)]


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


#: Estimated bytes of questions per page part: what keeps a page within 15 kB (bench/page_weight.py) once
#: the page's frame (header, language links, buttons; about 3.3 kB in Burmese or Khmer), stylesheets (3.9 kB)
#: and scripts (form.js and rules-lite.js, 4.1 kB) are added.
PART_BUDGET = 3_300
#: Entries of a repeat group counted for its list's weight on the page.
LISTED_ENTRIES = 3


def _weight(instrument: Instrument, question: Question, language: str) -> int:
    """Rough bytes a question adds to a page: its texts, its options and their markup (_fields.html: an
    option of a drop-down list is short, a radio button or checkbox carries the question's name)."""
    size = 100 + 4 * len(question.name) + len(instrument.text(question.label, language).encode())
    size += len(instrument.text(question.hint, language).encode()) if question.hint else 0
    choices = instrument.choice_lists.get(question.choices or "", ())
    listed = question.type == "select_one" and (
        len(choices) > RADIO_LIMIT or bool(question.appearance and "minimal" in question.appearance))
    for choice in choices:
        size += (20 if listed else 50 + len(question.name)) + len(choice.name)
        size += len(instrument.text(choice.label, language).encode())
    return size


def _list_weight(instrument: Instrument, repeat: Group, language: str) -> int:
    """Rough bytes of a repeat group's list on its page: a few entries, each a summary with Edit and Remove
    (both naming the entry for screen readers)."""
    label = len(instrument.text(repeat.label, language).encode())
    return 300 + label + LISTED_ENTRIES * (350 + 2 * label)


def parts(instrument: Instrument, group: Group, language: str, budget: int = PART_BUDGET) -> list[Group]:
    """``group`` cut into consecutive parts that each fit the page budget in ``language`` (a long repeat
    entry in Burmese is two pages on a phone); one part, ``group`` itself, when it fits. Worked out once per
    process for each group, language and budget (an instrument is immutable; every page request asks)."""
    cache = per_instrument(_PARTS, instrument)
    hit = cache.get((id(group), language, budget))
    if hit is not None and hit[0] is group:  # the group is held by the entry, so its id is not another's
        return list(hit[1])
    found = _parts(instrument, group, language, budget)
    if len(cache) < _PARTS_PER_INSTRUMENT:
        cache[(id(group), language, budget)] = (group, found)
    return list(found)


_Store = dict[int, tuple["weakref.ref[Instrument]", dict[Any, Any]]]
_STORE_LOCK = threading.Lock()


def per_instrument(store: _Store, instrument: Instrument) -> dict[Any, Any]:
    """The cache of ``instrument`` in ``store`` (keyed by its id, checked against a weak reference, since an id
    can be reused; dropped when the instrument goes). A loaded instrument never changes, so what is derived
    from it is worked out once per process (``rows.shown``, :func:`parts`)."""
    known = store.get(id(instrument))
    if known is None or known[0]() is not instrument:
        key = id(instrument)
        with _STORE_LOCK:
            known = (weakref.ref(instrument, lambda _ref: store.pop(key, None)), {})
            store[key] = known
    return known[1]


#: :func:`parts` of an instrument's groups: (id(group), language, budget) -> (group, parts); bounded per
#: instrument (groups made on the fly are cached too).
_PARTS: _Store = {}
_PARTS_PER_INSTRUMENT = 4096


def entry_query(page: Group | None, repeat: str) -> str | None:
    """The ``r`` of an entry link of ``repeat`` on ``page``: none for the page's first repeat (the entry route's
    default, intake_routes._entry_at), else the repeat's name."""
    first = next(iter(repeats(page)), None) if page is not None else None
    return None if first is not None and first.name == repeat else repeat


def _parts(instrument: Instrument, group: Group, language: str, budget: int) -> list[Group]:
    chunks: list[list[Question | Group]] = [[]]
    size = 0
    for node in items(group):
        weight = _weight(instrument, node, language) if isinstance(node, Question) else _list_weight(
            instrument, node, language)
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


#: Where a draft keeps the stable ids of its repeat entries: ``meta[ENTRY_IDS][repeat]``, one per entry, in order.
ENTRY_IDS = "entry_ids"
#: What an entry id looks like (a form's ``_entry`` field is read only when it matches).
ENTRY_ID = re.compile(r"[0-9a-f]{12}")


def new_entry_id() -> str:
    return secrets.token_hex(6)


def _all_ids(meta: dict[str, Any]) -> dict[str, Any]:
    kept = meta.get(ENTRY_IDS)
    return kept if isinstance(kept, dict) else {}


def _kept_ids(meta: dict[str, Any], repeat: str) -> list[str]:
    """The ids the draft keeps for ``repeat``'s entries as stored ("" for one that is not an id)."""
    kept = _all_ids(meta).get(repeat)
    return [i if isinstance(i, str) and ENTRY_ID.fullmatch(i) else "" for i in kept] if isinstance(kept, list) else []


def entry_ids(answers: dict[str, Any], meta: dict[str, Any], repeat: str) -> list[str]:
    """The stable ids of ``repeat``'s entries, one per entry in order (a copy).

    An entry keeps its id while others are added, removed or put back (Undo), so a form opened for an
    entry saves into that entry wherever it is now; entries saved before ids existed get new ones.
    """
    entries = answers.get(repeat)
    count = len(entries) if isinstance(entries, list) else 0
    ids = _kept_ids(meta, repeat)[:count]
    ids += [""] * (count - len(ids))
    seen: set[str] = set()
    for index, found in enumerate(ids):
        if not found or found in seen:
            ids[index] = found = new_entry_id()
        seen.add(found)
    return ids


def saved_entry_id(meta: dict[str, Any], repeat: str, index: int) -> str:
    """The id the draft keeps for entry ``index`` of ``repeat`` (as :func:`entry_ids` gives it), or "" (saved
    before ids existed; a form without an id saves by position)."""
    ids = _kept_ids(meta, repeat)
    found = ids[index] if 0 <= index < len(ids) else ""
    return found if found and ids.index(found) == index else ""


def with_entry_ids(meta: dict[str, Any], repeat: str, ids: list[str]) -> dict[str, Any]:
    """``meta`` with ``ids`` as the ids of ``repeat``'s entries."""
    return {**meta, ENTRY_IDS: {**_all_ids(meta), repeat: list(ids)}}


@dataclasses.dataclass(frozen=True)
class EntrySlot:
    """Where a posted entry form saves: ``index`` in the repeat's entries (``count`` = a new entry at the end),
    the entry's id, and ``gone`` when the form was opened for an entry removed since (kept as a new one)."""

    index: int
    entry_id: str
    gone: bool = False


def place_entry(*, ids: list[str], n: int, posted_id: str, opened_new: bool) -> EntrySlot:
    """The slot of a posted entry form opened for entry ``n`` (1-based), by the id it carries.

    The id wins over the position: the entry with that id, wherever it is now (a replayed or repeated post
    of a new entry saves into the entry its first post made, never a second one); an id no entry has is a
    new entry at the end, whether the form was opened as a new entry (another window may have added one at
    its position meanwhile) or for an entry removed since. A form without an id (opened before ids existed)
    saves by position as before.
    """
    if ENTRY_ID.fullmatch(posted_id):
        if posted_id in ids:
            return EntrySlot(ids.index(posted_id), posted_id)
        return EntrySlot(len(ids), posted_id, gone=not opened_new)
    if opened_new or not 1 <= n <= len(ids):
        return EntrySlot(len(ids), new_entry_id())
    return EntrySlot(n - 1, ids[n - 1])


def _moved_flags(flags: list[Any], moved: Any) -> list[Any]:
    out = []
    for flag in flags:
        if isinstance(flag, dict) and isinstance(flag.get("path"), str):
            path = moved(flag["path"])
            if path is None:
                continue
            flag = {**flag, "path": path}
        out.append(flag)
    return out


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
    new_meta["flags"] = _moved_flags(meta.get("flags", []), moved)
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
    ids = entry_ids(answers, meta, repeat)
    del ids[index]
    return new, with_entry_ids(new_meta, repeat, ids)
