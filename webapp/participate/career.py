"""The participant's own career drawn back to them (a life-history calendar): the episodes of their draft as
one small SVG, each row a link to edit its entry, the gaps and overlaps as plain questions, and the
confirmation "this is my career" kept with the response (``participants.timeline_confirmed``).

The spans, gaps and overlaps are the records pipeline's (``workers.records.career``); this module only
lays them out and words them. Markup: ``templates/participate/_career.html``; classes in ``p.css``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from flask import url_for
from flask_babel import gettext as _

from instruments.model import Group, Instrument
from webapp.forms import pages
from webapp.services import charts
from webapp.services.careers import code_labels, timeline_digest, timeline_of
from workers.records.career import Answered, breaks
from workers.records.dates import PartialDate, month_index, month_of

WIDTH = 320  #: the viewBox width: drawn 1:1 on a 320 px phone
ROW = 50  #: height of one episode's row (two text lines and the bar): a tap target
PAD = 4
RIGHT = 12  #: room right of the axis for an ongoing spell's arrow
#: Text of a row is cut past this many columns (a wide CJK character counts two): the name and the dates
#: on the first line, the residence status on the second.
COLUMNS = 40
SUB_COLUMNS = 48


@dataclass(frozen=True)
class Bar:
    x: float | int
    width: float | int
    faded: bool  #: months the partial date may or may not mean (a year-only start), drawn faded


@dataclass(frozen=True)
class Line:
    n: int
    y: int
    href: str
    label: str  #: number and name, cut to leave room for the dates on the same line
    dates: str
    sub: str  #: the residence status
    colour: str
    bars: tuple[Bar, ...]
    arrow: float | int | None  #: x of the arrow of an ongoing spell
    open_end: float | int | None  #: x where a spell with no end date stops being known


@dataclass(frozen=True)
class Band:
    x: float | int
    width: float | int
    kind: str  #: "gap" or "ov"
    n: int  #: the question's number, written on the axis


@dataclass(frozen=True)
class Question:
    n: int
    text: str
    href: str | None
    link: str


@dataclass
class Drawing:
    height: int
    axis_y: int
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    ticks: list[tuple[float | int, str]] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    undated: list[Line] = field(default_factory=list)
    width: int = WIDTH
    pad: int = PAD  #: the drawing is moved this far right (texts start there without an x of their own)
    plain: str = charts.NO_STATUS_COLOUR  #: the SVG's own fill: a row of this colour needs no fill of its own
    fix: str = ""  #: where "No, correct it" leads: the page of the latest entry
    digest: str = ""  #: what a confirmation confirms (``careers.timeline_digest``)

    @property
    def faded(self) -> bool:
        """Whether a bar is drawn pale (a partial date): only then does the caption explain pale parts."""
        return any(bar.faded for line in self.lines for bar in line.bars)


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, LookupError):
        return Locale.parse("en")


def month_text(index: int, language: str, *, long: bool = False) -> str:
    """A month in ``language`` as CLDR writes it: ``Mar 2019``, ``2019年3月`` (``March 2019`` when long)."""
    year, month = month_of(index)
    return format_skeleton("yMMMM" if long else "yMMM", date(year, month, 1), locale=_locale(language))


def date_text(value: PartialDate | None, language: str, *, long: bool = False) -> str:
    """A partial date in the participant's language: ``2019``, ``Mar 2019`` (``March 2019`` when long)."""
    if value is None:
        return "?"
    if value.month is None:
        return str(value.year)
    return month_text(month_index(value.year, value.month), language, long=long)


