"""bench/soak.py in its short form (about 30 s, 8 participants): no 5xx or other failed answer, and every
acknowledged submission stored and converted exactly once, with the worker SIGKILLed twice while
``demo seed`` runs. One run per backend: the embedded default, and PostgreSQL + Redis when configured.
The port is a free one the system gives, or ``KEIREKI_SOAK_PORT`` (and the next one)."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("KEIREKI_TEST_DATABASE_URL")
                         and os.environ.get("KEIREKI_TEST_BROKER_URL") else [])


def _port(backend: str) -> int:
    if os.environ.get("KEIREKI_SOAK_PORT"):
        return int(os.environ["KEIREKI_SOAK_PORT"]) + BACKENDS.index(backend)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("soak_backend", BACKENDS)
def test_short_soak_loses_nothing(soak_backend: str) -> None:
    spec = importlib.util.spec_from_file_location("soak", BENCH)
    assert spec is not None
    assert spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = soak  # its dataclasses look their module up
    spec.loader.exec_module(soak)
    port = _port(soak_backend)
    figures = soak.main(["--backend", soak_backend, "--participants", "8", "--duration", "30", "--kills", "2",
                         "--seed-participants", "10", "--port", str(port)])
    assert figures["non_2xx_3xx"] == 0  # no 5xx, no 4xx, no request without an answer within 60 s
    assert figures["saves_attempted"] >= 20
    assert figures["submissions_acknowledged"] > 0
    assert figures["responses_stored"] == figures["submissions_acknowledged"]
    assert figures["records_exactly_once"] == figures["submissions_acknowledged"]
    assert figures["records_more_than_once"] == 0
    assert figures["demo_seed_exit"] == 0
    assert figures["worker_restarts"] == 2
