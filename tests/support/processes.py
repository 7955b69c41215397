"""Starting real Celery worker processes for integration tests (never eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(*, database_url: str, broker_url: str, instance_dir: Path, queue: str,
               lease_seconds: int = 300) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEIREKI_")}
    env.update(
        KEIREKI_ENV="development",
        KEIREKI_DATABASE_URL=database_url,
        KEIREKI_BROKER_URL=broker_url,
        KEIREKI_INSTANCE_DIR=str(instance_dir),
        KEIREKI_QUEUE=queue,
        KEIREKI_JOB_LEASE_SECONDS=str(lease_seconds),
        PYTHONPATH=str(ROOT),
    )
    return env


@contextmanager
def celery_worker(env: dict[str, str], *, concurrency: int = 1, name: str = "test",
                  log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery worker`` process (prefork) on the given broker; stopped (or killed) afterwards."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    cmd = [sys.executable, "-m", "celery", "-A", "workers.entry", "worker", "--pool", "prefork",
           "--concurrency", str(concurrency), "-n", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
           "--loglevel", "INFO", "-Q", env["KEIREKI_QUEUE"]]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and all its children at once (a crash, not a shutdown)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def wait_for(predicate: object, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(interval)
    return False
