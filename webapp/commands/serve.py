"""``keireki serve``: the web app, a Celery worker and beat as three supervised processes, for ``make run``.

Each runs in its own process group. A child that dies (a crash, the OOM killer, a SIGKILL) is started
again after a backoff that doubles while it keeps dying quickly (1 s up to 30 s), and this is logged;
the others go on, so the web app keeps serving while the worker comes back. Ctrl-C (SIGINT) or
SIGTERM stops all of them, so nothing is left running in the background.

The web server is waitress: it reads a whole request (headers and body) in its I/O loop before a
thread runs the app, so clients sending at 1 byte/s hold a socket, not one of the threads. It is one
process, so rate limits kept in memory (``memory://``) stay exact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

#: Web threads; waitress buffers slow requests before one is taken, so they all do work.
WEB_THREADS = 8
#: How long the children get to stop (a job in progress finishes) before they are killed.
STOP_WAIT = 15.0
#: Restart backoff: first wait, largest wait, and how long a child must live to count as healthy again.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
HEALTHY_AFTER = 60.0


def web_processes(ratelimit_storage_url: str) -> list[str]:
    """waitress's options. Always ONE process: exact with rate limits in process memory (``memory://``),
    and enough with a shared store too (several processes: gunicorn behind a proxy, see the README)."""
    del ratelimit_storage_url  # one process either way
    return ["--threads", str(WEB_THREADS), "--channel-timeout", "120", "--connection-limit", "1000"]


def _commands(host: str, port: int, concurrency: int, ratelimit_storage_url: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "web": [py, "-m", "waitress", "--listen", f"{host}:{port}", *web_processes(ratelimit_storage_url),
                "--ident", "keireki", "webapp.wsgi:app"],
        "worker": [py, "-m", "celery", "-A", "workers.entry", "worker", "--loglevel", "INFO",
                   "--concurrency", str(concurrency), "--pool", "prefork", "-n", "keireki@%h"],
        "beat": [py, "-m", "celery", "-A", "workers.entry", "beat", "--loglevel", "INFO"],
    }


@dataclass
class Child:
    """One supervised process: its command, the running process, and its restart state."""

    name: str
    cmd: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, start_new_session=True)  # noqa: S603 - fixed argv
        self.started = time.monotonic()
        self.restart_at = None
        _say(f"started {self.name} (pid {self.proc.pid})")

    def check(self, now: float) -> None:
        """Notice a death and schedule the restart; restart when its time has come."""
        if self.proc is not None and self.proc.poll() is not None:
            code = self.proc.returncode
            self.proc = None
            if now - self.started >= HEALTHY_AFTER:
                self.backoff = FIRST_BACKOFF
            self.restart_at = now + self.backoff
            _say(f"{self.name} exited with {code}; restarting it in {self.backoff:.0f} s", warning=True)
            self.backoff = min(self.backoff * 2, MAX_BACKOFF)
        if self.proc is None and self.restart_at is not None and now >= self.restart_at:
            self.restarts += 1
            self.start()

    def signal(self, signum: int) -> None:
        """Signal the child's main process only: Celery's worker stops its own pool (a SIGTERM to the whole
        group would kill the pool's processes under it, logged as errors); :meth:`wait` kills the group."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait(self, deadline: float) -> None:
        """Wait for it to exit until ``deadline``, then kill it; says which it was."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _say(f"{self.name} stopped")
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            _say(f"{self.name} did not stop in time: killed", warning=True)


def _say(text: str, *, warning: bool = False) -> None:
    """One line on serve's output (the terminal of ``make run``), where the children log too."""
    del warning
    print(text, flush=True)


def serve(*, host: str, port: int) -> int:
    from webapp.config import load_settings, remember_base_url

    if not os.environ.get("KEIREKI_BASE_URL"):  # links in e-mails and printed by commands: where this serves
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison, not a bind
        os.environ["KEIREKI_BASE_URL"] = f"http://{shown}:{port}"
    settings = load_settings()  # creates the instance's secrets once, before the children race for them
    remember_base_url(settings)
    stopping = False

    def stop(_signum: int | None = None, _frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children = [Child(name, cmd) for name, cmd in
                _commands(host, port, settings.worker_concurrency, settings.ratelimit_storage_url).items()]
    try:
        for child in children:
            child.start()
        while not stopping:
            now = time.monotonic()
            for child in children:
                child.check(now)
            time.sleep(0.2)
    finally:
        for child in children:
            child.signal(signal.SIGTERM)
        _say(f"stopping: the worker finishes the job it is running first (at most {STOP_WAIT:.0f} s)")
        deadline = time.monotonic() + STOP_WAIT
        for child in children:
            child.wait(deadline)
        _say("stopped web, worker and beat")
    return 0
