"""Coded passages -> skill_events and coded_segments rows, with plain data."""

from __future__ import annotations

from instruments.contract import CODED_SEGMENTS, SKILL_EVENTS
from workers.records import CodingInput
from workers.records.coded import coded_rows, coder_ref

SKILL = SKILL_EVENTS.column_names
SEGMENT = CODED_SEGMENTS.column_names


def coding(**kw: object) -> CodingInput:
    base: dict[str, object] = {"transcript_ref": "TR-0001", "language": "ja", "paragraph": 2, "start": 10,
                               "end": 20, "code": "cultivate", "coder": "consensus", "event": "cultivate",
                               "actor": "coworkers", "skill_domain": "technical", "episode_no": 1,
                               "counts": True, "quote": "先輩が溶接を教えて"}
    return CodingInput(**{**base, **kw})  # type: ignore[arg-type]


def test_counting_skill_codings_become_events_and_every_coding_a_segment() -> None:
    items = [coding(coder="C002", counts=False, start=12), coding(), coding(code="senpai", event=None, start=5)]
    skill, segments, flags = coded_rows(participant_code="TI-0001", codings=items, n_episodes=2, first_event_no=3)
    assert flags == []
    assert len(skill) == 1
    event = dict(zip(SKILL, skill[0], strict=True))
    assert event == {"participant_code": "TI-0001", "event_no": 3, "episode_no": 1, "event": "cultivate",
                     "actor": "coworkers", "skill_domain": "technical", "source": "coding", "note": None,
                     "transcript_ref": "TR-0001", "paragraph": 2, "start": 10, "end": 20, "coder": "consensus"}
    assert [dict(zip(SEGMENT, s, strict=True))["start"] for s in segments] == [5, 10, 12]
    assert dict(zip(SEGMENT, segments[1], strict=True))["quote"] == "先輩が溶接を教えて"


def test_rows_do_not_depend_on_load_order_and_lost_episodes_are_flagged() -> None:
    items = [coding(start=30, end=40), coding(), coding(coder="C001")]
    first = coded_rows(participant_code="P", codings=items, n_episodes=1, first_event_no=1)
    second = coded_rows(participant_code="P", codings=list(reversed(items)), n_episodes=1, first_event_no=1)
    assert first == second
    _, _, flags = coded_rows(participant_code="P", codings=[coding(episode_no=4)], n_episodes=1, first_event_no=1)
    assert [f.flag for f in flags] == ["conversion_note"]


def test_segment_ids_stay_unique_when_a_coder_applies_a_code_twice_to_a_passage() -> None:
    items = [coding(coder="X-NVivo user", episode_no=2), coding(coder="X-NVivo user", episode_no=1)]
    _skill, segments, _flags = coded_rows(participant_code="P", codings=items, n_episodes=2, first_event_no=1)
    rows = [dict(zip(SEGMENT, s, strict=True)) for s in segments]
    assert [(r["segment_id"], r["episode_no"]) for r in rows] == [
        ("TR-0001:10-20:cultivate:X-NVivo user", 1), ("TR-0001:10-20:cultivate:X-NVivo user:2", 2)]
    again = coded_rows(participant_code="P", codings=list(reversed(items)), n_episodes=2, first_event_no=1)
    assert again[1] == segments


def test_coder_refs_are_pseudonymous() -> None:
    assert coder_ref(coder_id=7, consensus=False, external=None) == "C007"
    assert coder_ref(coder_id=None, consensus=True, external=None) == "consensus"
    assert coder_ref(coder_id=None, consensus=False, external="NVivo user") == "X-NVivo user"
