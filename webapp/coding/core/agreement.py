"""Inter-coder agreement from plain data, computed by well-kept libraries.

Units are paragraphs (``(transcript, paragraph)``). For each code, a coder's value on a unit is 1 when they
applied the code to any span touching the paragraph, else 0. Cohen's kappa (scikit-learn) compares two
coders; Krippendorff's alpha (``krippendorff``, nominal) any number. "Overall" pools every (unit, code)
pair as one item. Span agreement is character overlap: the characters both coders gave a code, over the
characters either gave it (Jaccard), averaged over coder pairs.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

Unit = tuple[Hashable, int]  #: (transcript, paragraph number)


@dataclass(frozen=True)
class Applied:
    """One coder applied ``code`` to characters ``[start, end)`` of ``transcript``, touching ``paragraphs``."""

    coder: str
    transcript: Hashable
    code: str
    start: int
    end: int
    paragraphs: tuple[int, ...]


@dataclass(frozen=True)
class CodeAgreement:
    code: str
    n_units: int
    n_coders: int
    kappa: float | None  #: two coders only; None when undefined (no variation)
    alpha: float | None  #: None when undefined
    overlap: float | None  #: character overlap (Jaccard), None when nobody applied the code
    agreed: int  #: units where all coders agree
    disagreed: int


def kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two coders' labels of the same items; None when undefined (one label only)."""
    if len(first) != len(second):
        raise ValueError("both coders must label the same items")
    if len(set(first) | set(second)) < 2:
        return None
    value = float(cohen_kappa_score(list(first), list(second)))
    return None if math.isnan(value) else value


Level = Literal["nominal", "ordinal", "interval", "ratio"]


def alpha(matrix: Sequence[Sequence[float | None]], *, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha: one row per coder, one column per unit, None for a missing value."""
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in matrix], dtype=float)
    values = data[~np.isnan(data)]
    if data.size == 0 or len(set(values.tolist())) < 2:
        return None
    paired = np.sum(~np.isnan(data), axis=0) >= 2
    if not paired.any():
        return None
    value = float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    return None if math.isnan(value) else value


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _length(intervals: list[tuple[int, int]]) -> int:
    return sum(end - start for start, end in intervals)


def _intersection(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    i = j = total = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        total += max(0, high - low)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def overlap(spans: dict[str, list[tuple[Hashable, int, int]]]) -> float | None:
    """Mean pairwise character overlap (intersection over union) of coders' spans ``(transcript, start, end)``."""
    coders = sorted(spans)
    scores = []
    for a, b in combinations(coders, 2):
        inter = union = 0
        for transcript in {t for t, _, _ in spans[a]} | {t for t, _, _ in spans[b]}:
            left = _merge((s, e) for t, s, e in spans[a] if t == transcript)
            right = _merge((s, e) for t, s, e in spans[b] if t == transcript)
            common = _intersection(left, right)
            inter += common
            union += _length(left) + _length(right) - common
        if union:
            scores.append(inter / union)
    return sum(scores) / len(scores) if scores else None


def _matrix(applied: list[Applied], coders: list[str], units: list[Unit], code: str) -> list[list[float]]:
    marked = {(a.coder, (a.transcript, p)) for a in applied if a.code == code for p in a.paragraphs}
    return [[1.0 if (coder, unit) in marked else 0.0 for unit in units] for coder in coders]


def by_code(*, applied: Iterable[Applied], coders: Sequence[str], units: Sequence[Unit],
            codes: Sequence[str]) -> tuple[list[CodeAgreement], CodeAgreement]:
    """Agreement per code and overall among ``coders`` on ``units`` (every coder coded every unit)."""
    items = [a for a in applied if a.coder in coders]
    coder_list, unit_list = list(coders), list(units)
    rows: list[CodeAgreement] = []
    pooled: list[list[float]] = [[] for _ in coder_list]
    all_spans: dict[str, list[tuple[Hashable, int, int]]] = {c: [] for c in coder_list}
    for code in codes:
        matrix = _matrix(items, coder_list, unit_list, code)
        for row, values in zip(pooled, matrix, strict=True):
            row.extend(values)
        spans = {c: [(a.transcript, a.start, a.end) for a in items if a.coder == c and a.code == code]
                 for c in coder_list}
        for coder, coder_spans in spans.items():
            all_spans[coder].extend((f"{t}\x00{code}", s, e) for t, s, e in coder_spans)
        rows.append(_row(code, matrix, spans))
    overall = _row("", pooled, all_spans)
    return rows, overall


def _row(code: str, matrix: list[list[float]], spans: dict[str, list[tuple[Hashable, int, int]]]
         ) -> CodeAgreement:
    n_units = len(matrix[0]) if matrix else 0
    columns = list(zip(*matrix, strict=True)) if matrix else []
    agreed = sum(1 for column in columns if len(set(column)) == 1)
    return CodeAgreement(
        code=code, n_units=n_units, n_coders=len(matrix),
        kappa=kappa(matrix[0], matrix[1]) if len(matrix) == 2 else None,
        alpha=alpha(matrix) if len(matrix) >= 2 else None,
        overlap=overlap(spans) if len(matrix) >= 2 else None,
        agreed=agreed, disagreed=n_units - agreed,
    )
