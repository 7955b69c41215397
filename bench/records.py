"""Records conversion throughput per worker process, against a baseline measured in the same run.

    .venv/bin/python bench/records.py [--n 100000] [--batch 200] [--database-url URL]

1. Seeds N submitted intake responses (synthetic SIE, TI and manager answers from workers.demo, a pool of
   distinct answer sets cycled) straight into a fresh migrated database.
2. Conversion: ``workers.tasks.records.convert_batch`` over batches of ``--batch`` participants, in
   this process (= one worker process): load, ``build_records``, delete + bulk insert, one transaction
   per batch.
3. Baseline, the minimum work: per batch, read and decode each stored response and bulk-insert a
   fixed number of rows per response (the conversion's mean rows per response, into a table as wide
   as ``rec_episodes``), one transaction per batch.
Prints both times, the ratio (goal <= 3x) and the peak RSS after 10k and after N responses.
"""

from __future__ import annotations

import argparse
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
    from webapp.services.responses import intake_id
    from webapp.services.studies import current_version, instrument_of
    from workers.demo import answers_for, make_person

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


def run_conversion(app, ids: list[int], batch: int) -> tuple[float, int, float]:  # type: ignore[no-untyped-def]
    from webapp.db import db_session
    from workers.tasks.records import convert_batch

    rows, rss_10k = 0, 0.0
    with app.app_context():
        session = db_session()
        started = time.perf_counter()
        for start in range(0, len(ids), batch):
            outcome = convert_batch(session=session, participant_ids=ids[start:start + batch],
                                    today=date(2026, 11, 1))
            rows += outcome.rows
            assert not outcome.failed, outcome.failed
            if start < 10_000 <= start + batch:
                rss_10k = _rss_mb()
        return time.perf_counter() - started, rows, rss_10k


def run_baseline(app, ids: list[int], batch: int, rows_per_response: int) -> float:  # type: ignore[no-untyped-def]
    from webapp.db import get_db
    from webapp.models import RECORD_TABLES, Response

    engine = get_db(app).engine
    metadata = sa.MetaData()
    scratch = sa.Table("bench_baseline", metadata, sa.Column("id", sa.Integer, primary_key=True),
                       *[sa.Column(c.name, c.type) for c in list(RECORD_TABLES["episodes"].c)[1:]])
    metadata.create_all(engine)
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
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
    return time.perf_counter() - started


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
    conversion, rows, rss_10k = run_conversion(app, ids, args.batch)
    per_response = max(1, round(rows / len(ids)))
    baseline = run_baseline(app, ids, args.batch, per_response)
    print(f"conversion: {conversion:.1f} s = {len(ids) / conversion:,.0f} responses/s per worker process "
          f"({rows} rows, {rows / len(ids):.1f} per response)")
    print(f"baseline:   {baseline:.1f} s = {len(ids) / baseline:,.0f} responses/s "
          f"(decode + bulk-insert {per_response} rows per response)")
    print(f"ratio:      {conversion / baseline:.2f}x (goal <= 3x)")
    print(f"peak RSS:   {rss_10k:.0f} MB after 10k responses, {_rss_mb():.0f} MB after {len(ids)}")


if __name__ == "__main__":
    main()
