"""Load instruments from YAML files (docs/instruments.md) or XLSForm workbooks into the model.

Every object gets a :class:`~instruments.model.Location`; any malformed input raises
:class:`~instruments.errors.InstrumentError` naming the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from instruments.errors import InstrumentError
from instruments.model import Choice, Group, Instrument, Location, Question, Text
from instruments.yamlio import LineMap, parse_yaml

#: Name of the shared choice lists file beside the bundled instruments.
LISTS_FILE = "lists.yaml"
#: Files of the study directory that are not instruments.
NOT_INSTRUMENTS = ("study.yaml", LISTS_FILE)

_TOP_KEYS = {"id", "version", "default_language", "languages", "title", "settings", "choices",
             "choices_include", "survey"}
_QUESTION_KEYS = {"name", "type", "label", "hint", "choices", "choice_filter", "required", "required_message",
                  "relevant", "constraint", "constraint_message", "calculation", "default", "appearance",
                  "contact", "record", "record_with", "record_codes"}
_GROUP_KEYS = {"group", "repeat", "label", "children", "relevant", "min", "max", "repeat_count", "record",
               "record_with"}
_TRUE = {"true", "yes", "true()"}
_FALSE = {"false", "no", "false()", ""}


class _Reader:
    """Turns the parsed YAML of one file into model objects."""

    def __init__(self, file: str) -> None:
        self.file = file

    def loc(self, data: Any) -> Location:
        return Location(self.file, getattr(data, "line", None))

    def fail(self, message: str, data: Any) -> InstrumentError:
        return InstrumentError(message, self.loc(data))

    def mapping(self, data: Any, what: str, where: Any) -> LineMap:
        if not isinstance(data, LineMap):
            raise self.fail(f"{what} must be a mapping", where)
        return data

    def keys(self, data: LineMap, allowed: set[str], what: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(unknown)} in {what}", data)

    def string(self, data: LineMap, key: str, *, required: bool = False) -> str | None:
        """A scalar as written in the file (``01`` stays ``01``, ``2026.10`` stays ``2026.10``)."""
        if key not in data or data[key] is None:
            if required:
                raise self.fail(f"missing {key!r}", data)
            return None
        value = data[key]
        if isinstance(value, dict | list):
            raise self.fail(f"{key!r} must be a single value", data)
        if isinstance(value, bool):
            return "true" if value else "false"
        return data.raw.get(key, str(value)) if not isinstance(value, str) else value

    def text(self, data: LineMap, key: str, default_language: str) -> Text:
        value = data.get(key)
        if value is None:
            return {}
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return {default_language: str(value)}
        if not isinstance(value, LineMap):
            raise self.fail(f"{key!r} must be a text or a mapping language -> text", data)
        out: Text = {}
        for lang, text in value.items():
            if text is None:
                continue
            if isinstance(text, dict | list | bool):
                raise self.fail(f"{key}.{lang} must be a text", value)
            out[lang] = value.raw.get(lang, str(text)) if not isinstance(text, str) else text
        return out

    def str_map(self, data: LineMap, key: str) -> dict[str, str]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, LineMap):
            raise self.fail(f"{key!r} must be a mapping", data)
        out = {}
        for k in value:
            v = self.string(value, k)
            if v is None:
                raise self.fail(f"{key}.{k} needs a value", value)
            out[k] = v
        return out

    def required(self, data: LineMap) -> bool | str:
        value = data.get("required", False)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        if not isinstance(value, str):
            raise self.fail("'required' must be true, false or an expression", data)
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return value

    def count(self, data: LineMap, key: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{key!r} must be a whole number >= 0", data)
        return value

    def choice_lists(self, data: Any, lang: str, where: Any) -> dict[str, tuple[Choice, ...]]:
        lists = self.mapping(data, "'choices'", where)
        out: dict[str, tuple[Choice, ...]] = {}
        for list_name, items in lists.items():
            if not isinstance(items, list):
                raise self.fail(f"choice list {list_name!r} must be a list of choices", lists)
            choices = []
            for item in items:
                item = self.mapping(item, f"a choice of {list_name!r}", lists)
                name = self.string(item, "name", required=True)
                if name is None:  # unreachable: required=True raises
                    raise self.fail("a choice needs a 'name'", item)
                extra = {k: self.string(item, k) or "" for k in item if k not in ("name", "label")}
                choices.append(Choice(name=name, label=self.text(item, "label", lang), extra=extra,
                                      location=self.loc(item)))
            out[list_name] = tuple(choices)
        return out

    def node(self, data: Any, lang: str, where: Any) -> Question | Group:
        data = self.mapping(data, "a survey item", where)
        if "group" in data or "repeat" in data:
            return self.group(data, lang)
        if "name" not in data:
            raise self.fail("a survey item needs 'name' (a question), 'group' or 'repeat'", data)
        return self.question(data, lang)

    def group(self, data: LineMap, lang: str) -> Group:
        if "group" in data and "repeat" in data:
            raise self.fail("an item is either a 'group' or a 'repeat', not both", data)
        repeat = "repeat" in data
        self.keys(data, _GROUP_KEYS, "a repeat" if repeat else "a group")
        name = self.string(data, "repeat" if repeat else "group", required=True)
        if name is None:  # unreachable: required=True raises
            raise self.fail("a group needs a name", data)
        if not repeat:
            for key in ("min", "max", "repeat_count"):
                if key in data:
                    raise self.fail(f"{key!r} is only for a repeat", data)
        children = data.get("children")
        if not isinstance(children, list) or not children:
            raise self.fail(f"{name!r} needs a non-empty list of 'children'", data)
        return Group(
            name=name, label=self.text(data, "label", lang),
            children=tuple(self.node(child, lang, data) for child in children),
            relevant=self.string(data, "relevant"), repeat=repeat,
            min_count=self.count(data, "min"), max_count=self.count(data, "max"),
            repeat_count=self.string(data, "repeat_count"), record=self.string(data, "record"),
            record_with=self.str_map(data, "record_with"), location=self.loc(data),
        )

    def question(self, data: LineMap, lang: str) -> Question:
        self.keys(data, _QUESTION_KEYS, "a question")
        name = self.string(data, "name", required=True)
        qtype = self.string(data, "type", required=True)
        if name is None or qtype is None:  # unreachable: required=True raises
            raise self.fail("missing 'name' or 'type'", data)
        choices = self.string(data, "choices")
        head, _, rest = qtype.strip().partition(" ")
        if head in ("select_one", "select_multiple") and rest.strip():
            if choices is not None and choices != rest.strip():
                raise self.fail(f"type names list {rest.strip()!r} but 'choices' is {choices!r}", data)
            qtype, choices = head, rest.strip()
        contact = data.get("contact", False)
        if not isinstance(contact, bool):
            raise self.fail("'contact' must be true or false", data)
        return Question(
            name=name, type=qtype, label=self.text(data, "label", lang), hint=self.text(data, "hint", lang),
            choices=choices, choice_filter=self.string(data, "choice_filter"), required=self.required(data),
            required_message=self.text(data, "required_message", lang),
            relevant=self.string(data, "relevant"),
            constraint=self.string(data, "constraint"),
            constraint_message=self.text(data, "constraint_message", lang),
            calculation=self.string(data, "calculation"), default=self.string(data, "default"),
            appearance=self.string(data, "appearance"), contact=contact, record=self.string(data, "record"),
            record_with=self.str_map(data, "record_with"), record_codes=self.str_map(data, "record_codes"),
            location=self.loc(data),
        )


def _included_lists(names: Any, base_dir: Path | None, lang: str, where: LineMap,
                    reader: _Reader) -> dict[str, tuple[Choice, ...]]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise reader.fail("'choices_include' must be a list of choice list names", where)
    if base_dir is None:
        raise reader.fail("'choices_include' needs a file: the lists come from lists.yaml beside it", where)
    path = base_dir / LISTS_FILE
    if not path.is_file():
        raise reader.fail(f"'choices_include' needs {path}, which does not exist", where)
    lists_reader = _Reader(str(path))
    parsed = parse_yaml(path.read_text(encoding="utf-8"), file=str(path))
    data = lists_reader.mapping(parsed, "lists.yaml", None)
    lists_reader.keys(data, {"choices"}, "lists.yaml")
    shared = lists_reader.choice_lists(data.get("choices"), lang, data)
    missing = [n for n in names if n not in shared]
    if missing:
        raise reader.fail(f"choice list(s) {', '.join(missing)} not in {path}", where)
    return {n: shared[n] for n in names}


def load_text(text: str, *, source: str, base_dir: str | Path | None = None) -> Instrument:
    """Load an instrument from YAML ``text``; ``source`` names it in locations.

    ``base_dir`` is where ``choices_include`` finds ``lists.yaml`` (default: the directory of
    ``source`` when that is an existing file path).
    """
    reader = _Reader(source)
    data = reader.mapping(parse_yaml(text, file=source), "an instrument file", None)
    reader.keys(data, _TOP_KEYS, "the instrument")
    ident = reader.string(data, "id", required=True)
    version = reader.string(data, "version", required=True)
    lang = reader.string(data, "default_language", required=True)
    if ident is None or version is None or lang is None:  # unreachable: required=True raises
        raise reader.fail("missing 'id', 'version' or 'default_language'", data)
    languages = data.get("languages", [lang])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages) or not languages:
        raise reader.fail("'languages' must be a list of language tags", data)
    if languages[0] != lang:
        raise reader.fail("'languages' must start with the default language", data)
    survey = data.get("survey")
    if not isinstance(survey, list) or not survey:
        raise reader.fail("'survey' must be a non-empty list of pages", data)
    groups = []
    for item in survey:
        node = reader.node(item, lang, data)
        if not isinstance(node, Group):
            raise reader.fail("a top-level survey item must be a 'group' (a page) or a 'repeat'", item)
        groups.append(node)
    lists: dict[str, tuple[Choice, ...]] = {}
    if data.get("choices_include") is not None:
        if base_dir is None and Path(source).is_file():
            base_dir = Path(source).parent
        lists.update(_included_lists(data["choices_include"], Path(base_dir) if base_dir else None, lang,
                                     data, reader))
    if data.get("choices") is not None:
        lists.update(reader.choice_lists(data["choices"], lang, data))
    return Instrument(
        id=ident, version=version, title=reader.text(data, "title", lang), default_language=lang,
        languages=tuple(languages), groups=tuple(groups), choice_lists=lists,
        settings=reader.str_map(data, "settings"), source=source,
    )


def load(path: str | Path) -> Instrument:
    """Load an instrument from a YAML file or an XLSForm (``.xlsx``, ``.xls``, or pyxform's ``.md``)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".md"):
        from instruments.xlsform import read_xlsform

        return read_xlsform(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError(f"cannot read: {exc}", Location(str(path))) from exc
    return load_text(text, source=str(path), base_dir=path.parent)


def bundled_dir() -> Path:
    """The directory of the bundled study's instruments."""
    return Path(__file__).parent / "study"


def bundled_paths() -> list[Path]:
    """The bundled instrument files, sorted (study.yaml and lists.yaml are not instruments)."""
    return sorted(p for p in bundled_dir().glob("*.yaml") if p.name not in NOT_INSTRUMENTS)


def load_bundled() -> dict[str, Instrument]:
    """Load every bundled instrument, keyed by instrument id."""
    out: dict[str, Instrument] = {}
    for path in bundled_paths():
        instrument = load(path)
        if instrument.id in out:
            raise InstrumentError(f"instrument id {instrument.id!r} used twice", Location(str(path)))
        out[instrument.id] = instrument
    return out
