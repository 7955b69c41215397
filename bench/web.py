"""Page-save POST and form GET through the real flow, against a trivial route of the same app and server.

    .venv/bin/python bench/web.py [--database sqlite|postgresql] [--users 32] [--rounds 5] [--requests 10]
                                  [--port 5871] [--database-url URL] [--server waitress|gunicorn] [--workers 4]
                                  [--threads N]
                                  [--ratelimit-storage-url redis://127.0.0.1:6379/11]

1. A fresh database (a temporary SQLite file, or a database of its own created on the PostgreSQL server of
   ``--database-url``, dropped afterwards) set up by ``keireki setup`` (migrations, the bundled study).
2. The web server runs on 127.0.0.1, serving the app plus ``/__bench/trivial`` (``bench/web_app.py``), both
   routes by the same server with the same options: by default waitress as ``keireki serve`` runs it (one
   process, ``webapp.commands.serve.web_processes``' options); with ``--server gunicorn`` gunicorn as the
   README's production command runs it (``--workers 4`` sync workers, ``gunicorn.conf.py``), the rate limits
   then in Redis (``--ratelimit-storage-url``, as the README says for several processes).
3. ``--users`` participants, each with its own cookies, go through the start page, screening and consent
   (CSRF tokens from the pages, as a browser would), to the first page of their form.
4. Rounds, each running four phases in turn, every user sending ``--requests`` requests per phase, all
   users at once (``--users`` concurrent connections, spread over client processes): trivial GET, form GET
   (``/s/<study>/form/<page>``, 200), trivial POST, page-save POST (the page's answers with the CSRF token,
   ``action=save``-like ``next`` that saves the draft and redirects, 303).
Prints per round the throughput of each phase, the ratios form GET / trivial GET and page save / trivial
POST, and at the end the median ratio over rounds, p50/p99 latency of each phase and the error count
(any status other than the expected one, or a failed connection). Stops by itself.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from web_app import TRIVIAL  # noqa: E402  (beside this file)

STUDY = "sme-careers"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
PHASES = ("trivial GET", "form GET", "trivial POST", "page save")


def _token(html: str) -> str:
    found = _CSRF.search(html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


class User:
    """One participant's browser: its cookies, the first page of its form and that page's token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        self.http.headers["Accept-Encoding"] = "gzip, br"
        start = f"{base}/s/{STUDY}"
        self.http.get(start).raise_for_status()
        screening = self.http.get(f"{start}/screening")
        screening.raise_for_status()
        self.http.post(f"{start}/screening", data={
            "csrf_token": _token(screening.text), "participant_type": "ti", "adult": "yes", "in_japan": "yes",
        }).raise_for_status()
        consent = self.http.get(f"{start}/consent")
        self.http.post(f"{start}/consent", data={
            "csrf_token": _token(consent.text), "consent": "yes", "withdrawal_data": "keep",
        }).raise_for_status()
        page = self.http.get(f"{start}/form/_first")
        page.raise_for_status()
        if "/form/" not in page.url:
            raise RuntimeError(f"consent did not lead to the form: {page.url}")
        self.page = page.url.split("?")[0]
        self.token = _token(page.text)

    def request(self, phase: str) -> tuple[float, bool]:
        began = time.perf_counter()
        try:
            if phase == "trivial GET":
                ok = self.http.get(self.base + TRIVIAL).status_code == 200
            elif phase == "form GET":
                ok = self.http.get(self.page).status_code == 200
            elif phase == "trivial POST":
                ok = self.http.post(self.base + TRIVIAL, data={"action": "next"}).status_code == 200
            else:
                response = self.http.post(self.page, data={"csrf_token": self.token, "action": "next"},
                                          allow_redirects=False)
                ok = response.status_code == 303
        except requests.RequestException:
            ok = False
        if not ok and os.environ.get("BENCH_WEB_DEBUG"):
            print(phase, "failed", file=sys.stderr)
        return time.perf_counter() - began, ok


