"""CPU per request of the form GET and the page save, in-process: what ``bench/web.py`` measures, without the
server and the clients, so that a change to one request can be measured apart from the machine's load.

    .venv/bin/python bench/web_profile.py [--database sqlite|postgresql] [--requests 200] [--runs 5]
                                          [--profile form|save] [--database-url URL] [--compare DIR]

A fresh database set up by ``keireki setup`` (as ``bench/web.py``), the app of ``bench/web_app.py`` built in
this process, one participant taken through the start page, screening and consent to the first page of the
form with Flask's test client (cookies, CSRF token, ``Accept-Encoding: gzip, br``). Then ``--runs`` runs,
each of ``--requests`` requests of every kind in turn: trivial GET, form GET, trivial POST, page save
(``action=next``, 303). Prints per kind the median over the runs of the CPU time of this thread per request
(``time.thread_time``, so other processes' load counts little) and the ratios trivial / form GET and
trivial / page save. ``--profile form`` or ``save`` prints instead cProfile's 40 most expensive functions
(cumulative) of one run of that kind.

``--compare DIR`` measures this checkout against another one (``DIR``, e.g. a ``git worktree`` of the base
commit) in the same minutes: each in a child process of its own (its own database, its code first on
``sys.path``), the two asked in turn for ``--requests`` requests of one kind at a time, ``--runs`` times, the
order swapped every run, so that the machine's changing load falls on both alike. Prints per kind the median
and the minimum over the runs of each side's CPU per request and the change.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from web import STUDY, _database, _token  # noqa: E402  (beside this file)
from web_app import TRIVIAL  # noqa: E402
from web_app import app as bench_app  # noqa: E402

HEADERS = {"Accept-Language": "en", "Accept-Encoding": "gzip, br"}
PLAIN = {"Accept-Language": "en"}  # setting up reads the pages' tokens


def _participant(client: Any) -> tuple[str, str]:
    """Start page, screening and consent, as ``bench/web.py``'s users; the form's first page and its token."""
    start = f"/s/{STUDY}"
    client.get(start, headers=PLAIN)
    screening = client.get(f"{start}/screening", headers=PLAIN).get_data(as_text=True)
    client.post(f"{start}/screening", headers=PLAIN, data={
        "csrf_token": _token(screening), "participant_type": "ti", "adult": "yes", "in_japan": "yes"})
    consent = client.get(f"{start}/consent", headers=PLAIN).get_data(as_text=True)
    client.post(f"{start}/consent", headers=PLAIN, data={
        "csrf_token": _token(consent), "consent": "yes", "withdrawal_data": "keep"})
    first = client.get(f"{start}/form/_first", headers=PLAIN, follow_redirects=True)
    page = first.request.path
    if "/form/" not in page or first.status_code != 200:
        raise RuntimeError(f"consent did not lead to the form: {page} {first.status_code}")
    return page, _token(first.get_data(as_text=True))


def _kinds(client: Any, page: str, token: str) -> dict[str, Callable[[], None]]:
    def expect(response: Any, status: int) -> None:
        response.get_data()
        response.close()
        if response.status_code != status:
            raise RuntimeError(f"{response.request.path}: {response.status_code}, not {status}")

    return {
        "trivial GET": lambda: expect(client.get(TRIVIAL, headers=HEADERS), 200),
        "form GET": lambda: expect(client.get(page, headers=HEADERS), 200),
        "trivial POST": lambda: expect(client.post(TRIVIAL, headers=HEADERS, data={"action": "next"}), 200),
        "page save": lambda: expect(client.post(page, headers=HEADERS, data={"csrf_token": token, "action": "next"}),
                                    303),
    }


def _cpu_per_request(call: Callable[[], None], count: int) -> float:
    began = time.thread_time()
    for _ in range(count):
        call()
    return (time.thread_time() - began) / count


@contextlib.contextmanager
def _requests(database: str, database_url: str) -> Iterator[dict[str, Callable[[], None]]]:
    """A fresh database set up by ``keireki setup``, the app of ``bench/web_app.py``, one participant at the
    first page of the form, and the four kinds of request, warmed (templates compiled, instrument parsed,
    connections open); the database dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="keireki-bench-webp-") as tmp:
        url, drop = _database(database, database_url, Path(tmp))
        os.environ.update(KEIREKI_INSTANCE_DIR=tmp, KEIREKI_DATABASE_URL=url)
        try:
            subprocess.run([str(Path(sys.executable).with_name("keireki")), "setup"], cwd=ROOT, check=True,  # noqa: S603
                           stdout=subprocess.DEVNULL)
            application = bench_app()
            client = application.test_client()
            kinds = _kinds(client, *_participant(client))
            for call in kinds.values():
                _cpu_per_request(call, 5)
            yield kinds
            from webapp.db import get_db

            get_db(application).engine.dispose()
        finally:
            if drop is not None:
                drop()


