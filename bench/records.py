"""Records conversion throughput per worker process, against a baseline writing the same rows, in the same run.

    .venv/bin/python bench/records.py [--n 100000] [--batch 200] [--database-url URL]

1. Seeds N submitted intake responses (synthetic SIE, TI and manager answers from webapp.commands.demo, a pool of
   distinct answer sets cycled) straight into a fresh migrated database.
2. In a fresh child process (so its peak RSS is the conversion's, not the seeding's), batch by batch:
   a. conversion: ``workers.tasks.records.convert_batch`` over ``--batch`` participants (= one worker
      process): load, ``build_records``, delete + bulk insert into every ``rec_`` table, mark the responses
      converted, one transaction;
   b. (not timed) the rows the conversion just wrote are read back from the ``rec_`` tables;
   c. baseline, the same writes without the conversion: one serialised transaction that reads and decodes the
      batch's responses, deletes the batch's rows from copies of every record table (same columns, keys,
      indexes and foreign keys), bulk-inserts exactly the rows of (b) and marks the responses converted.
Conversion and baseline alternate batch by batch, so a busy machine slows both alike; wall-clock and CPU seconds
of the child process are reported. Prints both times, the ratio (goal <= 1.5x) and the child's peak RSS after
10k and after N responses.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import subprocess
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
    """Wall-clock and CPU seconds of this process, summed over the timed blocks. A full collection before and
    after each block keeps one side's garbage from being collected on the other's time."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Timer:
        gc.collect()  # each side starts with no garbage of the other's, and pays only its own collections
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu
        gc.collect()  # what this block left is collected outside both timers


def _copies(engine: sa.Engine) -> dict[str, sa.Table]:
    """Copies of every record table (``bench_<table>``): same columns, primary key, indexes, foreign keys."""
    from sqlmodel import SQLModel

    from webapp.models import RECORD_TABLES

    metadata = sa.MetaData()
    for referred in ("study", "participant"):  # what the foreign keys point at (not created here)
        SQLModel.metadata.tables[referred].to_metadata(metadata)
    out = {}
    for name, table in RECORD_TABLES.items():
        copy = table.to_metadata(metadata, name=f"bench_{table.name}")
        for item in [*copy.indexes, *copy.constraints]:
            if item.name:
                item.name = f"bench_{item.name}"
        out[name] = copy
    metadata.drop_all(engine, tables=list(out.values()))
    metadata.create_all(engine, tables=list(out.values()))
    return out


def _written(engine: sa.Engine, chunk: list[int]) -> dict[str, list[dict[str, object]]]:
    """The rows the conversion wrote for ``chunk``, as it inserted them (without the generated ids)."""
    from webapp.models import RECORD_TABLES

    with engine.connect() as conn:
        return {name: [{k: v for k, v in row.items() if k != "id"}
                       for row in conn.execute(sa.select(table).where(table.c.participant_id.in_(chunk))).mappings()]
                for name, table in RECORD_TABLES.items()}


def _baseline_batch(session, copies: dict[str, sa.Table], chunk: list[int],  # type: ignore[no-untyped-def]
                    rows: dict[str, list[dict[str, object]]]) -> int:
    """The conversion's writes without the conversion: decode the responses, replace the same rows in the copies,
    mark the responses converted; one serialised transaction, as ``convert_batch``. Its statements are written
    as the conversion's (Core; ids as ``webapp.db.ids_in`` writes them)."""
    from webapp.db import begin_serialised, ids_in
    from webapp.models import Response, utcnow
    from workers.records import PIPELINE_VERSION

    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    dialect = session.get_bind().dialect.name
    responses = Response.__table__  # type: ignore[attr-defined]
    decoded = session.execute(sa.select(responses.c.participant_id, responses.c.answers, responses.c.meta)
                              .where(ids_in(responses.c.participant_id, chunk, dialect))).all()
    touched = sum(len(answers) for _, answers, _ in decoded)  # the decoded answers are used
    for copy in copies.values():
        session.execute(copy.delete().where(ids_in(copy.c.participant_id, chunk, dialect)))
    for name, dicts in rows.items():
        if dicts:
            session.execute(copies[name].insert(), dicts)
    session.execute(sa.update(responses).where(ids_in(responses.c.participant_id, chunk, dialect))
                    .values(status="converted", error=None, pipeline_version=PIPELINE_VERSION, converted_at=utcnow()))
    session.commit()
    return touched


