"""Coded passages of transcripts -> ``skill_events`` rows (``source = coding``) and ``coded_segments`` rows.

Pure and deterministic: codings are sorted by transcript, offsets, code and coder, so the same codings
give the same rows in the same order whatever order they were loaded in.
"""

from __future__ import annotations

from collections.abc import Sequence

from instruments.contract import CODED_SEGMENTS, SKILL_EVENTS

from .quality import Flag
from .types import Cell, CodingInput, Row

_SKILL_COLUMNS = SKILL_EVENTS.column_names
_SEGMENT_COLUMNS = CODED_SEGMENTS.column_names


def _key(c: CodingInput) -> tuple[str, int, int, str, str]:
    return (c.transcript_ref, c.start, c.end, c.code, c.coder)


def coded_rows(*, participant_code: str, codings: Sequence[CodingInput], n_episodes: int, first_event_no: int
               ) -> tuple[list[Row], list[Row], list[Flag]]:
    """Skill-event rows of the codings that count, segment rows of every coding, and flags."""
    skill: list[Row] = []
    segments: list[Row] = []
    flags: list[Flag] = []
    for coding in sorted(codings, key=_key):
        episode = coding.episode_no
        if episode is not None and not 1 <= episode <= n_episodes:
            flags.append(Flag(None, "conversion_note",
                              f"coding {coding.transcript_ref} {coding.start}-{coding.end}: episode {episode} "
                              "no longer exists; kept without an episode"))
            episode = None
        segment_id = f"{coding.transcript_ref}:{coding.start}-{coding.end}:{coding.code}:{coding.coder}"
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
