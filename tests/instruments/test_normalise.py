"""Normalising what participants type: Zawgyi, NFC, era dates, partial dates, phones, e-mail."""

from __future__ import annotations

import unicodedata

import pytest

from instruments.errors import AnswerError
from instruments.normalise import (
    normalise_email,
    normalise_phone,
    normalise_text,
    parse_partial_date,
    zawgyi_probability,
)

ZAWGYI_MYANMAR = "ျမန္မာ"  # "Myanmar" typed with a Zawgyi font
UNICODE_MYANMAR = "မြန်မာ"


def test_zawgyi_is_converted_and_the_original_kept() -> None:
    result = normalise_text(ZAWGYI_MYANMAR)
    assert result.value == UNICODE_MYANMAR
    assert result.raw == ZAWGYI_MYANMAR
    assert result.flags == ("zawgyi_converted",)


@pytest.mark.parametrize("text", [UNICODE_MYANMAR, "hello", "", "ベトナム", "12345"])
def test_unicode_and_other_scripts_are_left_alone(text: str) -> None:
    result = normalise_text(text)
    assert result.value == text
    assert result.flags == ()


def test_no_myanmar_letters_is_not_zawgyi() -> None:
    assert zawgyi_probability("hello") == 0.0  # the detector itself says -inf here
    assert zawgyi_probability(ZAWGYI_MYANMAR) > 0.95


def test_text_is_stored_nfc_and_trimmed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    result = normalise_text(f"  {decomposed} ")
    assert result.value == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", result.value)
    assert result.raw == f"  {decomposed} "


@pytest.mark.parametrize(
    ("raw", "value", "precision", "era"),
    [
        ("2018", "2018", "year", False),
        ("2018-03", "2018-03", "month", False),
        ("2018-03-15", "2018-03-15", "day", False),
        ("2018/3", "2018-03", "month", False),
        ("3/2018", "2018-03", "month", False),
        ("03-2018", "2018-03", "month", False),
        ("２０２４年４月", "2024-04", "month", False),
        ("２０１８／３", "2018-03", "month", False),
        ("2019年", "2019", "year", False),
        ("2019年3月15日", "2019-03-15", "day", False),
        ("March 2019", "2019-03", "month", False),
        ("Sept 2020", "2020-09", "month", False),
        ("tháng 3 năm 2019", "2019-03", "month", False),
        ("၂၀၁၉-၀၃", "2019-03", "month", False),  # Myanmar digits
        ("२०१९-०३", "2019-03", "month", False),  # Devanagari (Nepali) digits
        ("令和6年4月", "2024-04", "month", True),
        ("令和元年", "2019", "year", True),
        ("令和元年5月1日", "2019-05-01", "day", True),
        ("R6.4", "2024-04", "month", True),
        ("r6", "2024", "year", True),
        ("H31/4/30", "2019-04-30", "day", True),
        ("平成31年4月30日", "2019-04-30", "day", True),
        ("平成31年4月", "2019-04", "month", True),
        ("平成元年1月8日", "1989-01-08", "day", True),
        ("S64.1.7", "1989-01-07", "day", True),
        ("昭和64年", "1989", "year", True),
        ("㍻31年", "2019", "year", True),
        ("令和 6 年 4 月", "2024-04", "month", True),
    ],
)
def test_partial_dates(raw: str, value: str, precision: str, era: bool) -> None:
    parsed = parse_partial_date(raw)
    assert (parsed.value, parsed.precision, parsed.era_parsed) == (value, precision, era)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("平成32年", "era_out_of_range"),
        ("令和1年4月", "era_out_of_range"),
        ("令和元年4月30日", "era_out_of_range"),
        ("平成31年5月1日", "era_out_of_range"),
        ("昭和64年1月8日", "era_out_of_range"),
        ("平成元年1月7日", "era_out_of_range"),
        ("令和0年", "era_out_of_range"),
        ("S65", "era_out_of_range"),
        ("2019-02-30", "partial_date"),
        ("2019-13", "partial_date"),
        ("3/4/2018", "partial_date"),  # day/month order is unknowable
        ("1850", "partial_date"),
        ("last year", "partial_date"),
        ("", "partial_date"),
        ("Smarch 2019", "partial_date"),
    ],
)
def test_partial_date_errors(raw: str, code: str) -> None:
    with pytest.raises(AnswerError) as info:
        parse_partial_date(raw)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("平成31年5月", "after_end"),  # Heisei ended on 30 April 2019: the year exists, the month does not
        ("昭和64年1月8日", "after_end"),
        ("令和1年4月", "before_start"),
        ("平成元年1月7日", "before_start"),
        ("平成32年", "year"),
        ("S65", "year"),
    ],
)
def test_era_errors_say_whether_the_year_or_the_month_is_outside_the_era(raw: str, reason: str) -> None:
    with pytest.raises(AnswerError) as info:
        parse_partial_date(raw)
    assert info.value.code == "era_out_of_range"
    assert info.value.params["reason"] == reason


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("090-1234-5678", "JP", "+819012345678"),
        ("０９０−１２３４−５６７８", "JP", "+819012345678"),
        ("+84 912 345 678", "JP", "+84912345678"),
        ("0912 345 678", "VN", "+84912345678"),
    ],
)
def test_phone(raw: str, region: str, e164: str) -> None:
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["12", "not a phone", "+81 00 0000 0000"])
def test_bad_phone(raw: str) -> None:
    with pytest.raises(AnswerError) as info:
        normalise_phone(raw)
    assert info.value.code == "phone"


def test_email() -> None:
    assert normalise_email(" An.Nguyen＠Example.COM ") == "An.Nguyen@example.com"
    for bad in ["an@", "an@example", "a b@example.com", "@example.com", "a@@b.com"]:
        with pytest.raises(AnswerError) as info:
            normalise_email(bad)
        assert info.value.code == "email"
