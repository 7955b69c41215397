"""Soak: N participants through the real flow against a running ``keireki serve``, while ``demo seed``
runs, the worker is SIGKILLed and slow clients hold connections. A benchmark that prints figures.

    .venv/bin/python bench/soak.py [--backend sqlite|postgresql] [--participants 32] [--duration 120]
                                   [--kills 2] [--seed-participants 60] [--port 5480]

``sqlite``: the embedded default (SQLite in WAL mode, the filesystem broker), as ``make run`` starts it.
``postgresql``: PostgreSQL (a database of its own on 127.0.0.1:5432) and Redis (127.0.0.1:6379/9).
Each simulated participant screens (TI or SIE), consents, answers every intake page (jobs added as
repeats), submits, and starts again as a new person until ``--duration`` ends; 8 slow clients send a page
save at 1 byte/s meanwhile. It prints: saves attempted, answers other than 2xx/3xx (goal 0), submissions
acknowledged, responses stored, records built (goal: every acknowledged submission exactly once),
p50/p99 of a save, and the slow-client delay (median GET while the slow clients hold connections minus
the median GET before). 127.0.0.1 only; every process it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STUDY = "sme-careers"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Tally:
    saves: int = 0
    bad: list[str] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    save_seconds: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    #: Per save: the server's Server-Timing figures (s) and ``outside``, the client's time minus ``app``
    #: (waiting for one of waitress's threads, and the network).
    timings: list[dict[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, resp: requests.Response, seconds: float) -> None:
        with self.lock:
            if method == "POST":
                self.saves += 1
                self.save_seconds.append(seconds)
                timing = server_timing(resp.headers.get("Server-Timing", ""))
                if "app" in timing:
                    self.timings.append({**timing, "outside": max(0.0, seconds - timing["app"])})
                self.slowest = sorted([*self.slowest, (seconds, f"{time.strftime('%H:%M:%S')} {path}")])[-5:]
            if not 200 <= resp.status_code < 400:
                self.bad.append(f"{resp.status_code} {method} {path}")


def server_timing(header: str) -> dict[str, float]:
    """``lock;dur=1.2, app;dur=30.5`` as ``{"lock": 0.0012, "app": 0.0305}`` (seconds)."""
    out: dict[str, float] = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        try:
            out[name] = float(rest) / 1000
        except ValueError:
            continue
    return out


def _timing_figures(timings: list[dict[str, float]]) -> dict[str, str]:
    """p50 / p99 / max in ms of each part of a save's time: where it went."""
    figures = {}
    for name in ("app", "lock", "write", "hash", "outside"):
        if not any(name in t for t in timings):
            figures[f"save_{name}_ms"] = "none reported"  # lock and write: SQLite only
            continue
        values = sorted(t.get(name, 0.0) for t in timings)
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        figures[f"save_{name}_ms"] = (f"p50 {1000 * values[len(values) // 2]:.0f} / p99 {1000 * p99:.0f} / "
                                      f"max {1000 * values[-1]:.0f}")
    return figures


