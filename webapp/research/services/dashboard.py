"""The numbers of a study's overview: recruitment, interviews, quality flags, jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from webapp.models import RECORD_TABLES, Booking, Channel, Job, Membership, Participant, Study, User

#: Participants who have completed their intake count towards a quota.
COUNTED_STATUSES = ("submitted", "interviewed")
PARTICIPANT_TYPES = ("ti", "sie", "manager")
PARTICIPANT_STATUSES = ("screened", "consented", "submitted", "interviewed", "withdrawn")


@dataclass(frozen=True)
class TypeProgress:
    participant_type: str
    counted: int  #: submitted or interviewed
    target: int | None
    by_status: dict[str, int]


@dataclass(frozen=True)
class ChannelCount:
    channel_id: int | None
    label: str
    participants: int
    counted: int


@dataclass(frozen=True)
class Interviews:
    upcoming: int  #: booked, in the future
    completed: int
    no_show: int
    cancelled: int


@dataclass(frozen=True)
class JobRow:
    job: Job

    @property
    def percent(self) -> int | None:
        if self.job.total <= 0:
            return 100 if self.job.status == "done" else None
        return min(100, round(100 * self.job.done / self.job.total))


def recruitment_by_type(*, session: Session, study: Study) -> list[TypeProgress]:
    """Participants per type and status, and the count towards each type's quota."""
    rows = session.execute(
        sa.select(Participant.participant_type, Participant.status, sa.func.count())  # type: ignore[call-overload]
        .where(Participant.study_id == study.id)
        .group_by(Participant.participant_type, Participant.status)
    ).all()
    table: dict[str, dict[str, int]] = {}
    for ptype, status, n in rows:
        table.setdefault(ptype, {})[status] = int(n)
    types = list(PARTICIPANT_TYPES) + sorted(set(table) - set(PARTICIPANT_TYPES))
    types = [t for t in types if t in table or t in (study.quotas or {})]
    return [
        TypeProgress(participant_type=t, counted=sum(table.get(t, {}).get(s, 0) for s in COUNTED_STATUSES),
                     target=(study.quotas or {}).get(t), by_status=table.get(t, {}))
        for t in types
    ]


def recruitment_by_channel(*, session: Session, study: Study) -> list[ChannelCount]:
    """Participants per recruitment channel (withdrawn ones included: they were recruited)."""
    counted = sa.func.sum(sa.case((Participant.status.in_(COUNTED_STATUSES), 1), else_=0))  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(Participant.channel_id, sa.func.count(), counted)  # type: ignore[call-overload]
        .where(Participant.study_id == study.id).group_by(Participant.channel_id)
    ).all()
    per_channel = {cid: (int(n), int(c or 0)) for cid, n, c in rows}
    channels = session.exec(select(Channel).where(Channel.study_id == study.id).order_by(Channel.label)).all()
    out = [ChannelCount(channel_id=ch.id, label=ch.label, participants=per_channel.get(ch.id, (0, 0))[0],
                        counted=per_channel.get(ch.id, (0, 0))[1]) for ch in channels]
    if None in per_channel:
        out.append(ChannelCount(channel_id=None, label="", participants=per_channel[None][0],
                                counted=per_channel[None][1]))
    return out


def interviews(*, session: Session, study: Study, now: datetime) -> Interviews:
    def n(*where: sa.ColumnElement[bool]) -> int:
        return int(session.execute(sa.select(sa.func.count()).select_from(Booking)
                                    .where(col(Booking.study_id) == study.id, *where)).scalar_one())

    return Interviews(
        upcoming=n(Booking.status == "booked", Booking.starts_at >= now),  # type: ignore[arg-type]
        completed=n(Booking.status == "completed"),  # type: ignore[arg-type]
        no_show=n(Booking.status == "no_show"),  # type: ignore[arg-type]
        cancelled=n(Booking.status == "cancelled"),  # type: ignore[arg-type]
    )


def open_quality_flags(*, session: Session, study: Study) -> dict[str, int]:
    """Rows of ``rec_quality_flags`` per flag code (all of them are open: the pipeline rebuilds them)."""
    table = RECORD_TABLES["quality_flags"]
    rows = session.execute(sa.select(table.c.flag, sa.func.count()).where(table.c.study_id == study.id)
                           .group_by(table.c.flag).order_by(sa.func.count().desc(), table.c.flag)).all()
    return {str(flag): int(n) for flag, n in rows}


def recent_jobs(*, session: Session, study: Study, limit: int = 10) -> list[JobRow]:
    jobs = session.exec(select(Job).where(Job.study_id == study.id)
                        .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)).all()  # type: ignore[attr-defined,union-attr]
    return [JobRow(job) for job in jobs]


def job_summary(*, session: Session, study: Study) -> dict[str, dict[str, int]]:
    """Jobs of the study by kind and status, e.g. ``{"convert": {"done": 40, "queued": 2}}``."""
    rows = session.execute(sa.select(col(Job.kind), col(Job.status), sa.func.count())
                           .where(col(Job.study_id) == study.id).group_by(col(Job.kind), col(Job.status))
                           .order_by(col(Job.kind), col(Job.status))).all()
    out: dict[str, dict[str, int]] = {}
    for kind, status, n in rows:
        out.setdefault(str(kind), {})[str(status)] = int(n)
    return out


def studies_of(*, session: Session, user: User) -> list[tuple[Study, str]]:
    """The studies a user can open, with the user's role (a global admin: every study, as owner)."""
    if user.is_admin:
        return [(s, "owner") for s in session.exec(select(Study).order_by(Study.slug)).all()]
    rows = session.exec(select(Study, Membership.role).join(Membership, col(Membership.study_id) == Study.id)
                        .where(Membership.user_id == user.id).order_by(Study.slug)).all()
    return [(s, r) for s, r in rows]


def participant_counts(*, session: Session, study_ids: list[int]) -> dict[int, int]:
    if not study_ids:
        return {}
    rows = session.execute(sa.select(Participant.study_id, sa.func.count())  # type: ignore[call-overload]
                           .where(Participant.study_id.in_(study_ids))  # type: ignore[attr-defined]
                           .group_by(Participant.study_id)).all()
    return {int(s): int(n) for s, n in rows}
