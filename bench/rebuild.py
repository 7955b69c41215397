"""``records rebuild`` on 1 vs 2 Celery worker processes (PostgreSQL + Redis), in the same run.

    .venv/bin/python bench/rebuild.py [--n 2000] [--batch 20] [--rounds 2] [--database-url URL]
                                      [--broker-url redis://127.0.0.1:6379/7]

1. Creates a database of its own on the PostgreSQL server of ``--database-url`` (default the local
   ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` server; dropped afterwards), migrates it and seeds N
   submitted intake responses as ``bench/records.py`` does.
2. Per round, for ``--concurrency 1`` and then 2: starts a real ``celery worker`` (prefork) on a queue of its
   own, waits until it is ready, queues the rebuild of every participant as ``records rebuild`` does (jobs of
   ``--batch`` participants, ``workers.tasks.records.enqueue_rebuild``) and waits until every job is done.
   Timed from the first job queued to the last one done; the CPU seconds of the worker's processes (main +
   children, from ``/proc``) and of the PostgreSQL backends serving the database are taken around it.
Prints per run the wall time, participants/s, worker and PostgreSQL CPU per job; then the median speed-up of 2
workers over 1 (goal >= 1.8x where the cores allow: the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _group_cpu(pgid: int) -> float:
    """CPU seconds of every live process of a process group (the worker and its pool children)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _backends_cpu(engine: sa.Engine) -> dict[int, float]:
    with engine.connect() as conn:
        pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")).scalars().all()
    return {pid: _cpu(pid) for pid in pids}


def _statuses(engine: sa.Engine, job_ids: list[int]) -> list[str]:
    from webapp.models import Job

    with engine.connect() as conn:
        return list(conn.execute(sa.select(Job.status).where(Job.id.in_(job_ids))).scalars())  # type: ignore[attr-defined]


def _wait_ready(log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and " ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not start: {log.read_text(errors='replace')[-2000:]}")


def one_run(app, url: str, broker: str, tmp: Path, concurrency: int, batch: int | None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from tests.support.processes import celery_worker, worker_env
    from webapp.db import db_session, get_db
    from workers.store.records import participant_ids
    from workers.tasks.records import enqueue_rebuild

    queue = app.config["KEIREKI"].queue
    env = worker_env(database_url=url, broker_url=broker, instance_dir=tmp, queue=queue)
    log = tmp / f"worker-{concurrency}-{uuid.uuid4().hex[:6]}.log"
    engine = get_db(app).engine
    with celery_worker(env, concurrency=concurrency, name=f"bench{concurrency}", log=log) as proc:
        _wait_ready(log)
        with app.app_context():
            session = db_session()
            ids = participant_ids(session=session)
            server, worker, main = _backends_cpu(engine), _group_cpu(proc.pid), _cpu(proc.pid)
            start = time.perf_counter()
            queued = [j.id for j in enqueue_rebuild(session=session, participant_ids=ids, batch=batch)
                      if j.id is not None]
            session.close()
        while True:
            statuses = _statuses(engine, queued)
            if all(s in ("done", "failed") for s in statuses):
                break
            time.sleep(0.1)
        wall = time.perf_counter() - start
        worker_cpu = _group_cpu(proc.pid) - worker
        main_cpu = _cpu(proc.pid) - main
        after = _backends_cpu(engine)
        server_cpu = sum(cpu - server.get(pid, 0.0) for pid, cpu in after.items())
    failed = statuses.count("failed")
    if failed:
        raise RuntimeError(f"{failed} jobs failed; see {log}")
    return {"wall": wall, "people": len(ids), "jobs": len(queued), "worker_cpu": worker_cpu,
            "main_cpu": main_cpu, "server_cpu": server_cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="responses to seed")
    parser.add_argument("--batch", type=int, default=None,
                        help="participants per job (records rebuild --batch; default: its default on PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of 1 and of 2 workers, alternating")
    parser.add_argument("--pool", type=int, default=2000, help="distinct synthetic answer sets")
    parser.add_argument("--database-url", default=os.environ.get("KEIREKI_DATABASE_URL") or DEFAULT_SERVER)
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    import records as bench_records

    from tests.support.databases import upgrade
    from webapp import create_app
    from webapp.config import load_settings
    from webapp.db import get_db

    server = sa.make_url(args.database_url)
    if server.get_backend_name() != "postgresql":
        parser.error("the rebuild benchmark runs on PostgreSQL: give a postgresql+psycopg:// URL")
    name = f"keireki_bench_rebuild_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="keireki-bench-rebuild-"))
    try:
        upgrade(url)
        seeder = bench_records._app(url, tmp)
        start = time.perf_counter()
        bench_records.seed(seeder, args.n, min(args.pool, args.n))
        get_db(seeder).engine.dispose()
        from workers.tasks.records import REBUILD_BATCH_POSTGRESQL

        args.batch = args.batch or REBUILD_BATCH_POSTGRESQL
        print(f"seeded {args.n} responses in {time.perf_counter() - start:.1f} s; jobs of {args.batch}",
              flush=True)
        settings = load_settings(env={"KEIREKI_ENV": "development"}, instance_dir=tmp, database_url=url,
                                 broker_url=args.broker_url, queue=f"keireki-bench-{uuid.uuid4().hex[:8]}",
                                 data_dir=tmp / "data")
        app = create_app({}, settings=settings)
        speeds: dict[int, list[float]] = {1: [], 2: []}
        busy: list[float] = []  # cores the 1-worker runs kept busy (worker + PostgreSQL CPU / wall)
        for _ in range(args.rounds):
            for concurrency in (1, 2):
                r = one_run(app, url, args.broker_url, tmp, concurrency, args.batch)
                speeds[concurrency].append(r["people"] / r["wall"])
                if concurrency == 1:
                    busy.append((r["worker_cpu"] + r["server_cpu"]) / r["wall"])
                load = " ".join(f"{v:.1f}" for v in os.getloadavg())
                print(f"{concurrency} worker{'s' if concurrency > 1 else ' '}: {r['wall']:6.1f} s, "
                      f"{r['people'] / r['wall']:6.1f} participants/s, worker CPU {r['worker_cpu']:.1f} s = "
                      f"{1000 * r['worker_cpu'] / r['jobs']:.0f} ms per job of {args.batch} (of it the main process "
                      f"{1000 * r['main_cpu'] / r['jobs']:.0f} ms), PostgreSQL CPU "
                      f"{1000 * r['server_cpu'] / r['jobs']:.0f} ms per job, cores busy "
                      f"{(r['worker_cpu'] + r['server_cpu']) / r['wall']:.2f} (load average {load})", flush=True)
        get_db(app).engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    ratio = statistics.median(speeds[2]) / statistics.median(speeds[1])
    cores = os.cpu_count() or 1
    bound = min(2.0, cores / statistics.median(busy))
    print(f"2 workers / 1 worker: {ratio:.2f}x (median of {args.rounds}; goal >= 1.8x where cores allow, "
          f"{cores} cores). One worker kept {statistics.median(busy):.2f} cores busy (its processes and its "
          f"PostgreSQL backends), so {cores} cores allow at most {bound:.2f}x, with nothing else running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
