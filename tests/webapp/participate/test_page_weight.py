"""Every participant page stays within 30 KB (HTML + CSS + JS) in Burmese, the heaviest script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "page_weight.py"


def test_every_page_is_under_the_budget_in_burmese(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("page_weight", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    status = bench.main(["my"])
    out = capsys.readouterr().out
    assert "japan_jobs: jobs entry" in out
    assert " NO" not in out, out
    assert status == 0