def _wide(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _columns(text: str) -> int:
    return sum(_wide(ch) for ch in text)


def _cut(text: str, limit: int = COLUMNS) -> str:
    """``text`` cut with an ellipsis past ``limit`` columns (the whole text is in the entry's list)."""
    used = 0
    for i, ch in enumerate(text):
        used += _wide(ch)
        if used > limit:
            return text[:i].rstrip() + "…"
    return text


def _n(value: float) -> float | int:
    """A coordinate as short as it can be written: ``4`` rather than ``4.0``."""
    value = round(value, 1)
    return int(value) if value == int(value) else value


def _page_of(instrument: Instrument, repeat: str) -> Group | None:
    for group in instrument.groups:
        if any(r.name == repeat for r in pages.repeats(group)):
            return group
    return None


class _Urls:
    def __init__(self, instrument: Instrument, answers: dict[str, Any], slug: str) -> None:
        self.instrument, self.answers, self.slug = instrument, answers, slug

    def edit(self, item: Answered) -> str:
        page = _page_of(self.instrument, item.repeat)
        return url_for("participate.entry", study=self.slug, page=page.name if page else "-", n=item.index + 1,
                       r=pages.entry_query(page, item.repeat))

    def add(self, repeat: str) -> str | None:
        page = _page_of(self.instrument, repeat)
        group = next((r for r in pages.repeats(page) if r.name == repeat), None) if page else None
        count = len(self.answers.get(repeat) or [])
        if page is None or group is None or (group.max_count is not None and count >= group.max_count):
            return None
        return url_for("participate.entry", study=self.slug, page=page.name, n=count + 1,
                       r=pages.entry_query(page, repeat))


def _texts(item: Answered, instrument: Instrument, labels: dict[str, dict[str, str]], language: str,
           ) -> tuple[str, str, str]:
    """The entry's name (employer, job title, or what the entry is), its dates and its residence status."""
    episode = item.episode
    values = episode.raw.values
    name = next((str(values[k]) for k in ("employer_name", "job_title") if values.get(k)), "")
    if not name:
        repeat = next((r for g in instrument.groups for r in pages.repeats(g) if r.name == item.repeat), None)
        name = instrument.text(repeat.label, language) if repeat else item.repeat
    status = labels.get("residence_status", {}).get(episode.status or "", "")
    end = "" if episode.ongoing else date_text(episode.end, language)
    return name, f"{date_text(episode.start, language)} – {end}".rstrip(), status


def career_page(instrument: Instrument) -> Group | None:
    """The page the career is drawn on: the last one with entries that are career episodes (the jobs in
    Japan), where the participant completes it; the review draws it too."""
    found = [g for g in instrument.groups if any(r.record == "episodes" for r in pages.repeats(g))]
    return found[-1] if found else None


def draw(*, instrument: Instrument, answers: dict[str, Any], today: date, language: str, slug: str) -> Drawing | None:
    """The drawing of the draft's career, None when it has no episode yet."""
    found = timeline_of(instrument, answers, today)
    if not found:
        return None
    labels = code_labels([instrument], language)
    urls = _Urls(instrument, answers, slug)
    now = month_index(today.year, today.month)
    dated = [a for a in found if a.episode.span() is not None]
    spans = [a.episode.span() for a in dated]
    lo = min((s[0] for s in spans if s), default=now)
    hi = max([s[1] for s in spans if s] + [lo])
    first_year, last_year = month_of(lo)[0], month_of(hi)[0]
    lo, hi = month_index(first_year, 1), month_index(last_year + 1, 1)
    per = (WIDTH - PAD - RIGHT) / (hi - lo)

    def x(month: int) -> float | int:  # from the left padding: the template moves the drawing PAD to the right
        return _n((month - lo) * per)

    fix = career_page(instrument)
    out = Drawing(height=0, axis_y=0, digest=timeline_digest(found),
                  fix=url_for("participate.form_page", study=slug, page=fix.name) if fix else "")
    for n, item in enumerate(found, start=1):
        name, dates, status = _texts(item, instrument, labels, language)
        label, short = _cut(f"{n}. {name}", max(COLUMNS - _columns(dates) - 2, 12)), _cut(status, SUB_COLUMNS)
        episode = item.episode
        span, certain = episode.span(), episode.certain()
        colour = charts.STATUS_COLOURS.get(episode.status or "", charts.NO_STATUS_COLOUR)
        y = len(out.lines) * ROW
        if span is None or certain is None:
            out.undated.append(Line(n, 0, urls.edit(item), label, dates, short, colour, (), None, None))
            continue
        bars = [Bar(x(span[0]), _n(max((span[1] - span[0] + 1) * per, 2.0)), True)]
        sure = (certain[0], max(certain[1], certain[0]))
        if sure != span:
            bars.append(Bar(x(sure[0]), _n(max((sure[1] - sure[0] + 1) * per, 2.0)), False))
        else:
            bars = [Bar(bars[0].x, bars[0].width, False)]
        right = x(span[1] + 1)
        open_end = right if episode.end is None and not episode.ongoing else None
        out.lines.append(Line(n, y, urls.edit(item), label, dates, short, colour, tuple(bars),
                              right if episode.ongoing else None, open_end))
    gaps, overlaps = breaks([a.episode for a in dated])
    number = {i: dated[i - 1] for i in range(1, len(dated) + 1)}
    for gap in gaps:
        before, after = number[gap.before].episode, number[gap.after].episode
        q = len(out.questions) + 1
        text = _("Between %(start)s and %(end)s — were you in Japan? Working?",
                 start=date_text(before.end or before.start, language, long=True),
                 end=date_text(after.start, language, long=True))
        out.questions.append(Question(q, text, urls.add(number[gap.after].repeat), _("Add what you did then")))
        out.bands.append(Band(x(gap.first_month), _n(gap.months * per), "gap", q))
    together: dict[tuple[int, int], set[int]] = {}  # the same months overlapping: one question
    for overlap in overlaps:
        together.setdefault((overlap.first_month, overlap.last_month), set()).update((overlap.first, overlap.second))
    for (begin, finish), entries in together.items():
        q = len(out.questions) + 1
        names = format_list([str(n) for n in sorted(entries)], locale=_locale(language))
        text = _("%(start)s – %(end)s: %(entries)s are at the same time. Is that right?",
                 start=month_text(begin, language, long=True), end=month_text(finish, language, long=True),
                 entries=names)
        latest = max(entries)
        out.questions.append(Question(q, text, urls.edit(number[latest]), _("Edit %(n)s", n=latest)))
        out.bands.append(Band(x(begin), _n((finish - begin + 1) * per), "ov", q))
    out.axis_y = len(out.lines) * ROW + 4
    out.height = out.axis_y + (34 if out.bands else 18)
    years = last_year - first_year + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50) if years / s * 48 <= WIDTH - PAD - RIGHT or s == 50)
    out.ticks = [(x(month_index(year, 1)), str(year)) for year in range(first_year, last_year + 1)
                 if (year - first_year) % step == 0]
    return out
