"""The canonical JSON form of an instrument, its fingerprint, and the way back.

The canonical form leaves out locations and the source file: two files with the same content give
the same fingerprint, and a database can refuse a changed instrument under an unchanged id+version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from instruments.model import Choice, Group, Instrument, Question

_SKIP = ("location",)


def _fields(obj: Question | Group) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in _SKIP or f.name == "children":
            continue
        value = getattr(obj, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if f.name != "name" and value == default:
            continue
        out[f.name] = dict(value) if isinstance(value, dict) else value
    return out


def _node(node: Question | Group) -> dict[str, Any]:
    if isinstance(node, Group):
        out = {"kind": "repeat" if node.repeat else "group", **_fields(node)}
        out.pop("repeat", None)
        out["children"] = [_node(child) for child in node.children]
        return out
    return {"kind": "question", **_fields(node)}


def _choice(choice: Choice) -> dict[str, Any]:
    out: dict[str, Any] = {"name": choice.name, "label": dict(choice.label)}
    if choice.extra:
        out["extra"] = dict(choice.extra)
    return out


def to_dict(instrument: Instrument) -> dict[str, Any]:
    """The canonical JSON-able form of ``instrument`` (without file locations)."""
    return {
        "id": instrument.id,
        "version": instrument.version,
        "title": dict(instrument.title),
        "default_language": instrument.default_language,
        "languages": list(instrument.languages),
        "settings": dict(instrument.settings),
        "choices": {name: [_choice(c) for c in choices]
                    for name, choices in sorted(instrument.choice_lists.items())},
        "survey": [_node(group) for group in instrument.groups],
        **({"xlsform": dict(instrument.xlsform)} if instrument.xlsform else {}),
    }


def canonical_json(instrument: Instrument) -> str:
    """``to_dict`` as compact JSON with sorted keys (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(to_dict(instrument), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(instrument: Instrument) -> str:
    """SHA-256 hex digest of the canonical JSON of ``instrument``."""
    return hashlib.sha256(canonical_json(instrument).encode("utf-8")).hexdigest()


def _from_node(data: dict[str, Any]) -> Question | Group:
    data = dict(data)
    kind = data.pop("kind")
    if kind == "question":
        return Question(**data)
    children = tuple(_from_node(child) for child in data.pop("children"))
    return Group(repeat=kind == "repeat", children=children, **data)


def from_dict(data: dict[str, Any]) -> Instrument:
    """Rebuild an instrument from its canonical form (e.g. a version stored in the database)."""
    return Instrument(
        id=data["id"], version=data["version"], title=dict(data["title"]),
        default_language=data["default_language"], languages=tuple(data["languages"]),
        groups=tuple(g for g in (_from_node(n) for n in data["survey"]) if isinstance(g, Group)),
        choice_lists={
            name: tuple(Choice(name=c["name"], label=dict(c["label"]), extra=dict(c.get("extra", {})))
                        for c in choices)
            for name, choices in data["choices"].items()
        },
        settings=dict(data.get("settings", {})), xlsform=dict(data.get("xlsform", {})),
    )