class Participant:
    """One simulated phone: a cookie jar, CSRF tokens from the pages, answers computed like a person's."""

    def __init__(self, base: str, tally: Tally, engine: sa.Engine, secret: str, rng: random.Random) -> None:
        self.base, self.tally, self.engine, self.rng = base, tally, engine, rng
        self.http = requests.Session()
        self.last = ""
        from flask import Flask
        from flask.sessions import SecureCookieSessionInterface

        app = Flask("soak")
        app.secret_key = secret
        self.cookies = SecureCookieSessionInterface().get_signing_serializer(app)

    def get(self, path: str) -> requests.Response:
        started = time.perf_counter()
        resp = self.http.get(self.base + path, timeout=60)
        self.tally.answer("GET", path, resp, time.perf_counter() - started)
        self.last = resp.text
        return resp

    def post(self, path: str, data: list[tuple[str, Any]]) -> requests.Response:
        token = _CSRF.search(self.last)
        form = [("csrf_token", token.group(1) if token else ""), *data]
        started = time.perf_counter()
        resp = self.http.post(self.base + path, data=form, timeout=60, allow_redirects=False)
        self.tally.answer("POST", path, resp, time.perf_counter() - started)
        return resp

    def pid(self) -> int:
        state = self.cookies.loads(self.http.cookies.get("keireki_session") or "")  # type: ignore[union-attr]
        return int(state["kp"][STUDY]["pid"])

    def draft(self) -> dict[str, Any]:
        from webapp.models import Draft

        with self.engine.connect() as conn:
            row = conn.execute(sa.select(Draft.answers).where(Draft.participant_id == self.pid())).first()  # type: ignore[call-overload]
        return dict(row[0]) if row else {}

    def journey(self, instruments: dict[str, Any]) -> None:
        ptype = self.rng.choice(("ti", "sie"))
        self.get(f"/s/{STUDY}/screening")
        self.post(f"/s/{STUDY}/screening", [("participant_type", ptype), ("adult", "yes"), ("in_japan", "yes")])
        self.get(f"/s/{STUDY}/consent")
        self.post(f"/s/{STUDY}/consent", [("consent", "yes"), ("withdrawal_data", "keep")])
        instrument = instruments[ptype]
        path = self._follow(f"/s/{STUDY}/form/_first")
        for _ in range(30):
            if path.endswith("/review"):
                break
            path = self._page(instrument, path)
        else:
            return
        resp = self.post(f"/s/{STUDY}/submit", [])
        if resp.status_code in (302, 303) and "/thanks" in resp.headers.get("Location", ""):
            with self.tally.lock:
                self.tally.acknowledged.append(self.pid())

    def _follow(self, path: str) -> str:
        for _ in range(5):
            resp = self.get(path) if path else None
            if resp is None:
                break
            if resp.history:
                return str(resp.url).replace(self.base, "")
            return path
        return path

    def _page(self, instrument: Any, path: str) -> str:
        from tests.webapp.participate.journey import fill
        from webapp.forms import pages

        page = path.rsplit("/", 1)[1]
        group = pages.find_page(instrument, page)
        if group is None:
            return path
        for repeat in pages.repeats(group):
            answers = self.draft()
            if not pages.engine.is_relevant(instrument, repeat, answers, today=date.today()):
                continue
            wanted = 2 if repeat.name == "jobs" else (repeat.min_count or 0)
            for n in range(len(answers.get(repeat.name, [])), wanted):
                resp = self.post(path, _flat({**fill(instrument, group, answers), "action": f"add:{repeat.name}"}))
                entry = resp.headers.get("Location", "").replace(self.base, "")
                for _part in range(4):
                    if "/entry/" not in entry:
                        break
                    self.get(entry)
                    data = fill(instrument, repeat, self.draft(), entry=(repeat.name, n))
                    resp = self.post(entry, _flat({**data, "action": "save"}))
                    entry = resp.headers.get("Location", "").replace(self.base, "")
        self.get(path)
        resp = self.post(path, _flat({**fill(instrument, group, self.draft()), "action": "next"}))
        following = resp.headers.get("Location", "").replace(self.base, "")
        if following:
            self.get(following)
        return following or path


