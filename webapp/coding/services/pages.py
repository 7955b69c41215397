"""What the transcript page shows: paragraphs cut into marked pieces, a translation beside, the timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from webapp.coding.core import paragraphs as para
from webapp.coding.services import codebook, codings
from webapp.coding.services import transcripts as sources
from webapp.models import Code, Coding, Participant, Study, Transcript
from webapp.services import careers, charts


@dataclass
class Piece:
    text: str
    codings: list[int] = field(default_factory=list)  #: ids of codings covering the piece


@dataclass
class ParagraphView:
    number: int
    speaker: str
    start: int
    end: int
    pieces: list[Piece]
    beside: str | None = None  #: the aligned paragraph of the translation shown beside, if any


def pieces(text: str, paragraph: para.Paragraph, spans: list[Coding]) -> list[Piece]:
    """The paragraph's text cut at every coding boundary, each piece with the codings covering it."""
    cuts = {paragraph.start, paragraph.end}
    inside = [c for c in spans if c.start < paragraph.end and paragraph.start < c.end]
    for c in inside:
        cuts.update(x for x in (c.start, c.end) if paragraph.start < x < paragraph.end)
    bounds = sorted(cuts)
    out = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        covering = [c.id for c in inside if c.start <= lo and hi <= c.end]
        out.append(Piece(text[lo:hi], [i for i in covering if i is not None]))
    return out


def paragraph_views(text: str, transcript: Transcript, spans: list[Coding],
                    beside: tuple[str, Transcript] | None = None) -> list[ParagraphView]:
    parts = sources.paragraphs(transcript)
    other: list[str] = []
    if beside is not None:
        beside_text, beside_transcript = beside
        other = [beside_text[p.start:p.end] for p in sources.paragraphs(beside_transcript)]
    views = []
    for p in parts:
        views.append(ParagraphView(p.number, p.speaker, p.start, p.end, pieces(text, p, spans),
                                   other[p.number - 1] if p.number <= len(other) else None))
    for extra in other[len(parts):]:
        views.append(ParagraphView(0, "", 0, 0, [], extra))
    return views


def timeline_with_codings(*, session: Session, study: Study, participant: Participant, today: date,
                          language: str, items: list[Coding], href: dict[int, str]
                          ) -> tuple[charts.Timeline, list[charts.Marker], dict[str, dict[str, str]]]:
    """The participant's career timeline (the research page's) with coded skill events on their episodes."""
    episodes = careers.episodes_of(session=session, participant=participant)
    labels = careers.labels_for(session=session, study=study, language=language)
    timeline = careers.career_timeline(episodes=episodes, labels=labels, today=today)
    codes = {c.id: c for c in codebook.codes(session=session, study=study, include_inactive=True)}
    return timeline, markers(timeline, items, codes, href, language), labels


def markers(timeline: charts.Timeline, items: list[Coding], codes: dict[int | None, Code], href: dict[int, str],
            language: str) -> list[charts.Marker]:
    segments = {s.episode_no: s for s in timeline.segments}
    placed: dict[int, int] = {}
    out = []
    for coding in items:
        segment = segments.get(coding.episode_no or -1)
        code = codes.get(coding.code_id)
        if segment is None or code is None or coding.id not in href:
            continue
        n = placed.get(segment.episode_no, 0)
        placed[segment.episode_no] = n + 1
        out.append(charts.marker_on(segment, n, colour=code.colour,
                                    title=f"{codebook.label(code, language)} · ¶{coding.paragraph}",
                                    href=href[coding.id or 0]))
    return out


def episode_choices(*, session: Session, participant_id: int) -> list[int]:
    return codings.episodes_of(session=session, participant_id=participant_id)
