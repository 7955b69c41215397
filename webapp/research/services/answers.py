"""A response as researchers read it: question labels in their language beside the participant's original."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from instruments.model import UPLOAD_TYPES, Choice, Group, Instrument, Question

#: Question types that carry no answer worth showing.
SKIPPED_TYPES = ("note", "hidden")


@dataclass(frozen=True)
class AnswerItem:
    name: str
    label: str  #: the question, in the researcher's language
    value: str  #: the answer, in the researcher's language (choice labels translated)
    original: str | None  #: the answer as the participant saw or typed it, when it differs
    raw: str | None  #: what was typed before normalisation (``meta.raw``: Zawgyi text, era dates)
    flags: list[str] = field(default_factory=list)
    file: str | None = None  #: an upload's key: the page links to its (audited) download


@dataclass(frozen=True)
class RepeatItem:
    name: str
    label: str
    entries: list[list[AnswerItem | RepeatItem]]


def _choice_label(instrument: Instrument, choices: tuple[Choice, ...], name: str, language: str) -> str:
    for choice in choices:
        if choice.name == name:
            return instrument.text(choice.label, language) or name
    return name


def _display(instrument: Instrument, q: Question, value: Any, language: str) -> str:
    choices = instrument.choice_lists.get(q.choices or "", ())
    if q.type == "select_one" and choices:
        return _choice_label(instrument, choices, str(value), language)
    if q.type == "select_multiple" and isinstance(value, list):
        return "; ".join(_choice_label(instrument, choices, str(v), language) for v in value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | dict):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def _items(instrument: Instrument, children: tuple[Question | Group, ...], answers: dict[str, Any],
           meta: dict[str, Any], prefix: str, language: str, form_language: str
           ) -> Iterator[AnswerItem | RepeatItem]:
    raw = meta.get("raw") if isinstance(meta.get("raw"), dict) else {}
    listed = meta.get("flags")
    flags = [f for f in listed if isinstance(f, dict)] if isinstance(listed, list) else []
    for node in children:
        if isinstance(node, Group):
            if node.repeat:
                entries = answers.get(node.name)
                if not isinstance(entries, list) or not entries:
                    continue
                blocks = [list(_items(instrument, node.children, entry, meta, f"{prefix}{node.name}[{i}].",
                                      language, form_language))
                          for i, entry in enumerate(entries) if isinstance(entry, dict)]
                yield RepeatItem(name=node.name, label=instrument.text(node.label, language) or node.name,
                                 entries=blocks)
            else:
                yield from _items(instrument, node.children, answers, meta, prefix, language, form_language)
            continue
        if node.type in SKIPPED_TYPES or node.is_contact or node.name not in answers:
            continue
        value = answers[node.name]
        path = prefix + node.name
        shown = _display(instrument, node, value, language)
        original = _display(instrument, node, value, form_language)
        typed = raw.get(path) if isinstance(raw, dict) else None
        yield AnswerItem(
            name=node.name, label=instrument.text(node.label, language) or node.name, value=shown,
            original=original if original != shown else None,
            raw=str(typed) if typed is not None and str(typed) != original else None,
            flags=[str(f.get("flag")) for f in flags if f.get("path") == path],
            file=str(value) if node.type in UPLOAD_TYPES else None,
        )


def answer_items(*, instrument: Instrument, answers: dict[str, Any], meta: dict[str, Any], language: str,
                 form_language: str) -> list[AnswerItem | RepeatItem]:
    """The answers of one response, in the instrument's order, ready to show (contact questions left out)."""
    return list(_items(instrument, instrument.groups, answers or {}, meta or {}, "", language, form_language))
