"""Processes starting together on an empty instance folder agree on one secret key and one data key."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

from webapp.config import load_settings

STARTERS = 8


def _start(instance: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    settings = load_settings(env={"KEIREKI_ENV": "development"}, instance_dir=instance)
    results.put((settings.secret_key, settings.data_keys))


def test_processes_racing_on_an_empty_instance_share_the_winners_secrets(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(STARTERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_start, args=(str(tmp_path / "instance"), barrier, results))
             for _ in range(STARTERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * STARTERS  # none died with FileExistsError
    seen = {results.get(timeout=5) for _ in range(STARTERS)}
    assert len(seen) == 1
    secret, data_keys = seen.pop()
    assert (tmp_path / "instance" / "secret_key").read_text() == secret
    assert (tmp_path / "instance" / "data_key").read_text() == data_keys[0]
    for name in ("secret_key", "data_key"):
        assert stat.S_IMODE((tmp_path / "instance" / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == ["data_key", "secret_key"]  # no leftovers
