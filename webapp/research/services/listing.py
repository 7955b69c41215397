"""The participant list of a study: search, filters (type, status, language, channel, quality flag) and paging.

The search box finds a participant by code, ignoring case and punctuation ("ti0046" finds TI-0046); roles that
may read answers (``view_records``) also find participants whose submitted answers contain the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from instruments.contract import VOCABULARIES
from webapp.models import RECORD_TABLES, Channel, Participant, Response, Study

PER_PAGE = 50
#: The flag filter's value for "any flag at all".
ANY_FLAG = "any"


@dataclass
class Filters:
    participant_type: str = ""
    status: str = ""
    language: str = ""
    channel: int | None = None
    flag: str = ""
    #: The search text (code, or with ``answers`` also free text in the answers).
    q: str = ""
    page: int = 1
    #: Filter values that were not understood (shown, then ignored).
    ignored: list[str] = field(default_factory=list)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The filters as URL arguments (for paging links), with ``changes`` applied."""
        args = {"type": self.participant_type, "status": self.status, "language": self.language,
                "channel": self.channel or "", "flag": self.flag, "q": self.q, "page": self.page}
        args.update(changes)
        return {k: v for k, v in args.items() if v not in ("", None) and not (k == "page" and v == 1)}


@dataclass(frozen=True)
class Options:
    types: list[str]
    statuses: list[str]
    languages: list[str]
    channels: list[Channel]
    flags: list[str]


@dataclass(frozen=True)
class Row:
    participant: Participant
    channel: str
    flags: int


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int


def options(*, session: Session, study: Study) -> Options:
    languages = session.exec(select(Participant.form_language).where(Participant.study_id == study.id)
                             .distinct()).all()
    channels = session.exec(select(Channel).where(Channel.study_id == study.id).order_by(Channel.label)).all()
    return Options(types=list(VOCABULARIES["participant_type"]),
                   statuses=list(VOCABULARIES["participant_status"]),
                   languages=sorted(set(languages) | set(study.languages or [])), channels=list(channels),
                   flags=[ANY_FLAG, *VOCABULARIES["quality_flag"]])


def parse_filters(args: Any, opts: Options) -> Filters:
    """Read the filters from request arguments; unknown values are ignored and reported, never an error."""
    f = Filters()

    def pick(name: str, allowed: list[str]) -> str:
        value = str(args.get(name, "") or "")[:64]
        if value and value not in allowed:
            f.ignored.append(name)
            return ""
        return value

    f.participant_type = pick("type", opts.types)
    f.status = pick("status", opts.statuses)
    f.language = pick("language", opts.languages)
    f.flag = pick("flag", opts.flags)
    channel = str(args.get("channel", "") or "")
    if channel:
        ids = {str(c.id): c.id for c in opts.channels}
        if channel in ids:
            f.channel = ids[channel]
        else:
            f.ignored.append("channel")
    f.q = " ".join(str(args.get("q", "") or "").split())[:100]
    f.page = page_number(args.get("page"), high=100_000)
    return f


def _bare(text: str) -> str:
    """Letters and digits only, upper case: the form codes are compared in."""
    return re.sub(r"[\W_]+", "", text).upper()


def search_condition(q: str, *, answers: bool) -> Any:
    """Participants whose code matches ``q`` (case and punctuation ignored), or, with ``answers``, whose
    submitted answers contain it (as stored, or JSON-escaped as SQLite's JSON column keeps non-ASCII text)."""
    bare_code = sa.func.upper(sa.func.replace(sa.func.replace(Participant.code, "-", ""), "_", ""))
    wanted = _bare(q)
    conditions: list[Any] = [bare_code.contains(wanted, autoescape=True)] if wanted else []
    if answers:
        text = sa.cast(Response.answers, sa.Text)
        escaped = json.dumps(q)[1:-1]
        matching = sa.select(col(Response.participant_id)).where(
            sa.or_(text.icontains(q, autoescape=True), text.icontains(escaped, autoescape=True)))
        conditions.append(Participant.id.in_(matching))  # type: ignore[union-attr]
    return sa.or_(*conditions) if conditions else sa.false()


def page_number(raw: object, *, high: int) -> int:
    """A page number from a query argument: ASCII digits between 1 and ``high``, else 1.

    (``str.isdigit`` alone is not enough: it accepts "²", which ``int`` refuses.)
    """
    text = str(raw or "")
    if not (0 < len(text) <= 9 and text.isascii() and text.isdigit()):
        return 1
    return int(text) if 0 < int(text) <= high else 1


def list_participants(*, session: Session, study: Study, filters: Filters, per_page: int = PER_PAGE,
                      search_answers: bool = False) -> Page:
    flags = RECORD_TABLES["quality_flags"]
    where: list[Any] = [Participant.study_id == study.id]
    if filters.q:
        where.append(search_condition(filters.q, answers=search_answers))
    if filters.participant_type:
        where.append(Participant.participant_type == filters.participant_type)
    if filters.status:
        where.append(Participant.status == filters.status)
    if filters.language:
        where.append(Participant.form_language == filters.language)
    if filters.channel is not None:
        where.append(Participant.channel_id == filters.channel)
    if filters.flag:
        flagged = sa.select(flags.c.participant_id).where(flags.c.study_id == study.id)
        if filters.flag != ANY_FLAG:
            flagged = flagged.where(flags.c.flag == filters.flag)
        where.append(Participant.id.in_(flagged))  # type: ignore[union-attr]
    counted = sa.select(sa.func.count()).select_from(Participant).where(*where)
    total = int(session.execute(counted).scalar_one())
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    flag_count = (sa.select(sa.func.count()).select_from(flags)
                  .where(flags.c.participant_id == Participant.id).scalar_subquery())
    rows = session.execute(
        sa.select(Participant, Channel.label, flag_count)  # type: ignore[call-overload]
        .outerjoin(Channel, Channel.id == Participant.channel_id)
        .where(*where).order_by(Participant.code).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(rows=[Row(participant=p, channel=label or "", flags=int(n or 0)) for p, label, n in rows],
                total=total, page=page, pages=pages)
