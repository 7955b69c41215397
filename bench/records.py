"""Records conversion throughput per worker process, against a baseline measured in the same run.

    .venv/bin/python bench/records.py [--n 100000] [--batch 200] [--database-url URL]

1. Seeds N submitted intake responses (synthetic SIE, TI and manager answers from webapp.commands.demo, a pool of
   distinct answer sets cycled) straight into a fresh migrated database.
2. Conversion: ``workers.tasks.records.convert_batch`` over batches of ``--batch`` participants, in
   this process (= one worker process): load, ``build_records``, delete + bulk insert, one transaction
   per batch.
3. Baseline, the minimum work: per batch, read and decode each stored response and bulk-insert a
   fixed number of rows per response (the conversion's rows per response in the first batch, rounded up, into an
   indexed table as wide as ``rec_episodes``), one transaction per batch.
Conversion and baseline alternate batch by batch, so a busy machine slows both alike; wall-clock and
CPU seconds of this process are reported.
Prints both times, the ratio (goal <= 3x) and the peak RSS after 10k and after N responses.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _app(database_url: str, instance: Path):  # type: ignore[no-untyped-def]
    """A Flask app with only the database: the conversion needs no web area, mail or broker."""
    from flask import Flask

    from webapp.config import load_settings
    from webapp.db import init_db

    settings = load_settings(env={"KEIREKI_ENV": "development"}, instance_dir=instance, database_url=database_url,
                             broker_url="filesystem://", queue="bench", data_dir=instance / "data")
    app = Flask("keireki-bench")
    app.config["KEIREKI"] = settings
    init_db(app)
    return app


def _pool(study, session, size: int, today: date) -> list[tuple[str, int, dict, dict]]:  # type: ignore[no-untyped-def]
    """Distinct (participant_type, instrument_version_id, answers, meta) sets made by the demo generator."""
    from webapp.commands.demo import answers_for, make_person
    from webapp.services.responses import intake_id
    from webapp.services.studies import current_version, instrument_of

    rng = random.Random(42)
    versions = {t: current_version(session=session, study_id=study.id, instrument_id=intake_id(study, t) or "")
                for t in ("ti", "sie", "manager")}
    types = [t for t, v in versions.items() if v is not None]
    pool = []
    for _ in range(size):
        ptype = rng.choices(types, weights=[study.quotas.get(t, 1) for t in types])[0]
        version = versions[ptype]
        person = make_person(rng, ptype, today)
        answers, meta = answers_for(instrument_of(version), person, rng=rng, today=today)
        pool.append((ptype, version.id, answers, meta))
    return pool


def seed(app, n: int, pool_size: int) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    from webapp.db import get_db
    from webapp.models import Participant, Response
    from webapp.services.studies import load_bundled_study

    engine = get_db(app).engine
    with app.app_context():
        from webapp.db import db_session

        session = db_session()
        study = load_bundled_study(session=session)
        pool = _pool(study, session, pool_size, date(2026, 11, 1))
        study_id = study.id
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    prefixes = {"ti": "TI", "sie": "SIE", "manager": "MGR"}
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            people, answers = [], []
            for i in range(start, min(n, start + 5000)):
                ptype, _, _, _ = pool[i % len(pool)]
                people.append({"study_id": study_id, "code": f"{prefixes[ptype]}-{i:06d}", "participant_type": ptype,
                               "status": "submitted", "form_language": "en", "resume_token_hash": uuid.uuid4().hex,
                               "resume_code_hash": "x", "resume_failures": 0, "created_at": now, "updated_at": now})
            conn.execute(sa.insert(Participant), people)
            ids = conn.execute(sa.select(Participant.id).where(Participant.code.in_([p["code"] for p in people]))
                               .order_by(Participant.id)).scalars().all()
            for k, pid in enumerate(ids):
                ptype, version_id, ans, meta = pool[(start + k) % len(pool)]
                answers.append({"participant_id": pid, "instrument_id": f"{ptype}_intake", "instrument_version_id":
                                version_id, "answers": ans, "meta": meta, "submitted_at": now, "status": "submitted"})
            conn.execute(sa.insert(Response), answers)
    with engine.connect() as conn:
        all_ids = list(conn.execute(sa.select(Participant.id).order_by(Participant.id)).scalars())
    return study_id, all_ids


class Timer:
    """Wall-clock and CPU seconds of this process, summed over the timed blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def _baseline_batch(engine: sa.Engine, scratch: sa.Table, chunk: list[int], rows_per_response: int) -> None:
    """The minimum work: read and decode the stored responses, bulk-insert fixed rows, one transaction."""
    from webapp.models import Response

    with engine.begin() as conn:
        decoded = conn.execute(sa.select(Response.participant_id, Response.answers)
                               .where(Response.participant_id.in_(chunk))).all()
        conn.execute(scratch.delete().where(scratch.c.participant_id.in_(chunk)))
        out = []
        for pid, answers in decoded:
            width = len(answers)  # touch the decoded answers
            for k in range(rows_per_response):
                out.append({"study_id": 1, "participant_id": pid, "participant_code": f"P{pid}",
                            "episode_no": k + 1, "kind": "job", "start": "2019-04", "start_month": 1432 + width,
                            "country": "JPN", "job_title": "bench"})
        conn.execute(scratch.insert(), out)