def _flat(data: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        out.extend((key, v) for v in value) if isinstance(value, list) else out.append((key, value))
    return out


# -- the system under test --------------------------------------------------------------------------------

def _environment(backend: str, instance: Path) -> tuple[dict[str, str], str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEIREKI_")}
    env.update(KEIREKI_INSTANCE_DIR=str(instance), PYTHONPATH=str(ROOT), KEIREKI_JOB_LEASE_SECONDS="20",
               KEIREKI_QUEUE=f"soak-{uuid.uuid4().hex[:6]}")
    if backend == "sqlite":
        url = f"sqlite:///{instance / 'keireki.db'}"
        env.update(KEIREKI_DATABASE_URL=url)
        return env, url, None
    name = f"keireki_soak_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    env.update(KEIREKI_DATABASE_URL=url, KEIREKI_BROKER_URL="redis://127.0.0.1:6379/9")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return env, url, drop


def _keireki() -> str:
    return str(Path(sys.executable).parent / "keireki")


def _wait_up(base: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(base + f"/s/{STUDY}", timeout=2).status_code < 500 and " ready." in log.read_text():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"keireki serve did not come up:\n{log.read_text()[-3000:]}")


def _worker_pid(log: Path) -> int:
    return int(re.findall(r"started worker \(pid (\d+)\)", log.read_text())[-1])


def _slow_clients(port: int, stop: threading.Event, count: int = 8) -> None:
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(f"POST /s/{STUDY}/screening HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     "application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n".encode())
        socks.append(sock)
    while not stop.wait(1.0):
        for sock in socks:
            try:
                sock.sendall(b"a")  # 1 byte/s each
            except OSError:
                pass
    for sock in socks:
        sock.close()


def _median_get(base: str, n: int = 10) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        requests.get(base + f"/s/{STUDY}", timeout=60)
        times.append(time.perf_counter() - started)
        time.sleep(0.1)
    return statistics.median(times)


def _stored(url: str, ids: list[int], timeout: float) -> tuple[int, int, int]:
    """(responses stored, participants with records exactly once, with records more than once), after
    waiting up to ``timeout`` for the conversions to catch up."""
    engine = sa.create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                stored = conn.execute(
                    sa.text("SELECT COUNT(*) FROM response WHERE participant_id IN :ids")
                    .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids or [0]}).scalar_one()
                counts: dict[int, int] = dict(conn.execute(
                    sa.text("SELECT participant_id, COUNT(*) FROM rec_participants WHERE participant_id IN :ids "
                            "GROUP BY participant_id").bindparams(sa.bindparam("ids", expanding=True)),
                    {"ids": ids or [0]}).all())
            once = sum(1 for i in ids if counts.get(i) == 1)
            more = sum(1 for i in ids if counts.get(i, 0) > 1)
            if once + more >= len(ids) or time.monotonic() > deadline:
                return int(stored), once, more
            time.sleep(2)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:  # noqa: C901 - a script's linear steps
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--participants", type=int, default=32)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--seed-participants", type=int, default=60)
    parser.add_argument("--port", type=int, default=5480)
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="keireki-soak-"))
    env, url, drop = _environment(args.backend, instance)
    base = f"http://127.0.0.1:{args.port}"
    log = instance / "serve.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([_keireki(), "setup"], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
        with open(log, "wb") as out:
            serve = subprocess.Popen([_keireki(), "serve", "--port", str(args.port)], env=env, cwd=ROOT,  # noqa: S603
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(serve)
        _wait_up(base, log)
        before = _median_get(base)
        return _soak(args, env, url, base, log, before, procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        if drop is not None:
            drop()


def _soak(args: Any, env: dict[str, str], url: str, base: str, log: Path, before: float,
          procs: list[subprocess.Popen[bytes]]) -> dict[str, Any]:
    from webapp.config import load_settings
    from webapp.models import InstrumentVersion
    from webapp.services.studies import instrument_of

    secret = load_settings(env=env).secret_key
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        versions = {v.instrument_id: v for v in conn.execute(sa.select(InstrumentVersion)).all()}
    instruments = {t: instrument_of(InstrumentVersion(**versions[f"{t}_intake"]._mapping)) for t in ("ti", "sie")}
    tally = Tally()
    stop = threading.Event()
    load_before = os.getloadavg()[0]
    seeding = subprocess.Popen([_keireki(), "demo", "seed", "--participants", str(args.seed_participants),  # noqa: S603
                                "--seed", "5", "--interviewed", "0"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(seeding)
    slow = threading.Thread(target=_slow_clients, args=(args.port, stop), daemon=True)
    slow.start()

    def phone(n: int) -> None:
        rng = random.Random(n)
        while not stop.is_set():
            try:
                Participant(base, tally, engine, secret, rng).journey(instruments)
            except requests.RequestException as exc:
                with tally.lock:
                    tally.bad.append(f"no answer: {exc}")

    phones = [threading.Thread(target=phone, args=(n,), daemon=True) for n in range(args.participants)]
    started = time.monotonic()
    for t in phones:
        t.start()
    kills = [started + args.duration * (k + 1) / (args.kills + 1) for k in range(args.kills)]
    during: list[float] = []
    while time.monotonic() - started < args.duration:
        if kills and time.monotonic() >= kills[0]:
            kills.pop(0)
            os.killpg(_worker_pid(log), signal.SIGKILL)
            print(f"SIGKILLed the worker at {time.monotonic() - started:.0f} s", flush=True)
        t0 = time.perf_counter()
        try:
            requests.get(base + f"/s/{STUDY}", timeout=60)
        except requests.RequestException as exc:
            with tally.lock:
                tally.bad.append(f"probe GET: {exc}")
        during.append(time.perf_counter() - t0)
        time.sleep(1)
    stop.set()
    for t in phones:
        t.join(timeout=120)
    seed_output = seeding.communicate(timeout=600)[0].decode()
    ids = sorted(set(tally.acknowledged))
    stored, once, more = _stored(url, ids, timeout=180)
    engine.dispose()
    saves = sorted(tally.save_seconds) or [0.0]
    result = {
        "backend": args.backend, "participants": args.participants, "duration_s": args.duration,
        "saves_attempted": tally.saves, "non_2xx_3xx": len(tally.bad),
        "submissions_acknowledged": len(ids), "responses_stored": stored, "records_exactly_once": once,
        "records_more_than_once": more, "save_p50_ms": round(1000 * saves[len(saves) // 2]),
        "save_p99_ms": round(1000 * saves[min(len(saves) - 1, int(len(saves) * 0.99))]),
        "slow_client_delay_ms": round(1000 * (statistics.median(during or [before]) - before)),
        "demo_seed_exit": seeding.returncode, "worker_restarts": len(re.findall("worker exited", log.read_text())),
        **_timing_figures(tally.timings),
        "slow_requests_logged": len(re.findall("slow request", log.read_text())),
        "long_write_locks_logged": len(re.findall("held the SQLite write lock", log.read_text() + seed_output)),
        "load_average": f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1 min)",
    }
    for key, value in result.items():
        print(f"{key:28} {value}")
    print("slowest saves:", *(f"{s:.1f} s {p}" for s, p in tally.slowest), sep="\n  ")
    if tally.bad:
        print("first bad answers:", *sorted(set(tally.bad))[:10], sep="\n  ")
    if seeding.returncode:
        print("demo seed:", seed_output[-1500:])
    return result


if __name__ == "__main__":
    figures = main()
    ok = (figures["non_2xx_3xx"] == 0 and figures["records_exactly_once"] == figures["submissions_acknowledged"]
          == figures["responses_stored"] and figures["demo_seed_exit"] == 0)
    sys.exit(0 if ok else 1)
