"""A participant's career as the web pages show it: their episodes (``rec_episodes`` rows), the labels of
the study's codes, and the timeline drawn from them (the research area's participant page and the
interviewer's debrief page)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from instruments.model import Instrument
from webapp.models import RECORD_TABLES, InstrumentVersion, Participant, Study
from webapp.services import charts
from webapp.services.studies import instrument_of


def episodes_of(*, session: Session, participant: Participant) -> list[dict[str, Any]]:
    """The participant's career episodes (``rec_episodes`` rows), by number."""
    table = RECORD_TABLES["episodes"]
    rows = session.execute(
        sa.select(table).where(table.c.participant_id == participant.id).order_by(table.c.episode_no)
    ).mappings().all()
    return [dict(r) for r in rows]


def study_instruments(*, session: Session, study: Study) -> list[Instrument]:
    versions = session.exec(select(InstrumentVersion).where(InstrumentVersion.study_id == study.id)
                            .order_by(InstrumentVersion.id.desc())).all()  # type: ignore[union-attr]
    out = []
    for version in versions:
        try:
            out.append(instrument_of(version))
        except Exception:  # noqa: BLE001, S112 - a stored definition that no longer parses gives no labels
            continue
    return out


def code_labels(instruments: list[Instrument], language: str) -> dict[str, dict[str, str]]:
    """Labels of the study's choice lists (``residence_status`` …) in ``language``, by list and code."""
    out: dict[str, dict[str, str]] = {}
    for instrument in instruments:
        for name, choices in instrument.choice_lists.items():
            labels = out.setdefault(name, {})
            for choice in choices:
                labels.setdefault(choice.name, instrument.text(choice.label, language) or choice.name)
    return out


def labels_for(*, session: Session, study: Study, language: str) -> dict[str, dict[str, str]]:
    return code_labels(study_instruments(session=session, study=study), language)


def career_timeline(*, episodes: list[dict[str, Any]], labels: dict[str, dict[str, str]],
                    today: date) -> charts.Timeline:
    items = []
    for row in episodes:
        start = row.get("start_month") or charts.month_of_partial(row.get("start"))
        end = row.get("end_month") or charts.month_of_partial(row.get("end"), end=True)
        kind = labels.get("episode_kind", {}).get(row.get("kind") or "", row.get("kind") or "")
        status = row.get("residence_status")
        status_label = labels.get("residence_status", {}).get(status or "", status or "")
        period = f"{row.get('start') or '?'} – {row.get('end') or ('…' if row.get('ongoing') else '?')}"
        parts = [f"#{row.get('episode_no')}", kind, period, status_label, row.get("job_title") or ""]
        items.append(charts.Episode(
            episode_no=int(row.get("episode_no") or 0), kind=row.get("kind"), start_month=start,
            end_month=end,
            ongoing=bool(row.get("ongoing")), residence_status=status,
            label=" · ".join(p for p in parts if p)))
    return charts.timeline(items, today=today)
