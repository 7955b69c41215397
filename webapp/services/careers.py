"""A participant's career as the web pages show it: their episodes (``rec_episodes`` rows), the labels of
the study's codes, and the timeline drawn from them (the research area's participant page and the
interviewer's debrief page); and the career of answers not yet converted (a draft), as the participant
confirms it on the review page (``timeline_of``, ``timeline_digest``, ``timeline_verdict``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from instruments.model import Instrument
from webapp.models import RECORD_TABLES, InstrumentVersion, Participant, Study
from webapp.services import charts
from webapp.services.studies import instrument_of
from workers.records.career import Answered, answered_episodes


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


def timeline_of(instrument: Instrument, answers: Mapping[str, Any], today: date) -> list[Answered]:
    """The episodes of answers not yet converted (a draft's), in time order, as the records will have them."""
    return answered_episodes(instrument, answers, reference=today)


def timeline_digest(found: list[Answered]) -> str:
    """A fingerprint of a drawn career: what the participant confirmed is the career that is submitted."""
    data = [[a.repeat, a.index, a.episode.raw.values] for a in found]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def timeline_verdict(*, instrument: Instrument, answers: Mapping[str, Any], meta: Mapping[str, Any],
                     today: date) -> bool | None:
    """``participants.timeline_confirmed`` of a submission: True when the participant confirmed the career
    these answers draw, False when it was shown and not confirmed (or changed since), None with no episode."""
    found = timeline_of(instrument, answers, today)
    if not found:
        return None
    said = meta.get("timeline")
    return isinstance(said, Mapping) and said.get("confirmed") == timeline_digest(found)
