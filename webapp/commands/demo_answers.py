"""Typing a synthetic person's answers into an instrument, as a person types them.

Answers are found for an instrument by its record mappings (never by question names): a career
episode fills the repeat group whose ``record_with`` fits it, a participant's nationality the
question mapped to ``participants.nationality``, and so on; unmapped questions get a random valid
answer, and irrelevant answers are pruned as the form does. What is typed goes through the same
conversion as the form (``instruments.engine.convert_answer``: Zawgyi, era dates, full-width digits).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from instruments.contract import resolve
from instruments.engine import convert_answer, prune_irrelevant, required_missing
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question
from webapp.commands.demo_people import Person
from webapp.services.responses import answer_at

#: "Nothing in particular" as people answer an open question, by language.
_NOTHING = {"en": "nothing special", "ja": "特になし", "vi": "không có gì", "id": "tidak ada", "tl": "wala",
            "my": "ထူးခြားတာ မရှိပါ", "zh-Hans": "没有", "ne": "केही छैन"}

_ZAWGYI: list[Any] = []


def _to_zawgyi(text: str) -> str:
    if not _ZAWGYI:
        import icu

        _ZAWGYI.append(icu.Transliterator.createInstance("my-Zawgyi"))
    return str(_ZAWGYI[0].transliterate(text))


def _era(iso: str, rng: random.Random) -> str:
    """An ISO partial date written as a Japanese era date (令和6年4月, R6.4, H30)."""
    parts = [int(p) for p in iso.split("-")]
    year, month = parts[0], parts[1] if len(parts) > 1 else None
    reiwa = (year, month or 12) >= (2019, 5) and (month is not None or year > 2019)
    if year < 1990 or (year == 2019 and month is None):
        return iso
    number = year - (2018 if reiwa else 1988)
    kanji, letter = ("令和", "R") if reiwa else ("平成", "H")
    if rng.random() < 0.5:
        text = f"{kanji}{'元' if number == 1 else number}年"
        return text + (f"{month}月" if month else "")
    return f"{letter}{number}" + (f".{month}" if month else "")


def _typed(question: Question, value: Any, person: Person, rng: random.Random) -> str | list[str]:
    """What a person types for ``value``: era dates, full-width digits, Zawgyi now and then."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if question.type in ("partial_date", "date"):
        if person.language == "ja" and rng.random() < 0.6:
            return _era(text, rng)
        if rng.random() < 0.1:
            return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    if question.type == "text" and person.language == "my" and rng.random() < 0.5:
        return _to_zawgyi(text)
    if question.type == "integer" and rng.random() < 0.05:
        return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return text


def _choice_for(instrument: Instrument, question: Question, value: Any) -> str | None:
    """The choice whose mapped record value is ``value`` (record_codes and booleans respected)."""
    from workers.records.values import coerce

    if question.record is None:
        return None
    _, column = resolve(question.record)
    for choice in instrument.choice_lists.get(question.choices or "", ()):
        if coerce(choice.name, column, question.record_codes).value == value:
            return choice.name
    return None


def _random_answer(instrument: Instrument, question: Question, rng: random.Random, today: date,
                   language: str = "en") -> str | list[str] | None:
    choices = [c.name for c in instrument.choice_lists.get(question.choices or "", ())]
    if question.type == "select_one":
        return rng.choice(choices) if choices else None
    if question.type == "select_multiple":
        return rng.sample(choices, k=min(len(choices), rng.randint(1, 2))) if choices else None
    if question.type == "integer":
        return str(rng.choice((1, 2, 3, 5, 10, 30, 60)))
    if question.type == "decimal":
        return "1.5"
    if question.type in ("date", "partial_date"):
        return f"{today.year - rng.randint(1, 5)}-{rng.randint(1, 12):02d}" + \
            ("-15" if question.type == "date" else "")
    if question.type == "acknowledge":
        return "OK"
    if question.type == "text" and not question.is_contact:
        return _NOTHING.get(language, "-")
    return None


