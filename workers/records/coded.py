"""Coded passages of transcripts -> ``skill_events`` rows (``source = coding``) and ``coded_segments`` rows.

Pure and deterministic: codings are sorted by transcript, offsets, code and coder (then their other cells), so
the same codings give the same rows in the same order whatever order they were loaded in. ``segment_id`` is
unique: a coder's second coding of a passage with the same code gets ``:2`` appended.
"""

from __future__ import annotations

from collections.abc import Sequence

from instruments.contract import CODED_SEGMENTS, SKILL_EVENTS

from .quality import Flag
from .types import Cell, CodingInput, Row

_SKILL_COLUMNS = SKILL_EVENTS.column_names
_SEGMENT_COLUMNS = CODED_SEGMENTS.column_names


def _key(c: CodingInput) -> tuple[object, ...]:
    return (c.transcript_ref, c.start, c.end, c.code, c.coder, c.episode_no or 0, c.actor or "",
            c.skill_domain or "", c.quote, c.memo or "")


def coded_rows(*, participant_code: str, codings: Sequence[CodingInput], n_episodes: int, first_event_no: int
               ) -> tuple[list[Row], list[Row], list[Flag]]:
    """Skill-event rows of the codings that count, segment rows of every coding, and flags."""
    skill: list[Row] = []
    segments: list[Row] = []
    flags: list[Flag] = []
    seen: dict[str, int] = {}
    for coding in sorted(codings, key=_key):
        episode = coding.episode_no
        if episode is not None and not 1 <= episode <= n_episodes:
            flags.append(Flag(None, "conversion_note",
                              f"coding {coding.transcript_ref} {coding.start}-{coding.end}: episode {episode} "
                              "no longer exists; kept without an episode"))
            episode = None
        segment_id = f"{coding.transcript_ref}:{coding.start}-{coding.end}:{coding.code}:{coding.coder}"
        seen[segment_id] = seen.get(segment_id, 0) + 1
        if seen[segment_id] > 1:  # the same coder's same code on the same passage twice (e.g. an import): unique
            segment_id = f"{segment_id}:{seen[segment_id]}"
        values: dict[str, Cell] = {
            "segment_id": segment_id, "participant_code": participant_code, "transcript_ref": coding.transcript_ref,
            "language": coding.language, "paragraph": coding.paragraph, "start": coding.start, "end": coding.end,
            "code": coding.code, "coder": coding.coder, "episode_no": episode, "quote": coding.quote,
            "memo": coding.memo,
        }
        segments.append(tuple(values.get(c) for c in _SEGMENT_COLUMNS))
        if coding.counts and coding.event:
            event: dict[str, Cell] = {
                "participant_code": participant_code, "event_no": first_event_no + len(skill),
                "episode_no": episode, "event": coding.event, "actor": coding.actor,
                "skill_domain": coding.skill_domain, "source": "coding", "note": None,
                "transcript_ref": coding.transcript_ref, "paragraph": coding.paragraph, "start": coding.start,
                "end": coding.end, "coder": coding.coder,
            }
            skill.append(tuple(event.get(c) for c in _SKILL_COLUMNS))
    return skill, segments, flags


def coder_ref(*, coder_id: int | None, consensus: bool, external: str | None) -> str:
    """The pseudonymous coder reference of the records, exports and agreement reports."""
    if consensus:
        return "consensus"
    if coder_id is not None:
        return f"C{coder_id:03d}"
    return f"X-{external or 'unknown'}"[:32]
