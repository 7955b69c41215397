"""``keireki serve``: the web app, a Celery worker and beat as three processes, for ``make run``.

Each runs in its own process group; Ctrl-C (SIGINT) or SIGTERM stops all of them, and if one dies the
others are stopped too, so nothing is left running in the background.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType


def web_processes(ratelimit_storage_url: str) -> list[str]:
    """gunicorn's process options: rate limits kept in process memory are only exact in ONE process.

    With ``memory://`` (the embedded default) the web app runs as one process with four threads; with a
    shared store (``redis://``...) as two processes.
    """
    if ratelimit_storage_url.startswith("memory://"):
        return ["--workers", "1", "--threads", "4"]
    return ["--workers", "2"]


def _commands(host: str, port: int, concurrency: int, ratelimit_storage_url: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "web": [py, "-m", "gunicorn", "--bind", f"{host}:{port}", *web_processes(ratelimit_storage_url),
                "--access-logfile", "-", "webapp.wsgi:app"],
        "worker": [py, "-m", "celery", "-A", "workers.entry", "worker", "--loglevel", "INFO",
                   "--concurrency", str(concurrency), "--pool", "prefork", "-n", "keireki@%h"],
        "beat": [py, "-m", "celery", "-A", "workers.entry", "beat", "--loglevel", "INFO"],
    }


def serve(*, host: str, port: int) -> int:
    from webapp.config import load_settings

    settings = load_settings()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(_signum: int | None = None, _frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, cmd in _commands(host, port, settings.worker_concurrency,
                                    settings.ratelimit_storage_url).items():
        procs[name] = subprocess.Popen(cmd, start_new_session=True)  # noqa: S603 - fixed argv
        print(f"started {name} (pid {procs[name].pid})", flush=True)
    code = 0
    try:
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the others", flush=True)
                    code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        print("stopped web, worker and beat", flush=True)
    return code