@dataclass
class _Writer:
    instrument: Instrument
    person: Person
    rng: random.Random
    today: date
    meta: dict[str, Any] = field(default_factory=lambda: {"raw": {}, "flags": []})

    def put(self, scope: dict[str, Any], question: Question, raw: str | list[str] | None, path: str) -> None:
        if raw is None:
            return
        try:
            converted = convert_answer(question, raw, instrument=self.instrument)
        except AnswerError:
            return  # a person would retype; the demo leaves it unanswered
        if converted.value is None:
            return
        scope[question.name] = converted.value
        if converted.meta_raw is not None:
            self.meta["raw"][path] = converted.meta_raw
        self.meta["flags"].extend({"path": path, "flag": f, "detail": str(raw)} for f in converted.flags)

    def value_for(self, question: Question, source: Mapping[str, Any] | None) -> str | list[str] | None:
        if question.record is None or source is None:
            raw = _random_answer(self.instrument, question, self.rng, self.today, self.person.language)
            return _typed(question, raw, self.person, self.rng) if isinstance(raw, str) else raw
        _, column = resolve(question.record)
        value = source.get(column.name)
        if value is None and column.kind == "boolean":
            value = False  # the career says nothing of it: a person answers "no"
        if value is None:
            return None
        if question.type in ("select_one", "select_multiple"):
            return _choice_for(self.instrument, question, value)
        if question.type == "date" and isinstance(value, str) and len(value) < 10:
            value = (value + "-01-01")[:10]  # a date question wants a day: the first of the period
        return _typed(question, value, self.person, self.rng)

    def fill(self, nodes: tuple[Question | Group, ...], scope: dict[str, Any], prefix: str,
             source: Mapping[str, Any] | None) -> None:
        for node in nodes:
            if isinstance(node, Group) and node.repeat:
                self.repeat(node, scope, prefix)
            elif isinstance(node, Group):
                self.fill(node.children, scope, prefix, source)
            elif node.type not in ("note", "calculate", "hidden") and not node.is_contact:
                path = f"{prefix}{node.name}"
                table = node.record.partition(".")[0] if node.record else None
                if table is not None and table not in ("participants", "firms", "episodes"):
                    raw = _random_answer(self.instrument, node, self.rng, self.today)  # fan-out actors etc.
                elif table == "participants":
                    raw = self.value_for(node, self.person.facts)
                elif table == "firms" and not prefix:
                    raw = self.value_for(node, self.person.firm)
                else:
                    raw = self.value_for(node, source)
                self.put(scope, node, raw, path)

    def repeat(self, group: Group, scope: dict[str, Any], prefix: str) -> None:
        if group.record == "episodes":
            sources: list[Mapping[str, Any] | None] = [
                e for e in self.person.episodes if _home(group, e, self)]
            asks_ongoing = any(isinstance(q, Question) and q.record == "episodes.ongoing" for q in group.walk())
            if not asks_ongoing:  # a still-running spell ends "now" where the form cannot say ongoing
                now = f"{self.today.year}-{self.today.month:02d}"
                sources = [dict(e, end=now) if e and e.get("ongoing") and "end" not in e else e for e in sources]
        elif group.record == "firms":
            sources = []
        else:
            sources = [None] * self.rng.randint(0, 3 if group.record == "skill_events" else 1)
        entries: list[dict[str, Any]] = []
        for source in sources[: group.max_count or None]:
            entry: dict[str, Any] = {}
            self.fill(group.children, entry, f"{prefix}{group.name}[{len(entries)}].", source)
            entries.append(entry)
        if entries:
            scope[group.name] = entries


def _home(group: Group, episode: Mapping[str, Any], writer: _Writer) -> bool:
    """Whether ``episode`` belongs in the episodes repeat ``group`` (the best-fitting one)."""
    candidates = [g for g in writer.instrument.walk()
                  if isinstance(g, Group) and g.repeat and g.record == "episodes"]

    def score(g: Group) -> int:  # the repeat whose constant columns all fit, the most specific one
        if any(str(episode.get(k)) != v for k, v in g.record_with.items()):
            return -1
        return 1 + len(g.record_with)

    best = max(candidates, key=score)
    return best is group and score(group) > 0


def answers_for(instrument: Instrument, person: Person, *, rng: random.Random,
                today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers, meta) of ``person`` for ``instrument``, as the form would store them."""
    writer = _Writer(instrument, person, rng, today)
    answers: dict[str, Any] = {}
    writer.fill(tuple(instrument.groups), answers, "", None)
    answers = prune_irrelevant(instrument, answers, today)
    for _ in range(3):  # questions that became required through a random gate answer
        missing = required_missing(instrument, answers, today)
        if not missing:
            break
        for path in missing:
            _fill_path(writer, answers, path)
        answers = prune_irrelevant(instrument, answers, today)
    kept = {f["path"] for f in writer.meta["flags"]} | set(writer.meta["raw"])
    meta = {"raw": {p: r for p, r in writer.meta["raw"].items() if answer_at(answers, p)},
            "flags": [f for f in writer.meta["flags"] if answer_at(answers, f["path"]) and f["path"] in kept]}
    return answers, meta


def _fill_path(writer: _Writer, answers: dict[str, Any], path: str) -> None:
    scope: Any = answers
    *parents, name = path.split(".")
    for part in parents:
        repeat, _, index = part.partition("[")
        entries = scope.get(repeat) if isinstance(scope, dict) else None
        if not isinstance(entries, list) or int(index[:-1]) >= len(entries):
            return
        scope = entries[int(index[:-1])]
    question = next((q for q in writer.instrument.questions() if q.name == name), None)
    if question is not None and isinstance(scope, dict):
        raw = _random_answer(writer.instrument, question, writer.rng, writer.today)
        writer.put(scope, question, raw, path)
