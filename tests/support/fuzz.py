"""How many cases the fuzz tests run: a few locally, ``KEIREKI_FUZZ_EXAMPLES`` in CI (``.ci/run``: 1,000)."""

from __future__ import annotations

import math
import os


def examples(default: int, *, share: int = 1) -> int:
    """``KEIREKI_FUZZ_EXAMPLES`` split over ``share`` tests (each gets its part), else ``default``."""
    wanted = os.environ.get("KEIREKI_FUZZ_EXAMPLES", "")
    return max(1, math.ceil(int(wanted) / share)) if wanted.isdigit() else default