def run(app, ids: list[int], batch: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Conversion and baseline batch by batch, interleaved, so both see the same machine load."""
    from webapp.db import db_session, get_db
    from webapp.models import RECORD_TABLES
    from workers.tasks.records import convert_batch

    engine = get_db(app).engine
    metadata = sa.MetaData()
    scratch = sa.Table("bench_baseline", metadata, sa.Column("id", sa.Integer, primary_key=True),
                       *[sa.Column(c.name, c.type, index=c.index) for c in list(RECORD_TABLES["episodes"].c)[1:]])
    metadata.create_all(engine)
    conversion, baseline = Timer(), Timer()
    rows, per_response, rss_10k = 0, 0, 0.0
    with app.app_context():
        session = db_session()
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            with conversion:
                outcome = convert_batch(session=session, participant_ids=chunk, today=date(2026, 11, 1))
            assert not outcome.failed, outcome.failed
            rows += outcome.rows
            per_response = per_response or max(1, math.ceil(outcome.rows / len(chunk)))
            with baseline:
                _baseline_batch(engine, scratch, chunk, per_response)
            if start < 10_000 <= start + batch:
                rss_10k = _rss_mb()
    return {"conversion": conversion.wall, "conversion_cpu": conversion.cpu, "baseline": baseline.wall,
            "baseline_cpu": baseline.cpu, "rows": rows, "per_response": per_response, "rss_10k": rss_10k}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="responses to seed and convert")
    parser.add_argument("--batch", type=int, default=200, help="participants per transaction")
    parser.add_argument("--pool", type=int, default=2000, help="distinct synthetic answer sets")
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: a temporary SQLite)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="keireki-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    app = _app(url, tmp)
    with app.app_context():
        from webapp.commands.setup import migrate

        migrate()
    t0 = time.perf_counter()
    _, ids = seed(app, args.n, min(args.pool, args.n))
    print(f"seeded {len(ids)} responses in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
    r = run(app, ids, args.batch)
    n = len(ids)
    print(f"conversion: {r['conversion']:.1f} s wall ({r['conversion_cpu']:.1f} s CPU) = "
          f"{n / r['conversion']:,.0f} responses/s per worker process ({r['rows']:.0f} rows, "
          f"{r['rows'] / n:.1f} per response)")
    print(f"baseline:   {r['baseline']:.1f} s wall ({r['baseline_cpu']:.1f} s CPU) = {n / r['baseline']:,.0f} "
          f"responses/s (decode + bulk-insert {r['per_response']:.0f} rows per response)")
    print(f"ratio:      {r['conversion'] / r['baseline']:.2f}x wall, {r['conversion_cpu'] / r['baseline_cpu']:.2f}x "
          f"CPU (goal <= 3x)")
    print(f"peak RSS:   {r['rss_10k']:.0f} MB after 10k responses, {_rss_mb():.0f} MB after {n}")


if __name__ == "__main__":
    main()
