"""Synthetic participants at the level of the records contract: who they are and what their careers were.

Technical interns, self-initiated expatriates and SME managers (:func:`make_person`) with plausible
careers: 0-12 episodes, partial dates, several languages, and a few deliberate quality problems
(overlapping spells, long gaps, a job before 15). Deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: Nationality -> (weight among interns, form language); Vietnam is by far the largest group.
TI_ORIGINS = {"VNM": (50, "vi"), "IDN": (15, "id"), "PHL": (10, "tl"), "MMR": (10, "my"),
              "CHN": (8, "zh-Hans"), "NPL": (7, "ne")}
SIE_ORIGINS = {"CHN": (30, "zh-Hans"), "VNM": (20, "vi"), "USA": (10, "en"), "IND": (10, "en"),
               "PHL": (10, "en"), "IDN": (10, "id"), "NPL": (10, "ne")}
_FIRMS = ("Sato Kogyo", "Yamada Seimitsu", "株式会社中村製作所", "Kobayashi Foods", "Tanaka Kensetsu",
          "Hokuriku Textile", "有限会社鈴木農園", "Osaka Denki", "Tokai Plastics", "Kyushu Care Service")
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
