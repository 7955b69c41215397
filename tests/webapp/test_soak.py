"""bench/soak.py in its short form (about 30 s, 4 participants): no 5xx or other failed answer, and every
acknowledged submission stored and converted exactly once, with the worker SIGKILLed twice while
``demo seed`` runs. One run per backend: the embedded default, and PostgreSQL + Redis when configured."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("KEIREKI_TEST_DATABASE_URL")
                         and os.environ.get("KEIREKI_TEST_BROKER_URL") else [])


@pytest.mark.slow
@pytest.mark.parametrize("soak_backend", BACKENDS)
def test_short_soak_loses_nothing(soak_backend: str) -> None:
    spec = importlib.util.spec_from_file_location("soak", BENCH)
    assert spec is not None
    assert spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = soak  # its dataclasses look their module up
    spec.loader.exec_module(soak)
    port = 5482 if soak_backend == "sqlite" else 5483
    figures = soak.main(["--backend", soak_backend, "--participants", "4", "--duration", "30", "--kills", "2",
                         "--seed-participants", "10", "--port", str(port)])
    assert figures["non_2xx_3xx"] == 0
    assert figures["submissions_acknowledged"] > 0
    assert figures["responses_stored"] == figures["submissions_acknowledged"]
    assert figures["records_exactly_once"] == figures["submissions_acknowledged"]
    assert figures["records_more_than_once"] == 0
    assert figures["demo_seed_exit"] == 0
    assert figures["worker_restarts"] == 2