def _serve_requests(database: str, database_url: str) -> None:
    """``--serve-requests``: a child of ``--compare``: set up, then answer "<kind> <count>" lines on stdin
    with the CPU seconds per request of ``count`` requests of that kind, until "quit"."""
    with _requests(database, database_url) as kinds:
        print("ready", flush=True)
        for line in sys.stdin:
            kind, _, count = line.strip().rpartition(" ")
            if kind not in kinds:
                break
            print(json.dumps(_cpu_per_request(kinds[kind], int(count))), flush=True)


def _compare(other: Path, args: argparse.Namespace) -> int:
    sides = {"this": ROOT, "other": other.resolve()}
    children = {
        name: subprocess.Popen(  # noqa: S603 - this interpreter, a script of the checkout
            [sys.executable, str(root / "bench" / "web_profile.py"), "--serve-requests", "--database", args.database,
             "--database-url", args.database_url],
            cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for name, root in sides.items()
    }
    kinds = ("trivial GET", "form GET", "trivial POST", "page save")
    times: dict[tuple[str, str], list[float]] = {(name, kind): [] for name in sides for kind in kinds}
    try:
        for child in children.values():
            if child.stdout is None or child.stdout.readline().strip() != "ready":
                raise RuntimeError("a checkout could not be set up")
        for run in range(args.runs):
            order = list(children.items()) if run % 2 == 0 else list(reversed(children.items()))
            for kind in kinds:
                for name, child in order:
                    assert child.stdin is not None
                    assert child.stdout is not None
                    child.stdin.write(f"{kind} {args.requests}\n")
                    child.stdin.flush()
                    times[(name, kind)].append(json.loads(child.stdout.readline()))
    finally:
        for child in children.values():
            if child.stdin is not None:
                child.stdin.write("quit 0\n")
                child.stdin.close()
            child.wait(60)
    print(f"{args.database}: this checkout ({ROOT}) against {sides['other']}, {args.runs} runs of {args.requests} "
          "requests of each kind, in turn, CPU per request")
    for kind in kinds:
        this, base = times[("this", kind)], times[("other", kind)]
        print(f"{kind:>12}: this median {statistics.median(this) * 1000:.3f} ms (min {min(this) * 1000:.3f}), "
              f"other {statistics.median(base) * 1000:.3f} ms (min {min(base) * 1000:.3f}), "
              f"change {statistics.median(this) / statistics.median(base) - 1:+.0%}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", choices=("form", "save"))
    parser.add_argument("--sort", default="cumulative", help="cProfile's order: cumulative, tottime, …")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="another checkout to measure against, in turn (e.g. a git worktree of the base)")
    parser.add_argument("--serve-requests", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_requests:
        _serve_requests(args.database, args.database_url)
        return 0
    if args.compare is not None:
        return _compare(args.compare, args)
    with _requests(args.database, args.database_url) as kinds:
        if args.profile:
            call = kinds["form GET" if args.profile == "form" else "page save"]
            profiler = cProfile.Profile()
            profiler.runcall(_cpu_per_request, call, args.requests)
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(40)
            if os.environ.get("BENCH_PROFILE_CALLERS"):
                stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])
            return 0
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.runs):
            for kind, call in kinds.items():
                times[kind].append(_cpu_per_request(call, args.requests))
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    print(f"{args.database}: {args.runs} runs of {args.requests} requests of each kind, CPU of this thread")
    for kind, values in times.items():
        print(f"{kind:>12}: median {medians[kind] * 1000:.2f} ms per request "
              f"(runs: {', '.join(f'{v * 1000:.2f}' for v in values)})")
    print(f"trivial GET / form GET {medians['trivial GET'] / medians['form GET']:.2f}x, "
          f"trivial POST / page save {medians['trivial POST'] / medians['page save']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
