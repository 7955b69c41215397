"""`keireki serve` for real: a SIGKILLed worker is restarted while the web app keeps serving, slow clients
do not starve it, and Ctrl-C stops everything. One real serve (SQLite, embedded broker) on port 5471."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import databases
from tests.support.processes import ROOT, wait_for

PORT = 5471
pytestmark = pytest.mark.slow


def _get(path: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=timeout) as resp:  # noqa: S310
            return int(resp.status)
    except urllib.error.HTTPError as exc:  # an answer all the same (a 404 of an unknown study)
        return int(exc.code)


def _up(log: Path) -> bool:
    try:
        return _get("/", timeout=2) < 500 and " ready." in log.read_text()  # web answers, worker ready
    except OSError:
        return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    instance = tmp_path / "instance"
    url = f"sqlite:///{instance / 'keireki.db'}"
    instance.mkdir()
    databases.upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEIREKI_")}
    env.update(KEIREKI_INSTANCE_DIR=str(instance), KEIREKI_DATABASE_URL=url, PYTHONPATH=str(ROOT),
               KEIREKI_QUEUE="keireki-serve-test", KEIREKI_WORKER_CONCURRENCY="1")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "keireki"), "serve", "--port", str(PORT)],  # noqa: S603
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(lambda: _up(log), timeout=90), log.read_text()[-3000:]
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # serve stops its children (their own process groups)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _pids(log: Path, name: str) -> list[int]:
    return [int(p) for p in re.findall(rf"started {name} \(pid (\d+)\)", log.read_text())]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_worker_is_restarted_and_ctrl_c_stops_everything(
        served: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, log = served
    [worker] = _pids(log, "worker")
    os.killpg(worker, signal.SIGKILL)
    assert wait_for(lambda: len(_pids(log, "worker")) == 2, timeout=30), log.read_text()[-3000:]
    assert "worker exited with -9; restarting it" in log.read_text()
    assert _get("/") < 500  # the web app kept serving
    assert proc.poll() is None
    children = [pid for name in ("web", "worker", "beat") for pid in _pids(log, name)[-1:]]
    assert wait_for(lambda: log.read_text().count(" ready.") >= 2, timeout=60)  # the new worker's pool is up
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert wait_for(lambda: not any(_alive(pid) for pid in children), timeout=10)
    said = log.read_text()
    assert "stopping: the worker finishes the job it is running first" in said  # why Ctrl-C takes seconds
    assert all(f"{name} stopped" in said for name in ("web", "worker", "beat")), said[-2000:]
    assert "exited with 'signal 15" not in said  # the worker stopped its pool itself (warm shutdown)


def test_slow_clients_do_not_starve_the_web_app(served: tuple[subprocess.Popen[bytes], Path]) -> None:
    """Eight clients send a page save at 1 byte/s; a normal GET is still answered (generous bound)."""
    slow = []
    for _ in range(8):
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        sock.sendall(b"POST /s/x/form/y HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n")
        slow.append(sock)
    try:
        for _ in range(3):  # the slow bodies trickle in meanwhile
            for sock in slow:
                sock.sendall(b"a")
            time.sleep(1)
        started = time.monotonic()
        assert _get("/", timeout=10) < 500
        assert time.monotonic() - started < 10
    finally:
        for sock in slow:
            sock.close()
