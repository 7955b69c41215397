"""Agreement against worked examples with known values."""

from __future__ import annotations

import pytest

from webapp.coding.core import agreement as ag


def test_krippendorff_documented_example() -> None:
    # The krippendorff package's README example (Krippendorff 2011, "Computing Krippendorff's alpha").
    n = None
    data = [[n, n, n, n, n, 3, 4, 1, 2, 1, 1, 3, 3, n, 3],
            [1, n, 2, 1, 3, 3, 4, 3, n, n, n, n, n, n, n],
            [n, n, 2, 1, 3, 4, 4, n, 2, 1, 1, 3, 3, n, 4]]
    assert ag.alpha(data) == pytest.approx(0.691, abs=1e-3)
    assert ag.alpha(data, level="interval") == pytest.approx(0.811, abs=1e-3)


def test_cohen_kappa_textbook_table() -> None:
    # 50 proposals, two readers: 20 yes/yes, 15 no/no, 5 yes/no, 10 no/yes -> kappa 0.4
    first = ["yes"] * 20 + ["no"] * 15 + ["yes"] * 5 + ["no"] * 10
    second = ["yes"] * 20 + ["no"] * 15 + ["no"] * 5 + ["yes"] * 10
    assert ag.kappa(first, second) == pytest.approx(0.4)


def test_undefined_when_nobody_varies() -> None:
    assert ag.kappa([0, 0, 0], [0, 0, 0]) is None
    assert ag.alpha([[0, 0], [0, 0]]) is None


def test_overlap_of_spans() -> None:
    spans = {"a": [("t", 0, 10)], "b": [("t", 5, 15)]}
    assert ag.overlap(spans) == pytest.approx(5 / 15)
    assert ag.overlap({"a": [("t", 0, 4), ("t", 2, 6)], "b": [("t", 0, 6)]}) == pytest.approx(1.0)
    assert ag.overlap({"a": [], "b": []}) is None


def test_by_code_at_paragraph_level() -> None:
    units = [("t1", 1), ("t1", 2), ("t1", 3), ("t1", 4)]
    applied = [
        ag.Applied("a", "t1", "cultivate", 0, 5, (1,)), ag.Applied("b", "t1", "cultivate", 0, 5, (1,)),
        ag.Applied("a", "t1", "cultivate", 20, 25, (3,)), ag.Applied("b", "t1", "limit_deny", 20, 25, (3,)),
        ag.Applied("a", "t1", "limit_deny", 30, 35, (4,)), ag.Applied("b", "t1", "limit_deny", 30, 33, (4,)),
    ]
    rows, overall = ag.by_code(applied=applied, coders=["a", "b"], units=units,
                               codes=["cultivate", "limit_deny", "recognise"])
    cultivate, limit, recognise = rows
    # cultivate: a = 1,0,1,0  b = 1,0,0,0 -> po 0.75, pe 0.5*0.75 + 0.5*0.25 = 0.5 -> kappa 0.5
    assert cultivate.kappa == pytest.approx(0.5)
    assert (cultivate.agreed, cultivate.disagreed) == (3, 1)
    assert limit.kappa == pytest.approx(0.5)
    assert recognise.kappa is None
    assert recognise.alpha is None
    assert recognise.overlap is None
    assert cultivate.overlap == pytest.approx(0.5)
    assert limit.overlap == pytest.approx(3 / 10)
    assert overall.n_units == 12
    assert overall.n_coders == 2
    assert overall.kappa is not None
    assert 0 < overall.kappa < 1