def run(app, ids: list[int], batch: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Conversion and baseline batch by batch, interleaved, so both see the same machine load."""
    from webapp.db import db_session, get_db
    from workers.tasks.records import convert_batch

    engine = get_db(app).engine
    copies = _copies(engine)
    conversion, baseline = Timer(), Timer()
    rows, baseline_rows, rss_10k = 0, 0, 0.0
    with app.app_context():
        session = db_session()
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            with conversion:
                outcome = convert_batch(session=session, participant_ids=chunk, today=date(2026, 11, 1))
            assert not outcome.failed, outcome.failed
            rows += outcome.rows
            written = _written(engine, chunk)
            baseline_rows += sum(len(v) for v in written.values())
            with baseline:
                _baseline_batch(session, copies, chunk, written)
            if start < 10_000 <= start + batch:
                rss_10k = _rss_mb()
    assert baseline_rows == rows, (baseline_rows, rows)
    return {"conversion": conversion.wall, "conversion_cpu": conversion.cpu, "baseline": baseline.wall,
            "baseline_cpu": baseline.cpu, "rows": rows, "rss_10k": rss_10k or _rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="responses to seed and convert")
    parser.add_argument("--batch", type=int, default=200, help="participants per transaction")
    parser.add_argument("--pool", type=int, default=2000, help="distinct synthetic answer sets")
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: a temporary SQLite)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="keireki-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    app = _app(url, tmp)
    if args.measure:
        _measure(app)
        return
    with app.app_context():
        from webapp.commands.setup import migrate

        migrate()
    t0 = time.perf_counter()
    _, ids = seed(app, args.n, min(args.pool, args.n))
    print(f"seeded {len(ids)} responses in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})", flush=True)
    from webapp.db import get_db

    get_db(app).engine.dispose()
    subprocess.run([sys.executable, __file__, "--measure", "--database-url", url, "--batch", str(args.batch)],
                   check=True)  # noqa: S603 - this script


def _measure(app) -> None:  # type: ignore[no-untyped-def]
    import argparse as _argparse

    parser = _argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=200)
    batch = parser.parse_known_args()[0].batch
    from webapp.db import get_db
    from webapp.models import Participant

    with get_db(app).engine.connect() as conn:
        ids = list(conn.execute(sa.select(Participant.id).order_by(Participant.id)).scalars())
    r = run(app, ids, batch)
    n = len(ids)
    print(f"conversion: {r['conversion']:.2f} s wall ({r['conversion_cpu']:.2f} s CPU) = "
          f"{n / r['conversion']:,.0f} responses/s per worker process ({r['rows']:.0f} rows, "
          f"{r['rows'] / n:.1f} per response)")
    print(f"baseline:   {r['baseline']:.2f} s wall ({r['baseline_cpu']:.2f} s CPU) = {n / r['baseline']:,.0f} "
          f"responses/s (decode + replace the same {r['rows']:.0f} rows in copies of the record tables + mark "
          "converted)")
    print(f"ratio:      {r['conversion'] / r['baseline']:.2f}x wall, {r['conversion_cpu'] / r['baseline_cpu']:.2f}x "
          f"CPU (goal <= 1.5x)")
    print(f"peak RSS of the measuring process: {r['rss_10k']:.0f} MB after 10k responses (or all), "
          f"{_rss_mb():.0f} MB after {n}")


if __name__ == "__main__":
    main()