def _client(conn: Any, base: str, users: int) -> None:
    """A client process: its share of the users; runs a phase when told, answers with the latencies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.recv()  # the users are set up one client process after the other (setting up is not measured)
    mine = [User(base) for _ in range(users)]
    conn.send("ready")
    with ThreadPoolExecutor(max_workers=users) as pool:
        while (command := conn.recv()) is not None:
            phase, count = command

            def run(user: User, phase: str = phase, count: int = count) -> list[tuple[float, bool]]:
                return [user.request(phase) for _ in range(count)]

            conn.send([r for results in pool.map(run, mine) for r in results])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _server_command(server: str, port: int, workers: int, env: dict[str, str], threads: int | None = None) -> list[str]:
    """The web server's command line, serving ``web_app:app``: waitress as ``keireki serve`` runs it (one
    process, ``webapp.commands.serve.web_processes``' options), or gunicorn as the README's production
    command runs it (``--workers N``, sync workers, ``gunicorn.conf.py`` read from the repository)."""
    from webapp.commands.serve import web_processes

    if server == "waitress":
        options = web_processes(env.get("KEIREKI_RATELIMIT_STORAGE_URL", "memory://"))
        if threads is not None:  # an experiment: keireki serve's options with another number of threads
            options[options.index("--threads") + 1] = str(threads)
        return [sys.executable, "-m", "waitress", "--listen", f"127.0.0.1:{port}", *options, "--call", "web_app:app"]
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "web_app:app()"]


def _serve(env: dict[str, str], port: int, server: str = "waitress", workers: int = 4,
           threads: int | None = None) -> subprocess.Popen[bytes]:
    """The web server (see ``_server_command``) on the app with the trivial route: both routes, one server."""
    try:
        requests.get(f"http://127.0.0.1:{port}{TRIVIAL}", timeout=1)
    except requests.RequestException:
        pass
    else:
        raise RuntimeError(f"something already answers on port {port}")
    cmd = _server_command(server, port, workers, env, threads)
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")]))}
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True,  # noqa: S603 - fixed argv
                            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BENCH_WEB_LOG", os.devnull), "wb"))
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}{TRIVIAL}", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the web server did not start (set BENCH_WEB_LOG=file to see why)")
        time.sleep(0.2)
    raise RuntimeError("the web server did not answer")


def _server_cpu(pgid: int | None) -> float:
    """CPU seconds (user + system) of the server's processes so far: those of its process group (waitress:
    one process; gunicorn: the arbiter and its workers), from ``/proc``; 0 where there is no ``/proc``."""
    if pgid is None or not os.path.isdir("/proc"):
        return 0.0
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state, ppid, pgrp, …, utime (12th), stime
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(*, base: str, users: int, rounds: int, per_user: int, processes: int,
            server_pgid: int | None = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    shares = [users // processes + (1 if i < users % processes else 0) for i in range(processes)]
    pipes = []
    procs = []
    for share in shares:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_client, args=(child, base, share), daemon=True)
        proc.start()
        child.close()  # so a client process that dies is an EOFError here, not a wait for ever
        pipes.append(parent)
        procs.append(proc)
    for pipe in pipes:
        pipe.send("set up")
        if pipe.recv() != "ready":
            raise RuntimeError("a client process failed")
    latencies: dict[str, list[float]] = {p: [] for p in PHASES}
    errors = dict.fromkeys(PHASES, 0)
    ratios: dict[str, list[float]] = {"form GET": [], "page save": []}
    cpu: dict[str, list[float]] = {p: [] for p in PHASES}  # the server's CPU per request, per round
    try:
        for r in range(1, rounds + 1):
            rates = {}
            for phase in PHASES:
                began, began_cpu = time.perf_counter(), _server_cpu(server_pgid)
                for pipe in pipes:
                    pipe.send((phase, per_user))
                results = [x for pipe in pipes for x in pipe.recv()]
                rates[phase] = len(results) / (time.perf_counter() - began)
                cpu[phase].append((_server_cpu(server_pgid) - began_cpu) / len(results))
                latencies[phase].extend(t for t, _ in results)
                errors[phase] += sum(1 for _, ok in results if not ok)
            ratios["form GET"].append(rates["form GET"] / rates["trivial GET"])
            ratios["page save"].append(rates["page save"] / rates["trivial POST"])
            print(f"round {r}: " + ", ".join(f"{p} {rates[p]:.0f} req/s" for p in PHASES)
                  + f"; form GET {ratios['form GET'][-1]:.2f}x, page save {ratios['page save'][-1]:.2f}x",
                  flush=True)
    finally:
        for pipe in pipes:
            pipe.send(None)
        for proc in procs:
            proc.join(10)
    return {"latencies": latencies, "errors": errors, "ratios": ratios, "cpu": cpu}


def _database(kind: str, server: str, instance: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{instance / 'bench.db'}", None
    import sqlalchemy as sa

    url = sa.make_url(server)
    name = f"bench_web_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="PostgreSQL server (a database is made)")
    parser.add_argument("--users", type=int, default=32, help="concurrent participants")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10, help="requests per user per phase and round")
    parser.add_argument("--clients", type=int, default=4, help="client processes sharing the users")
    parser.add_argument("--port", type=int, default=5871)
    parser.add_argument("--server", choices=("waitress", "gunicorn"), default="waitress",
                        help="waitress as `keireki serve` runs it (default), or gunicorn as the README's "
                             "production command (several processes; rate limits then in Redis)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn's --workers (the README's: 4)")
    parser.add_argument("--threads", type=int, help="waitress's --threads instead of keireki serve's (an experiment)")
    parser.add_argument("--ratelimit-storage-url", default="redis://127.0.0.1:6379/11",
                        help="KEIREKI_RATELIMIT_STORAGE_URL with --server gunicorn (several processes)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keireki-bench-web-") as tmp:
        instance = Path(tmp)
        url, drop = _database(args.database, args.database_url, instance)
        env = {**os.environ, "KEIREKI_INSTANCE_DIR": str(instance), "KEIREKI_DATABASE_URL": url,
               "KEIREKI_BASE_URL": f"http://127.0.0.1:{args.port}"}
        if args.server == "gunicorn":
            env["KEIREKI_RATELIMIT_STORAGE_URL"] = args.ratelimit_storage_url
        server = None
        try:
            subprocess.run([str(Path(sys.executable).with_name("keireki")), "setup"], env=env, cwd=ROOT, check=True,  # noqa: S603
                           stdout=subprocess.DEVNULL)
            server = _serve(env, args.port, args.server, args.workers, args.threads)
            print(f"{args.database}: {' '.join(map(str, server.args[2:]))}, {args.users} users in "
                  f"{args.clients} client processes, {args.rounds} rounds of {args.requests} requests per user "
                  "and phase", flush=True)
            result = measure(base=f"http://127.0.0.1:{args.port}", users=args.users, rounds=args.rounds,
                             per_user=args.requests, processes=args.clients, server_pgid=server.pid)
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(30)
            if drop is not None:
                drop()
    lat = result["latencies"]
    for phase in PHASES:
        print(f"{phase:>12}: p50 {_percentile(lat[phase], 0.5) * 1000:.1f} ms, "
              f"p99 {_percentile(lat[phase], 0.99) * 1000:.1f} ms, errors {result['errors'][phase]}, "
              f"server CPU {statistics.median(result['cpu'][phase]) * 1000:.2f} ms per request (median of rounds)")
    for name, values in result["ratios"].items():
        print(f"median ratio {name} / trivial: {statistics.median(values):.2f}x "
              f"(rounds: {', '.join(f'{v:.2f}' for v in values)})")
    return 0 if not any(result["errors"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
