"""Export throughput and memory against PostgreSQL's own ``COPY ... TO STDOUT``, in the same run.

    .venv/bin/python bench/export.py [--n 100000] [--database-url URL] [--keep]

1. Seeds a study of N participants straight into the records tables (``COPY ... FROM STDIN``) of a
   fresh migrated PostgreSQL database: 4 episodes, 3 transitions, 2 skill events, 1 quality flag,
   4 SPELL rows and 1 STS row (~10 years of months) per participant, a firm per 10 participants.
   ``--database-url`` (or KEIREKI_DATABASE_URL) names a server; a database of its own is created there
   (default server: postgresql+psycopg://postgres@127.0.0.1:5432/test) and dropped unless ``--keep``.
2. In a fresh child process (so its peak RSS is the export's own):
   a. COPY: ``COPY (SELECT <export columns> ... ORDER BY <key>) TO STDOUT (FORMAT csv, HEADER)`` of
      every table of the bundle, each written to a file;
   b. the CSV part of the bundle: the same tables as CSV files through the bundle's writers (server-side
      cursors, batches, neutralisation, the STS file);
   c. the whole bundle (CSV, XLSX, Parquet, SAV, DTA, datapackage, codebook, README, zip).
Prints the times, the headline ratio whole bundle / COPY (goal <= 10x), each part of the bundle against COPY,
the ratio CSV part / COPY and the child's peak RSS (goal < 300 MB). Wall-clock ratios on a shared machine move
with its load (printed), so the CPU seconds of both sides are printed too: the measuring process plus the
PostgreSQL server processes serving it (``/proc/<pid>/stat`` of the database's backends).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STATES = ("home_work", "pre_departure", "ti", "ssw", "eng_hum", "unemployed")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


_TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds (user + system) of every server process connected to the benchmark's database, by pid:
    PostgreSQL runs here, so ``/proc/<pid>/stat`` tells what COPY or the bundle's queries cost the server."""
    import psycopg

    libpq = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                           "AND pid <> pg_backend_pid()")]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def _cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _copy_in(raw, table: str, columns: list[str], rows) -> None:  # type: ignore[no-untyped-def]
    quoted = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(url: str, n: int) -> int:
    """Insert a study of ``n`` participants with their records; returns the study id."""
    engine = sa.create_engine(url)
    rnd = random.Random(7)
    with engine.begin() as conn:
        study_id = conn.execute(sa.text(
            "INSERT INTO study (slug, title, default_language, languages, draft_expiry_days, quotas, steps, "
            "pseudonym_key, created_at) VALUES ('bench', '{\"en\": \"Bench\"}', 'en', '[\"en\", \"ja\"]', 30, "
            "'{}', '{}', 'k', now()) RETURNING id")).scalar_one()
    raw = engine.raw_connection()
    try:
        from webapp.models import Participant

        table = Participant.__table__  # type: ignore[attr-defined]
        with engine.begin() as conn:  # Core insert: the model's column defaults fill the other columns
            for start in range(0, n, 10_000):
                conn.execute(table.insert(), [
                    {"study_id": study_id, "code": f"P-{i:06d}", "participant_type": "ti", "status": "submitted",
                     "form_language": "vi", "resume_token_hash": uuid.UUID(int=i).hex, "resume_code_hash": "x"}
                    for i in range(start, min(n, start + 10_000))])
        raw.commit()
        with raw.cursor() as cur:
            cur.execute("SELECT id, code FROM participant WHERE study_id = %s ORDER BY id", (study_id,))
            people = cur.fetchall()
        base = [study_id]
        _copy_in(raw, "rec_participants", ["study_id", "participant_id", "participant_code", "study",
                                           "participant_type", "form_language", "recruitment_channel",
                                           "consent_version", "consented_at", "status", "nationality", "gender",
                                           "birth_year", "education_level", "japanese_level", "first_arrival_ym",
                                           "current_residence_status", "years_in_japan", "n_employers_japan",
                                           "n_episodes", "instrument_versions", "pipeline_version"],
                 ((*base, pid, code, "bench", "ti", "vi", "fb-group", "1", "2026-01-02T03:04:05Z", "submitted",
                   "VNM", rnd.choice(("female", "male")), rnd.randint(1980, 2004), str(rnd.randint(1, 6)),
                   rnd.choice(("n2", "n3", "n4")), "2019-04", "ssw_1", 6.5, 2, 4, "ti_intake 1.0", "1.0.0")
                  for pid, code in people))
        episode_cols = ["study_id", "participant_id", "participant_code", "episode_no", "kind", "start",
                        "start_precision", "end", "end_precision", "ongoing", "start_month", "end_month",
                        "country", "prefecture", "employer_ref", "employer_size", "industry", "occupation",
                        "job_title", "residence_status", "ti_type", "entry_route", "employment_type",
                        "reason_left"]

        def episodes():  # type: ignore[no-untyped-def]
            for pid, code in people:
                month = 1380 + rnd.randint(0, 24)
                for no in range(1, 5):
                    end = month + rnd.randint(6, 36)
                    yield (*base, pid, code, no, "job", f"{1900 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}",
                           "month", None if no == 4 else "2020-01", None if no == 4 else "month", no == 4, month,
                           end, "JPN", f"{rnd.randint(1, 47):02d}", f"E{rnd.randint(1, 99999):05d}", "small",
                           rnd.choice("EDIP"), str(rnd.randint(7, 9)), "=welder", rnd.choice(("ti_1", "ti_2")),
                           "a", "supervising_org", "regular", "contract ended")
                    month = end + 1

        _copy_in(raw, "rec_episodes", episode_cols, episodes())
        _copy_in(raw, "rec_transitions", ["study_id", "participant_id", "participant_code", "from_episode",
                                          "to_episode", "month", "kind", "from_status", "to_status"],
                 ((*base, pid, code, k, k + 1, 1400 + k * 12, "status_change", "ti_1", "ti_2")
                  for pid, code in people for k in range(1, 4)))
        _copy_in(raw, "rec_skill_events", ["study_id", "participant_id", "participant_code", "event_no",
                                           "episode_no", "event", "actor", "skill_domain", "source", "note"],
                 ((*base, pid, code, k, k, "cultivate", "coworkers", "technical", "intake", "taught me")
                  for pid, code in people for k in range(1, 3)))
        _copy_in(raw, "rec_quality_flags", ["study_id", "participant_id", "participant_code", "flag_no",
                                            "episode_no", "flag", "detail"],
                 ((*base, pid, code, 1, 2, "gap_over_12_months", "14 months") for pid, code in people))
        _copy_in(raw, "rec_firms", ["study_id", "participant_id", "participant_code", "firm_ref", "industry",
                                    "prefecture", "employees", "capital_band", "sme", "n_ti", "n_ssw", "n_sie",
                                    "uses_supervising_org", "has_overseas_subsidiary", "retains_ti_as_ssw",
                                    "hires_for_subsidiary"],
                 ((*base, pid, code, f"F{pid}", "E", "23", 40, "10m_50m", True, 5, 2, 0, True, False, True, None)
                  for pid, code in people[::10]))
        _copy_in(raw, "rec_sequences_spell", ["study_id", "participant_id", "participant_code", "begin", "end",
                                              "status"],
                 ((*base, pid, code, 1380 + k * 30, 1409 + k * 30, STATES[k]) for pid, code in people
                  for k in range(4)))
        _copy_in(raw, "rec_sequences_sts", ["study_id", "participant_id", "participant_code", "first_month",
                                            "states"],
                 ((*base, pid, code, 1380, ",".join(STATES[(m // 30) % 6] for m in range(rnd.randint(60, 140))))
                  for pid, code in people))
        raw.commit()
        with raw.cursor() as cur:
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return int(study_id)


def measure(url: str, study_id: int) -> dict[str, float]:
    """COPY vs. the CSV part vs. the whole bundle, in this process."""
    import psycopg
    from flask import Flask

    from webapp.config import load_settings
    from webapp.db import db_session, init_db
    from webapp.exports import services
    from webapp.models import Study
    from workers.exports import export_tables, tabular
    from workers.exports.bundle import compact_memory, release_memory
    from workers.exports.schema import STATS_TABLES, TABULAR_TABLES

    tmp = Path(tempfile.mkdtemp(prefix="keireki-bench-export-"))
    settings = load_settings(env={"KEIREKI_ENV": "development"}, instance_dir=tmp, database_url=url,
                             broker_url="filesystem://", queue="bench", data_dir=tmp / "data")
    app = Flask("keireki-bench")
    app.config["KEIREKI"] = settings
    init_db(app)
    tables = export_tables()
    out: dict[str, float] = {}
    with app.app_context():
        session = db_session()
        study = session.get(Study, study_id)
        assert study is not None
        # a. COPY of the same tables, columns and order.
        libpq = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        copy_dir = tmp / "copy"
        copy_dir.mkdir()
        start, cpu = time.perf_counter(), time.process_time()
        copied = 0
        with psycopg.connect(libpq) as conn, conn.cursor() as cur:
            server = _backend_cpu(url)
            for name, table in tables.items():
                keys = ", ".join(f'"{k}" COLLATE "C"' if k in ("participant_code", "firm_ref", "kind") else f'"{k}"'
                                 for k in table.primary_key)
                cols = ", ".join(f'"{c}"' for c in table.column_names)
                sql = (f"COPY (SELECT {cols} FROM rec_{name} WHERE study_id = {study_id} ORDER BY {keys}, id) "
                       "TO STDOUT (FORMAT csv, HEADER)")
                with cur.copy(sql) as copy, open(copy_dir / f"{name}.csv", "wb") as fh:
                    for chunk in copy:
                        fh.write(chunk)
                        copied += len(chunk)
            out["copy_server_cpu_s"] = _cpu_delta(server, _backend_cpu(url))
        out["copy_s"] = time.perf_counter() - start
        out["copy_cpu_s"] = time.process_time() - cpu
        out["copy_mb"] = copied / 1e6
        # b. The CSV part of the bundle.
        csv_dir = tmp / "csv"
        csv_dir.mkdir()
        start = time.perf_counter()
        with compact_memory(), services.snapshot(session, study_id) as snap:
            rows = services.row_source(conn=snap, study_id=study_id)
            for name in TABULAR_TABLES:
                tabular.write_table(table=tables[name], rows=rows(tables[name]), directory=csv_dir, workbook=None,
                                    parquet=False)
            tabular.write_sts(rows=lambda: rows(tables["sequences_sts"]), path=csv_dir / "sequences_sts.csv")
        out["csv_s"] = time.perf_counter() - start
        out["csv_mb"] = sum(p.stat().st_size for p in csv_dir.iterdir()) / 1e6
        session.commit()
        out["rss_after_csv_mb"] = _rss_mb()
        release_memory()  # as the bundle does after each of its steps
        # c. The whole bundle.
        server = _backend_cpu(url)
        start, cpu = time.perf_counter(), time.process_time()
        marks: list[float] = []
        result = services.build_study_bundle(session=session, study=study, out_dir=tmp / "bundle",
                                            request=services.ExportRequest(),
                                            progress=lambda done, total: marks.append(time.perf_counter()))
        out["bundle_s"] = time.perf_counter() - start
        out["bundle_cpu_s"] = time.process_time() - cpu
        out["bundle_server_cpu_s"] = _cpu_delta(server, _backend_cpu(url))
        steps = [b - a for a, b in zip([start, *marks], marks, strict=False)]
        n_tab = len(TABULAR_TABLES)
        out["step_tables_s"] = sum(steps[:n_tab])  # CSV + XLSX + Parquet of every table
        out["step_sts_s"] = steps[n_tab]
        n_stats = len(STATS_TABLES)
        out["step_stats_s"] = sum(steps[n_tab + 1:n_tab + 1 + n_stats])  # SAV + DTA of participants and episodes
        out["step_rest_s"] = sum(steps[n_tab + 1 + n_stats:])  # datapackage, codebook, README, zip
        out["bundle_mb"] = result.size / 1e6
        out["rows_episodes"] = result.counts["episodes"]
    out["peak_rss_mb"] = _rss_mb()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("KEIREKI_DATABASE_URL") or DEFAULT_SERVER)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "STUDY_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], int(args.measure[1]))))
        return 0

    from tests.support.databases import upgrade

    server = sa.make_url(args.database_url)
    if server.get_backend_name() != "postgresql":
        parser.error("the benchmark compares with PostgreSQL's COPY: give a postgresql+psycopg:// URL")
    name = f"keireki_bench_export_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        start = time.perf_counter()
        study_id = seed(url, args.n)
        print(f"seeded {args.n} participants in {time.perf_counter() - start:.1f} s")
        child = subprocess.run([sys.executable, __file__, "--measure", url, str(study_id)], check=True,
                               capture_output=True, text=True)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    ratio = figures["csv_s"] / figures["copy_s"]
    whole = figures["bundle_s"] / figures["copy_s"]
    report = io.StringIO()
    report.write(f"participants            {args.n}\n")
    report.write(f"episodes                {int(figures['rows_episodes'])}\n")
    report.write(f"COPY TO STDOUT -> files {figures['copy_s']:.1f} s  ({figures['copy_mb']:.0f} MB CSV)\n")
    report.write(f"bundle, CSV part        {figures['csv_s']:.1f} s  ({figures['csv_mb']:.0f} MB)\n")
    report.write(f"whole bundle            {figures['bundle_s']:.1f} s  ({figures['bundle_mb']:.0f} MB zip)\n")
    report.write(f"  tables as CSV + XLSX + Parquet {figures['step_tables_s']:.1f} s, "
                 f"STS {figures['step_sts_s']:.1f} s, SAV + DTA {figures['step_stats_s']:.1f} s, "
                 f"docs + zip {figures['step_rest_s']:.1f} s\n")
    report.write(f"ratio bundle / COPY     {whole:.2f}x   (goal <= 10x: {'met' if whole <= 10 else 'NOT met'})\n")
    copy_cpu = figures["copy_cpu_s"] + figures["copy_server_cpu_s"]
    bundle_cpu = figures["bundle_cpu_s"] + figures["bundle_server_cpu_s"]
    report.write(f"CPU, this process + PostgreSQL: COPY {figures['copy_cpu_s']:.2f} + "
                 f"{figures['copy_server_cpu_s']:.2f} s, bundle {figures['bundle_cpu_s']:.2f} + "
                 f"{figures['bundle_server_cpu_s']:.2f} s = {bundle_cpu / copy_cpu:.2f}x\n")
    report.write(f"load average            {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
                 f"({os.cpu_count()} cores)\n")
    for label, key in (("tables (CSV+XLSX+Parquet)", "step_tables_s"), ("STS", "step_sts_s"),
                       ("SAV + DTA", "step_stats_s"), ("docs + zip", "step_rest_s")):
        report.write(f"  {label:<25} {figures[key] / figures['copy_s']:.2f}x COPY\n")
    report.write(f"ratio CSV part / COPY   {ratio:.2f}x\n")
    peak = figures["peak_rss_mb"]
    report.write(f"peak RSS (export)       {peak:.0f} MB  (goal < 300 MB: {'met' if peak < 300 else 'NOT met'}; "
                 f"after the CSV part {figures['rss_after_csv_mb']:.0f} MB)\n")
    print(report.getvalue(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
