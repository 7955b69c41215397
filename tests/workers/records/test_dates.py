"""Partial dates, month indexes, SME sizes, booleans and pseudonyms: the converter's small parts."""

from __future__ import annotations

from datetime import date

import pytest

from instruments.contract import EPISODES
from workers.records import employer_size, is_sme, month_index, parse_partial_date, pseudonym, to_bool
from workers.records.dates import compare
from workers.records.values import coerce


@pytest.mark.parametrize(("text", "iso", "precision", "first", "last"), [
    ("1900", "1900", "year", 1, 12),
    ("2018", "2018", "year", month_index(2018, 1), month_index(2018, 12)),
    ("2019-03", "2019-03", "month", month_index(2019, 3), month_index(2019, 3)),
    ("2019-03-15", "2019-03-15", "day", month_index(2019, 3), month_index(2019, 3)),
    (2020, "2020", "year", month_index(2020, 1), month_index(2020, 12)),
])
def test_partial_dates_keep_their_precision(text: object, iso: str, precision: str, first: int,
                                            last: int) -> None:
    parsed = parse_partial_date(text)
    assert parsed is not None
    assert (parsed.iso(), parsed.precision) == (iso, precision)
    assert (parsed.start_month(), parsed.end_month()) == (first, last)


@pytest.mark.parametrize(
    "text", ["", "18", "2019-13", "2019-02-30", "1899-12", "March 2019", "2019/03", None, True])
def test_invalid_partial_dates_are_rejected(text: object) -> None:
    assert parse_partial_date(text) is None


def test_month_index_counts_from_january_1900() -> None:
    assert month_index(1900, 1) == 1
    assert month_index(1900, 12) == 12
    assert month_index(1901, 1) == 13
    assert month_index(2024, 4) - month_index(2023, 4) == 12


def test_compare_and_after_respect_precision() -> None:
    y2018, may2018, d = (parse_partial_date(t) for t in ("2018", "2018-05", "2018-05-20"))
    assert y2018
    assert may2018
    assert d
    assert compare(y2018, may2018) == 0
    assert compare(may2018, d) == 0
    assert compare(parse_partial_date("2018-04") or y2018, may2018) == -1
    assert not y2018.after(date(2018, 1, 1))
    assert may2018.after(date(2018, 4, 30))
    assert not may2018.after(date(2018, 5, 1))
    assert d.after(date(2018, 5, 19))


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", True), ("true", True), ("YES", True), (True, True),
    ("no", False), ("false", False), (False, False),
    ("dont_know", None), ("", None), (1, None), (None, None),
])
def test_booleans_from_choice_codes(value: object, expected: bool | None) -> None:
    assert to_bool(value) is expected


@pytest.mark.parametrize(("employees", "industry", "capital", "size"), [
    (None, "E", None, "unknown"),
    (20, "E", None, "micro"), (21, "E", None, "small"),
    (5, "I", None, "micro"), (6, "I", None, "small"),          # commerce: small enterprise <= 5
    (5, "P", None, "micro"), (6, "P", None, "small"),          # services
    (50, "E", None, "small"), (51, "E", None, "medium"),
    (300, "E", None, "medium"), (301, "E", None, "large"),     # manufacturing and others: 300
    (100, "R", None, "medium"), (101, "R", None, "large"),     # services: 100
    (101, "R", "10m_50m", "medium"),                           # SME by capital although above by employees
    (101, "R", "50m_100m", "large"),                           # services capital limit is 50M
    (301, None, "100m_300m", "medium"),                        # unknown industry: manufacturing limits
])
def test_employer_size_follows_the_sme_basic_act(employees: int | None, industry: str | None,
                                                 capital: str | None, size: str) -> None:
    assert employer_size(employees, industry, capital) == size


@pytest.mark.parametrize(("employees", "capital", "industry", "sme"), [
    (40, None, "E", True), (400, None, "E", None), (400, "gt_300m", "E", False),
    (400, "100m_300m", "E", True),
    (None, "lt_10m", "I", True), (None, "gt_300m", "I", None), (120, "50m_100m", "I", True),
    (120, "50m_100m", "P", False), (None, None, None, None), (400, "unknown", "E", None),
])
def test_sme_by_capital_or_employees(employees: int | None, capital: str | None, industry: str | None,
                                     sme: bool | None) -> None:
    assert is_sme(employees, capital, industry) is sme


def test_pseudonym_normalises_the_name_and_depends_on_the_key() -> None:
    ref = pseudonym("E", "Sato Kogyo  Co.", b"k1")
    assert ref.startswith("E")
    assert len(ref) == 11
    int(ref[1:], 16)
    assert pseudonym("E", " sato\u3000KOGYO co. ", b"k1") == ref       # case, ideographic space, spaces
    assert pseudonym("E", "ＳＡＴＯ Kogyo Co.", b"k1") == ref            # full-width letters (NFKC)
    assert pseudonym("E", "Sato Kogyo Co.", b"k2") != ref
    assert pseudonym("E", "Sato Kougyo Co.", b"k1") != ref


def test_coerce_codes_and_invalid_values() -> None:
    prefecture, status, start = (EPISODES.column(n) for n in ("prefecture", "residence_status", "start"))
    assert coerce(13, prefecture, {}).value == "13"
    assert coerce(1, prefecture, {}).value == "01"
    assert coerce("tokyo", prefecture, {"tokyo": "13"}).value == "13"
    bad = coerce("tourist", status, {})
    assert bad.value is None
    assert bad.problem
    assert "tourist" in bad.problem
    assert coerce("R6.4", start, {}).flag == "unparsed_date"
    assert coerce(["a", "b"], EPISODES.column("job_title"), {}).value == "a;b"
