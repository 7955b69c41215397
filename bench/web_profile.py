"""CPU per request of the form GET and the page save, in-process: what ``bench/web.py`` measures, without the
server and the clients, so that a change to one request can be measured apart from the machine's load.

    .venv/bin/python bench/web_profile.py [--database sqlite|postgresql] [--requests 200] [--runs 5]
                                          [--profile form|save] [--database-url URL]

A fresh database set up by ``keireki setup`` (as ``bench/web.py``), the app of ``bench/web_app.py`` built in
this process, one participant taken through the start page, screening and consent to the first page of the
form with Flask's test client (cookies, CSRF token, ``Accept-Encoding: gzip, br``). Then ``--runs`` runs,
each of ``--requests`` requests of every kind in turn: trivial GET, form GET, trivial POST, page save
(``action=next``, 303). Prints per kind the median over the runs of the CPU time of this thread per request
(``time.thread_time``, so other processes' load counts little) and the ratios trivial / form GET and
trivial / page save. ``--profile form`` or ``save`` prints instead cProfile's 40 most expensive functions
(cumulative) of one run of that kind.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", choices=("form", "save"))
    parser.add_argument("--sort", default="cumulative", help="cProfile's order: cumulative, tottime, …")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keireki-bench-webp-") as tmp:
        url, drop = _database(args.database, args.database_url, Path(tmp))
        os.environ.update(KEIREKI_INSTANCE_DIR=tmp, KEIREKI_DATABASE_URL=url)
        try:
            subprocess.run([str(Path(sys.executable).with_name("keireki")), "setup"], cwd=ROOT, check=True,  # noqa: S603
                           stdout=subprocess.DEVNULL)
            application = bench_app()
            client = application.test_client()
            page, token = _participant(client)
            kinds = _kinds(client, page, token)
            for call in kinds.values():  # warm: templates compiled, instrument parsed, connections open
                _cpu_per_request(call, 5)
            if args.profile:
                call = kinds["form GET" if args.profile == "form" else "page save"]
                profiler = cProfile.Profile()
                profiler.runcall(_cpu_per_request, call, args.requests)
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
                return 0
            times: dict[str, list[float]] = {kind: [] for kind in kinds}
            for _ in range(args.runs):
                for kind, call in kinds.items():
                    times[kind].append(_cpu_per_request(call, args.requests))
            from webapp.db import get_db

            get_db(application).engine.dispose()
        finally:
            if drop is not None:
                drop()
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
