"""Synthetic participants for trying and measuring the platform without real people.

``keireki demo seed --study S --participants N [--seed K]`` makes technical interns, self-initiated
expatriates and SME managers (in the study's quota proportions) with plausible careers: 0-12
episodes, partial dates, several languages, Burmese typed in Zawgyi, Japanese era dates, and a few
deliberate quality problems (overlapping spells, long gaps, a job before 15). Their answers are
*typed* like a person types them and go through the same conversion as the form
(``instruments.engine.convert_answer``: Zawgyi, era dates, full-width digits) and then through the
submission service, so the pipeline, the dashboard and the exports see what real data looks like.

Answers are found for an instrument by its record mappings (never by question names): a career
episode fills the repeat group whose ``record_with`` fits it, a participant's nationality the
question mapped to ``participants.nationality``, and so on; unmapped questions get a random valid
answer, and irrelevant answers are pruned as the form does.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
from flask.cli import with_appcontext

from instruments.contract import resolve
from instruments.engine import convert_answer, prune_irrelevant, required_missing
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question

#: Nationality -> (weight among interns, form language); Vietnam is by far the largest group.
TI_ORIGINS = {"VNM": (50, "vi"), "IDN": (15, "id"), "PHL": (10, "tl"), "MMR": (10, "my"),
              "CHN": (8, "zh-Hans"), "NPL": (7, "ne")}
SIE_ORIGINS = {"CHN": (30, "zh-Hans"), "VNM": (20, "vi"), "USA": (10, "en"), "IND": (10, "en"),
               "PHL": (10, "en"), "IDN": (10, "id"), "NPL": (10, "ne")}
_FIRMS = ("Sato Kogyo", "Yamada Seimitsu", "株式会社中村製作所", "Kobayashi Foods", "Tanaka Kensetsu",
          "Hokuriku Textile", "有限会社鈴木農園", "Osaka Denki", "Tokai Plastics", "Kyushu Care Service")
#: "Nothing in particular" as people answer an open question, by language.
_NOTHING = {"en": "nothing special", "ja": "特になし", "vi": "không có gì", "id": "tidak ada", "tl": "wala",
            "my": "ထူးခြားတာ မရှိပါ", "zh-Hans": "没有", "ne": "केही छैन"}
_TITLES = {"vi": "công nhân hàn", "id": "operator mesin", "tl": "welder", "zh-Hans": "机械操作员",
           "ne": "मेसिन अपरेटर", "en": "software engineer", "ja": "製造スタッフ", "my": "စက်ရုံ အလုပ်သမား"}
#: Industries of intern and SIE jobs (JSIC divisions) with employee counts to draw from.
_TI_INDUSTRIES = ("E", "E", "E", "D", "A", "M", "P")
_SIE_INDUSTRIES = ("G", "G", "E", "I", "L", "O", "K")


@dataclass
class Person:
    """A synthetic participant at the level of the records contract (what the answers should say)."""

    ptype: str
    language: str
    facts: dict[str, Any]                       #: participants.* values
    episodes: list[dict[str, Any]] = field(default_factory=list)   #: episodes.* values and inputs
    firm: dict[str, Any] = field(default_factory=dict)             #: firms.* values (managers)
    problems: list[str] = field(default_factory=list)              #: deliberate quality problems


def _weighted(rng: random.Random, table: Mapping[str, tuple[int, str]]) -> tuple[str, str]:
    code = rng.choices(list(table), weights=[w for w, _ in table.values()])[0]
    return code, table[code][1]


def _month(year: int, month: int, plus: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + plus
    return index // 12, index % 12 + 1


def _date(rng: random.Random, ym: tuple[int, int]) -> str:
    """A partial date as people know it: mostly the month, sometimes only the year or the day."""
    roll = rng.random()
    if roll < 0.2:
        return f"{ym[0]}"
    if roll < 0.9:
        return f"{ym[0]}-{ym[1]:02d}"
    return f"{ym[0]}-{ym[1]:02d}-{rng.randint(1, 28):02d}"


def _spell(rng: random.Random, kind: str, start: tuple[int, int], months: int, today: date,
           **values: Any) -> tuple[dict[str, Any], tuple[int, int]]:
    end = _month(*start, months - 1)
    ongoing = end >= (today.year, today.month)
    episode = {"kind": kind, "start": _date(rng, start), "ongoing": ongoing, **values}
    if not ongoing:
        episode["end"] = _date(rng, end)
    return episode, _month(*end, 1)


def _ti_career(rng: random.Random, person: Person, today: date) -> None:
    born = person.facts["birth_year"]
    home = person.facts["nationality"]
    at = (born + rng.randint(17, 22), rng.randint(1, 12))
    if rng.random() < 0.6:
        ep, at = _spell(rng, "job", at, rng.randint(6, 40), today, country=home, occupation="8")
        person.episodes.append(ep)
        if ep["ongoing"]:
            return
    ep, at = _spell(rng, "pre_departure_training", at, rng.randint(4, 9), today, country=home)
    person.episodes.append(ep)
    if ep["ongoing"]:
        return
    firm = rng.choice(_FIRMS)
    size = rng.choice((8, 15, 35, 60, 120, 400))
    industry = rng.choice(_TI_INDUSTRIES)
    job = {"employer_name": firm, "employer_employees": size, "industry": industry, "occupation": "7",
           "prefecture": f"{rng.randint(1, 47):02d}", "ti_type": "b", "entry_route": "supervising_org",
           "employment_type": "fixed_term", "country": "JPN"}
    for status, months, chance in (("ti_1", 12, 1.0), ("ti_2", 24, 0.75), ("ti_3", 24, 0.3)):
        if rng.random() > chance or (at[0], at[1]) > (today.year, today.month):
            break
        ep, at = _spell(rng, "job", at, months, today, residence_status=status, **job)
        person.episodes.append(ep)
    if person.episodes[-1]["ongoing"] or (at[0], at[1]) > (today.year, today.month):
        return
    roll = rng.random()
    if roll < 0.45:
        same = rng.random() < 0.7
        ssw = {**job, "ti_type": None, "employment_type": "regular", "entry_route": "direct_hire"}
        if not same:
            ssw["employer_name"] = rng.choice(_FIRMS)
        ep, at = _spell(rng, "job", at, rng.randint(12, 60), today, residence_status="ssw_1", **ssw)
        person.episodes.append(ep)
    elif roll < 0.85:
        subsidiary = rng.random() < 0.25
        ep, at = _spell(rng, "job", at, rng.randint(6, 48), today, country=home, occupation="7",
                        overseas_subsidiary=subsidiary,
                        employer_name=f"{firm} {home}" if subsidiary else None)
        person.episodes.append(ep)


def _sie_career(rng: random.Random, person: Person, today: date) -> None:
    born = person.facts["birth_year"]
    home = person.facts["nationality"]
    at = (born + 18, 9)
    ep, at = _spell(rng, "study", at, 46, today, country=home)
    person.episodes.append(ep)
    if rng.random() < 0.5:
        ep, at = _spell(rng, "job", _month(*at, rng.randint(0, 4)), rng.randint(12, 36), today, country=home,
                        occupation="2")
        person.episodes.append(ep)
    if rng.random() < 0.3:
        ep, at = _spell(rng, "study", at, 24, today, country="JPN", residence_status="student")
        person.episodes.append(ep)
    employer = None
    for _ in range(rng.randint(1, 4)):
        if (at[0], at[1]) > (today.year, today.month):
            break
        promoted = employer is not None and rng.random() < 0.3
        employer = employer if promoted else rng.choice(_FIRMS)
        ep, at = _spell(rng, "job", at, rng.randint(10, 50), today, country="JPN", residence_status="eng_hum",
                        employer_name=employer, employer_employees=rng.choice((30, 90, 250, 1200)),
                        industry=rng.choice(_SIE_INDUSTRIES), occupation=rng.choice("1223"),
                        prefecture=rng.choice(("13", "14", "23", "27", "40")), entry_route="direct_hire",
                        employment_type="regular", promotion=promoted)
        person.episodes.append(ep)
        if ep["ongoing"]:
            break
        at = _month(*at, rng.choice((0, 0, 1, 3)))


def _problems(rng: random.Random, person: Person) -> None:
    """A few deliberate quality problems the form cannot refuse (about one participant in eight)."""
    jobs = [e for e in person.episodes if e["kind"] == "job"]
    if len(person.episodes) >= 2 and rng.random() < 0.06:
        later = person.episodes[-1]
        later["start"] = str(int(later["start"][:4]) - 1) + later["start"][4:]
        person.problems.append("overlap")
    if len(person.episodes) >= 2 and rng.random() < 0.05:
        for episode in person.episodes[:-1]:  # everything before the last spell two years earlier
            for key in ("start", "end"):
                if key in episode:
                    episode[key] = str(int(episode[key][:4]) - 2) + episode[key][4:]
        person.problems.append("gap_over_12_months")
    if jobs and rng.random() < 0.03:
        person.facts["birth_year"] = int(jobs[0]["start"][:4]) - 14
        person.problems.append("under_15_at_start")


def make_person(rng: random.Random, ptype: str, today: date) -> Person:
    """One synthetic participant of ``ptype`` (``ti``, ``sie`` or ``manager``)."""
    if ptype == "manager":
        person = Person("manager", "ja", {"nationality": "JPN", "birth_year": rng.randint(1950, 1985),
                                          "gender": rng.choice(("male", "male", "female"))})
        employees = rng.choice((6, 18, 45, 120, 280, 650))
        person.firm = {"firm_name": rng.choice(_FIRMS), "industry": rng.choice(_TI_INDUSTRIES),
                       "prefecture": f"{rng.randint(1, 47):02d}", "employees": employees,
                       "capital_band": rng.choice(("lt_10m", "10m_50m", "50m_100m", "100m_300m", "gt_300m")),
                       "n_ti": rng.randint(0, 20), "n_ssw": rng.randint(0, 8), "n_sie": rng.randint(0, 4),
                       "uses_supervising_org": rng.random() < 0.8,
                       "has_overseas_subsidiary": rng.random() < 0.2, "retains_ti_as_ssw": rng.random() < 0.5,
                       "hires_for_subsidiary": rng.random() < 0.1}
        return person
    nationality, language = _weighted(rng, TI_ORIGINS if ptype == "ti" else SIE_ORIGINS)
    facts = {"nationality": nationality, "gender": rng.choice(("female", "male", "male", "undisclosed")),
             "birth_year": rng.randint(1988, 2004) if ptype == "ti" else rng.randint(1975, 1999),
             "education_level": rng.choice("2334") if ptype == "ti" else rng.choice("667"),
             "japanese_level": rng.choice(("n5", "n4", "n4", "n3", "none")) if ptype == "ti"
             else rng.choice(("n1", "n2", "n2", "n3"))}
    person = Person(ptype, language, facts)
    (_ti_career if ptype == "ti" else _sie_career)(rng, person, today)
    if rng.random() < 0.04:
        person.episodes.clear()  # someone who answered no career question at all: 0 episodes
    for episode in person.episodes:
        episode["job_title"] = _TITLES.get(language, _TITLES["en"])
    _problems(rng, person)
    return person


# -- typing the answers into an instrument ------------------------------------------------------------

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
    meta = {"raw": {p: r for p, r in writer.meta["raw"].items() if _present(answers, p)},
            "flags": [f for f in writer.meta["flags"] if _present(answers, f["path"]) and f["path"] in kept]}
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


def _present(answers: Mapping[str, Any], path: str) -> bool:
    scope: Any = answers
    for part in path.split("."):
        name, _, index = part.partition("[")
        if not isinstance(scope, Mapping) or name not in scope:
            return False
        scope = scope[name]
        if index:
            if not isinstance(scope, list) or int(index[:-1]) >= len(scope):
                return False
            scope = scope[int(index[:-1])]
    return True


# -- seeding through the submission services -----------------------------------------------------------

@dataclass
class SeedOutcome:
    """What ``seed`` made: participant ids by type and the deliberate problems it planted."""

    participant_ids: list[int] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)
    skipped_types: list[str] = field(default_factory=list)


def seed(*, session: Any, study: Any, participants: int, seed: int, now: Any,
         progress: Any = None) -> SeedOutcome:
    """Create ``participants`` synthetic participants in ``study`` through the submission services
    (create, consent, save the intake draft, submit: which queues their conversion). Deterministic
    for a given ``seed`` and date. ``progress(n)`` is called after each participant."""
    from webapp.models import InstrumentVersion
    from webapp.services import responses
    from webapp.services.studies import current_version, instrument_of

    rng = random.Random(seed)
    outcome = SeedOutcome()
    consent_id = study.steps.get("consent")
    consent = current_version(session=session, study_id=study.id, instrument_id=consent_id) \
        if consent_id else None
    types = [t for t in ("ti", "sie", "manager")
             if current_version(session=session, study_id=study.id,
                                instrument_id=responses.intake_id(study, t) or "") is not None]
    outcome.skipped_types = [t for t in ("ti", "sie", "manager") if t not in types]
    if not types:
        raise LookupError(f"study {study.slug!r} has no intake instrument loaded")
    weights = [max(1, int(study.quotas.get(t, 1))) for t in types]
    for _ in range(participants):
        ptype = rng.choices(types, weights=weights)[0]
        for _attempt in range(5):
            person = make_person(rng, ptype, now.date())
            language = person.language if person.language in study.languages else study.default_language
            created = responses.create_participant(session=session, study=study, participant_type=ptype,
                                                   language=language, channel_code=None, now=now).participant
            if consent is not None:
                responses.record_consent(session=session, participant=created, version=consent,
                                         language=language, withdrawal_data="keep", now=now)
            draft = responses.open_draft(session=session, participant=created, now=now)
            assert draft is not None
            version = session.get(InstrumentVersion, draft.instrument_version_id)
            answers, meta = answers_for(instrument_of(version), person, rng=rng, today=now.date())
            responses.save_page(session=session, draft=draft, answers=answers, meta=meta, page=None, now=now)
            try:
                responses.submit_response(session=session, participant=created, draft=draft, now=now)
            except responses.IncompleteError:
                continue  # e.g. no job at all where the form asks for one: a person could not submit that
            break
        assert created.id is not None
        outcome.participant_ids.append(created.id)
        outcome.by_type[ptype] = outcome.by_type.get(ptype, 0) + 1
        for problem in person.problems:
            outcome.problems[problem] = outcome.problems.get(problem, 0) + 1
        if progress is not None:
            progress(1)
    return outcome


@click.group("demo")
def demo_group() -> None:
    """Synthetic data for trying and measuring the platform (registered by webapp/cli.py)."""


@demo_group.command("seed")
@click.option("--study", "study_slug", default="sme-careers", show_default=True, help="The study's slug.")
@click.option("--participants", default=50, show_default=True, type=click.IntRange(1))
@click.option("--seed", "seed_value", default=1, show_default=True, help="Same seed, same people.")
@click.option("--inline", is_flag=True, help="Also convert their records now, in this process.")
@with_appcontext
def seed_command(study_slug: str, participants: int, seed_value: int, inline: bool) -> None:
    """Create synthetic participants of all three types, submitted like real ones."""
    from sqlmodel import select

    from webapp.db import db_session
    from webapp.models import Study, utcnow

    session = db_session()
    study = session.exec(select(Study).where(Study.slug == study_slug)).first()
    if study is None:
        raise click.BadParameter(f"no study {study_slug!r} (run `keireki setup`)", param_hint="--study")
    with click.progressbar(length=participants, label="seeding") as bar:
        outcome = seed(session=session, study=study, participants=participants, seed=seed_value,
                       now=utcnow(), progress=bar.update)
    made = ", ".join(f"{n} {t}" for t, n in sorted(outcome.by_type.items()))
    click.echo(f"created {len(outcome.participant_ids)} participants ({made}); "
               f"planted problems: {outcome.problems or 'none'}")
    if outcome.skipped_types:
        click.echo(f"no intake instrument for: {', '.join(outcome.skipped_types)}")
    if inline:
        from workers.tasks.records import convert_batch

        done = convert_batch(session=session, participant_ids=outcome.participant_ids)
        click.echo(f"converted {len(done.converted)} participants into {done.rows} record rows")
    else:
        click.echo("their conversion jobs are queued: a running worker converts them (make run)")
