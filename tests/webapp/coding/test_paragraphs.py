"""Paragraph splitting, speaker turns and offsets on plain strings."""

from __future__ import annotations

import pytest

from webapp.coding.core import paragraphs as p


def test_normalise_line_endings_nfc_and_bom() -> None:
    text = p.normalise("\ufeffCafe\u0301\r\nline\rend")
    assert text == "Café\nline\nend"
    assert len(text) == 13


def test_paragraphs_break_on_blank_lines_and_speaker_turns() -> None:
    text = p.normalise("I: Where did you work?\r\nP: In Aichi.\nWelding, mostly.\n\n\n  A note.  \nInterviewer: Thanks")
    parts = p.split(text)
    assert [(x.number, x.speaker, text[x.start:x.end]) for x in parts] == [
        (1, "I", "I: Where did you work?"),
        (2, "P", "P: In Aichi.\nWelding, mostly."),
        (3, "", "A note."),
        (4, "Interviewer", "Interviewer: Thanks"),
    ]


def test_offsets_are_code_points_with_non_bmp_characters() -> None:
    text = p.normalise("P: 溶接を教わった 🔧\r\nI: Tôi học hàn.\nP: ကျွန်တော် ဂဟေဆော်တာ သင်ခဲ့တယ်")
    parts = p.split(text)
    assert len(parts) == 3
    start = text.index("溶接")
    assert p.check_span(parts, start, start + 2).number == 1
    assert text[parts[2].start:parts[2].end].startswith("P: ကျွန်တော်")
    emoji = text.index("🔧")
    assert p.utf16_offset(text, emoji + 1) == emoji + 2
    assert p.from_utf16_offset(text, p.utf16_offset(text, parts[1].start)) == parts[1].start


def test_spans_must_lie_inside_paragraphs() -> None:
    text = "one\n\ntwo"
    parts = p.split(text)
    with pytest.raises(p.SpanError):
        p.check_span(parts, 3, 5)  # starts on the blank line
    with pytest.raises(p.SpanError):
        p.check_span(parts, 2, 2)
    with pytest.raises(p.SpanError):
        p.check_span(parts, 0, 99)
    assert p.whole(parts, 1, 2) == (0, 8)
    assert p.paragraphs_of(parts, 0, 8) == [1, 2]
    with pytest.raises(p.SpanError):
        p.whole(parts, 3)


def test_translation_aligns_by_position() -> None:
    original = p.split("a\n\nb\n\nc")
    translation = p.split("A\n\nB")
    assert p.align(original, translation) == [(1, 1), (2, 2), (3, None)]
