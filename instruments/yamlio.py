"""A YAML reader that remembers the line of every mapping and reads scalars the YAML 1.2 way.

Only ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay text, so a choice named
``no`` cannot silently become ``False``), and numbers with leading zeros (``"01"``, a prefecture
code) stay text. Duplicate keys are an error instead of a silent overwrite.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from instruments.errors import InstrumentError
from instruments.model import Location


class LineMap(dict[str, Any]):
    """A mapping read from YAML, with its 1-based ``line`` and the raw text of its scalar values."""

    line: int
    raw: dict[str, str]


class _Loader(yaml.SafeLoader):
    file: str = "<text>"


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?|(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+)$"),
    list("-+0123456789"),
)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Any:
    data = LineMap()
    data.line = node.start_mark.line + 1
    data.raw = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise InstrumentError("a mapping key must be a plain word",
                                  Location(loader.file, key_node.start_mark.line + 1))
        key = str(key)
        if key in data:
            where = Location(loader.file, key_node.start_mark.line + 1)
            raise InstrumentError(f"duplicate key {key!r}", where)
        data[key] = loader.construct_object(value_node, deep=True)
        if isinstance(value_node, yaml.ScalarNode):
            data.raw[key] = value_node.value


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def parse_yaml(text: str, *, file: str) -> Any:
    """Parse YAML text into plain data whose mappings are :class:`LineMap` s; raise InstrumentError."""

    class Loader(_Loader):
        pass

    Loader.file = file
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InstrumentError(f"YAML syntax: {exc.problem or exc}", Location(file, line)) from exc
    except yaml.YAMLError as exc:
        raise InstrumentError(f"YAML syntax: {exc}", Location(file)) from exc
