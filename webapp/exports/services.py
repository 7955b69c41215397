"""Export services: read a study's career records from the database and build, start and expire bundles.

Every table (and the contacts, and the bundle's metadata) of one bundle is read in one read-only
transaction on a connection of its own (:func:`snapshot`), so a bundle shows the study as it was when
the export started even while records change; the job's progress commits on the caller's session
meanwhile. Rows are streamed in key order: on PostgreSQL as ``COPY ... TO STDOUT`` parsed into Arrow
record batches, elsewhere through SQLAlchemy's ``yield_per``; memory stays flat as the study grows.
"""

from __future__ import annotations

import io
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from kombu.exceptions import KombuError
from sqlmodel import Session, col, select

from webapp.models import RECORD_TABLES, InstrumentVersion, Job, Participant, Study, utcnow
from webapp.services import audit, contacts
from workers import jobs
from workers.exports import BundleMeta, BundleOptions, BundleResult, ExportTable, build_bundle
from workers.exports.bundle import ExtraFile
from workers.exports.tabular import arrow_schema

log = logging.getLogger(__name__)

EXPORT_TASK = "keireki.build_export"
EXPORT_KIND = "export"
#: Rows fetched per round trip from the server-side cursor.
YIELD_PER = 5000
#: Longest accepted reason for a bundle with personal data.
REASON_MAX = 500


class ExportRefused(ValueError):
    """The export may not be started as asked (e.g. personal data without a reason)."""


@dataclass(frozen=True)
class ExportRequest:
    with_pii: bool = False
    reason: str = ""
    bom: bool = False
    cleared: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        return {"with_pii": self.with_pii, "reason": self.reason, "bom": self.bom, "cleared": list(self.cleared)}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ExportRequest:
        return cls(with_pii=bool(params.get("with_pii")), reason=str(params.get("reason") or ""),
                   bom=bool(params.get("bom")), cleared=tuple(params.get("cleared") or ()))

    def options(self) -> BundleOptions:
        return BundleOptions(bom=self.bom, with_pii=self.with_pii, cleared=frozenset(self.cleared))


def exports_dir() -> Path:
    """``<data_dir>/exports``: where bundles are written."""
    return Path(current_app.config["KEIREKI"].data_dir) / "exports"


def ordered(session: Session | sa.Connection, column: Any) -> Any:
    """``column`` for ORDER BY, in byte order on every backend ("C" collation on PostgreSQL)."""
    # Byte order on every backend, so PostgreSQL and SQLite give the same rows in the same order.
    dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
    if dialect.name == "postgresql" and isinstance(column.type, sa.String | sa.Text):
        return sa.collate(column, "C")
    return column


@contextmanager
def snapshot(session: Session, study_id: int) -> Iterator[sa.Connection]:
    """A connection whose reads all see the database as it was when the snapshot began.

    PostgreSQL: a ``REPEATABLE READ, READ ONLY`` transaction on a connection of its own. SQLite: a
    deferred read transaction on a connection of its own (WAL gives it a snapshot and lets writers go
    on; ``BEGIN IMMEDIATE`` would hold them off for the whole export). The snapshot is taken here, by a
    first read, so the bundle shows the study as it was when the export started. The session stays
    free: job progress commits on it meanwhile.

    A session bound to one connection (a transaction the caller holds open, as the tests' sessions
    are) has no second connection that could see its rows; its own connection is read as it is.
    """
    bind = session.get_bind()
    if isinstance(bind, sa.Connection):
        yield bind
        return
    with bind.connect() as conn:
        conn.execution_options(sqlite_immediate=False)  # a reader: never the write lock (see webapp/db.py)
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            conn.execute(sa.select(col(Study.id)).where(col(Study.id) == study_id)).all()  # the snapshot starts
            yield conn


class _CopyStream(io.RawIOBase):
    """The data of a psycopg ``COPY ... TO STDOUT`` as a readable binary file, for Arrow's CSV reader."""

    def __init__(self, copy: Any) -> None:
        super().__init__()
        self._copy = copy
        self._buffer = bytearray()
        self._eof = False

    def readable(self) -> bool:
        return True

    def at_end(self) -> bool:
        """True when COPY sent no data at all (an empty table: Arrow refuses an empty CSV file)."""
        while not self._buffer and not self._eof:
            chunk = self._copy.read()
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True
        return not self._buffer

    def read(self, size: int | None = -1) -> bytes:
        buffer = self._buffer
        wanted = -1 if size is None else size
        while not self._eof and (wanted < 0 or len(buffer) < wanted):
            chunk = self._copy.read()
            if not chunk:
                self._eof = True
                break
            buffer += chunk
        if wanted < 0 or wanted >= len(buffer):
            out = bytes(buffer)
            buffer.clear()
        else:
            out = bytes(buffer[:wanted])
            del buffer[:wanted]
        return out

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)


#: Bytes Arrow's CSV reader parses at a time (a record batch each): its memory grows with the block, its speed
#: does not (measured on the bench: 64 KiB as fast as 1 MiB, a fifth of the memory).
COPY_BLOCK = 1 << 16


def _copy_batches(conn: sa.Connection, query: sa.Select[Any], table: ExportTable) -> Iterator[pa.RecordBatch]:
    """Rows of ``query`` as Arrow record batches: ``COPY (query) TO STDOUT (FORMAT csv)`` parsed by Arrow.

    Times are selected as whole microseconds since 1970 (exact, whatever the session's time zone);
    ``NULL`` is an unquoted empty field and an empty string a quoted one, which Arrow tells apart
    (``quoted_strings_can_be_null=False``); booleans are ``t``/``f``.
    """
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    schema = arrow_schema(table)
    names = [f"c{i}" for i in range(len(table.columns))]
    types = {name: pa.int64() if f.type == pa.timestamp("us", tz="UTC") else f.type
             for name, f in zip(names, schema, strict=True)}
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL extra_float_digits = 1")  # shortest exact text of every double
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            stream = _CopyStream(copy)
            if stream.at_end():
                return  # no rows: no batches (the bundle writes the table's header only)
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=names, block_size=COPY_BLOCK, use_threads=False),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True,
                    quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]),
            )
            for batch in reader:
                arrays = [values if values.type == f.type else values.cast(f.type)
                          for values, f in zip(batch.columns, schema, strict=True)]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def row_source(*, conn: sa.Connection, study_id: int) -> Callable[[ExportTable], Iterator[Any]]:
    """A row source for :func:`workers.exports.build_bundle`: a study's rows of a table, in key order.

    On PostgreSQL (psycopg) Arrow record batches parsed from ``COPY``; elsewhere row tuples through
    SQLAlchemy's ``yield_per``. Read them inside :func:`snapshot` so all tables show one state.
    """
    copy = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"

    def rows(table: ExportTable) -> Iterator[Any]:
        rec = RECORD_TABLES[table.name]
        order = (*(ordered(conn, rec.c[k]) for k in table.primary_key), rec.c.id)
        where = rec.c.study_id == study_id
        if copy:
            micros = {c.name for c in table.columns if c.kind == "datetime"}
            columns = [sa.cast(sa.func.round(sa.extract("epoch", rec.c[name]) * 1_000_000), sa.BigInteger)
                       if name in micros else rec.c[name] for name in table.column_names]
            yield from _copy_batches(conn, sa.select(*columns).where(where).order_by(*order), table)
        else:
            query = sa.select(*(rec.c[name] for name in table.column_names)).where(where).order_by(*order)
            yield from conn.execute(query.execution_options(yield_per=YIELD_PER))

    return rows


def contact_rows(*, conn: sa.Connection, study_id: int) -> Iterator[tuple[str | None, ...]]:
    """Decrypted contact details of a study's participants, by participant code (personal data)."""
    return contacts.study_rows(conn=conn, study_id=study_id, order=ordered(conn, col(Participant.code)))


def bundle_meta(*, conn: sa.Connection, study: Study, now: datetime) -> BundleMeta:
    """Study, languages, loaded instrument versions and pipeline version of a bundle made ``now``."""
    from workers.records import PIPELINE_VERSION

    versions: dict[str, list[str]] = {}
    for ident, version in conn.execute(
        sa.select(col(InstrumentVersion.instrument_id), col(InstrumentVersion.version))
        .where(col(InstrumentVersion.study_id) == study.id)
        .order_by(col(InstrumentVersion.instrument_id), col(InstrumentVersion.id))
    ):
        versions.setdefault(ident, []).append(version)
    title = study.title.get("en") or study.title.get(study.default_language) or study.slug
    languages = tuple(study.languages or [study.default_language])
    return BundleMeta(study=study.slug, title=title, languages=languages,
                      instrument_versions={k: ", ".join(v) for k, v in versions.items()},
                      pipeline_version=PIPELINE_VERSION, created_at=now)


_signals = Namespace()
#: Sent while a bundle is built, with the study as sender and ``session``, ``with_pii`` and ``bom``; each
#: receiver returns further files (name -> bytes, or a function writing the file: ``ExtraFile``). The
#: coding area (a layer above) connects :func:`webapp.coding.services.bundle.files_for_export` in its
#: ``init_app``: the codebook and agreement, and with personal data the coded segments and the ``.qdpx``.
#: ``session`` reads the bundle's snapshot (it is bound to the snapshot's connection, read-only on
#: PostgreSQL): receivers must not write.
bundle_files = _signals.signal("keireki.exports.bundle-files")


def extra_files(*, conn: sa.Connection, study: Study, request: ExportRequest) -> dict[str, ExtraFile]:
    """The files other areas add to the bundle (see :data:`bundle_files`), read inside the snapshot ``conn``."""
    out: dict[str, ExtraFile] = {}
    with Session(bind=conn) as snapshot_session:  # joins the snapshot's transaction; never commits it
        for _receiver, files in bundle_files.send(study, session=snapshot_session, with_pii=request.with_pii,
                                                  bom=request.bom):
            out.update(files or {})
    return out


def build_study_bundle(*, session: Session, study: Study, out_dir: Path, request: ExportRequest,
                       now: datetime | None = None,
                       progress: Callable[[int, int], None] | None = None) -> BundleResult:
    """Build a study's bundle into ``out_dir`` from one snapshot (the job, the CLI and the bench call this)."""
    assert study.id is not None
    study_id = study.id
    with snapshot(session, study_id) as conn:
        return build_bundle(
            rows=row_source(conn=conn, study_id=study_id),
            meta=bundle_meta(conn=conn, study=study, now=now or utcnow()),
            out_dir=out_dir, options=request.options(), progress=progress,
            contacts=(lambda: contact_rows(conn=conn, study_id=study_id)) if request.with_pii else None,
            extra=lambda: extra_files(conn=conn, study=study, request=request),
        )


def check_request(request: ExportRequest, *, may_export_pii: bool) -> ExportRequest:
    """Validate a request: personal data needs the permission and a stated reason."""
    from workers.exports import free_text_columns

    unknown = set(request.cleared) - set(free_text_columns())
    if unknown:
        raise ExportRefused(f"unknown free-text columns: {', '.join(sorted(unknown))}")
    if request.with_pii:
        if not may_export_pii:
            raise ExportRefused("only owners may export personal data")
        reason = " ".join(request.reason.split())
        if len(reason) < 10 or len(reason) > REASON_MAX:
            raise ExportRefused("state the reason for exporting personal data (10 to 500 characters)")
        return ExportRequest(with_pii=True, reason=reason, bom=request.bom, cleared=request.cleared)
    return ExportRequest(bom=request.bom, cleared=request.cleared)


def audit_export(*, session: Session, study: Study, request: ExportRequest, actor: str,
                 user_id: int | None, job_id: int | None, via: str) -> None:
    """Write ``export.create`` (and ``export.pii`` for personal data) into the audit log."""
    detail: dict[str, Any] = {"job": job_id, "via": via, "with_pii": request.with_pii, "bom": request.bom,
                              "cleared": list(request.cleared)}
    audit.record(session=session, action="export.create", actor=actor, study_id=study.id, user_id=user_id,
                 target=f"study:{study.slug}", detail=detail)
    if request.with_pii:
        audit.record(session=session, action="export.pii", actor=actor, study_id=study.id, user_id=user_id,
                     target=f"study:{study.slug}", detail={**detail, "reason": request.reason})


def start_export(*, session: Session, study: Study, request: ExportRequest, actor: str,
                 user_id: int | None, via: str = "web") -> Job:
    """Record the export's job with its audit events (one transaction) and queue it (``keireki.build_export``).

    ``export.create`` (and ``export.pii``) name the job: there is no audited export without its job and no
    job without its audit. The job is committed before its message is sent; when the broker cannot be
    reached the job stays queued and the beat sweeper sends it once the broker is back (see :mod:`workers.jobs`).
    """
    recorded: list[Job] = []

    def audit_job(job: Job) -> None:
        recorded.append(job)
        audit_export(session=session, study=study, request=request, actor=actor, user_id=user_id, job_id=job.id,
                     via=via)

    try:
        return jobs.enqueue(session=session, kind=EXPORT_KIND, task=EXPORT_TASK, params=request.params(),
                            study_id=study.id, created_by=user_id, with_job=audit_job)
    except (KombuError, OSError) as exc:
        if not recorded or recorded[0].id is None:
            raise
        log.warning("export job recorded but not sent (the sweeper re-sends it): %s", exc)
        return recorded[0]


def start_cli_export(*, session: Session, study: Study, request: ExportRequest, actor: str) -> Job:
    """Record the job of an export the shell builds itself, with its audit events (one transaction), and claim it.

    The job is never sent to a worker: it is claimed at once by the caller (one attempt only, so a shell
    that dies leaves a failed job for the sweeper, not a bundle built elsewhere), which heartbeats it and
    finishes it with the bundle's path.
    """
    lease = timedelta(seconds=current_app.config["KEIREKI"].job_lease_seconds)
    job = Job(kind=EXPORT_KIND, study_id=study.id, params={**request.params(), "task": EXPORT_TASK, "via": "cli"},
              max_attempts=1, lease_until=utcnow() + lease)
    session.add(job)
    session.flush()
    audit_export(session=session, study=study, request=request, actor=actor, user_id=None, job_id=job.id, via="cli")
    session.commit()
    assert job.id is not None
    claimed = jobs.claim(session=session, job_id=job.id)
    if claimed is None:
        raise ExportRefused("the export job could not be claimed")
    return claimed


def export_jobs(*, session: Session, study_id: int, limit: int = 20) -> list[Job]:
    """A study's latest export jobs, newest first."""
    return list(session.exec(
        select(Job).where(Job.study_id == study_id, Job.kind == EXPORT_KIND)
        .order_by(col(Job.id).desc()).limit(limit)
    ).all())


def downloadable(job: Job, *, now: datetime | None = None) -> Path | None:
    """The bundle file of a finished, unexpired export job, if it is still there."""
    now = now or utcnow()
    if job.kind != EXPORT_KIND or job.status != "done" or not job.result.get("path"):
        return None
    if job.expires_at is None or job.expires_at <= now or job.result.get("expired"):
        return None
    path = Path(job.result["path"]).resolve()
    root = exports_dir().resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def run_export_job(*, session: Session, job: Job, now: datetime | None = None) -> BundleResult:
    """Build the bundle of a claimed export job, heartbeating progress; finish it with the result."""
    study = session.get(Study, job.study_id) if job.study_id is not None else None
    if study is None:
        raise ExportRefused("the study of this export no longer exists")
    request = ExportRequest.from_params(job.params)
    out_dir = exports_dir() / str(job.id)
    if out_dir.exists():  # a re-run after a killed worker: start clean
        shutil.rmtree(out_dir)

    def progress(done: int, total: int) -> None:
        jobs.heartbeat(session=session, job=job, done=done, total=total)

    result = build_study_bundle(session=session, study=study, out_dir=out_dir, request=request, now=now,
                                progress=progress)
    ttl = timedelta(hours=current_app.config["KEIREKI"].export_ttl_hours)
    job.expires_at = utcnow() + ttl
    jobs.finish(session=session, job=job, result=result.as_job_result())
    return result


def expire_exports(*, session: Session, now: datetime | None = None) -> int:
    """Delete the files of export jobs whose time ran out; returns how many were deleted."""
    now = now or utcnow()
    expired = session.exec(
        select(Job).where(Job.kind == EXPORT_KIND, Job.status == "done", col(Job.expires_at) < now)
    ).all()
    count = 0
    root = exports_dir().resolve()
    for job in expired:
        if job.result.get("expired"):
            continue
        path = Path(str(job.result.get("path", ""))).resolve()
        if root in path.parents:
            shutil.rmtree(path.parent, ignore_errors=True) if path.parent != root else path.unlink(missing_ok=True)
            count += 1
            audit.record(session=session, action="export.delete", actor="system", study_id=job.study_id,
                         target=f"job:{job.id}",
                         detail={"job": job.id, "reason": "expired", "with_pii": bool(job.params.get("with_pii"))})
        job.result = {**job.result, "expired": True}
        session.add(job)
    session.commit()
    return count


def delete_bundles_of(*, session: Session, participant: Participant, erase: bool, actor: str,
                      user_id: int | None) -> int:
    """Delete the stored bundles of the participant's study that may hold them: every personal-data bundle
    (contact rows go at every withdrawal) and, with ``erase``, every bundle built since they joined. Each is
    audited as ``export.delete`` with reason ``erasure`` (or ``withdrawal``). The caller commits."""
    done = session.exec(
        select(Job).where(Job.kind == EXPORT_KIND, Job.study_id == participant.study_id, Job.status == "done")
    ).all()
    root = exports_dir().resolve()
    count = 0
    for job in done:
        if job.result.get("expired") or not job.result.get("path"):
            continue
        with_pii = bool(job.params.get("with_pii"))
        if not (with_pii or erase) or (job.finished_at is not None and job.finished_at < participant.created_at):
            continue
        path = Path(str(job.result["path"])).resolve()
        if root in path.parents:
            shutil.rmtree(path.parent, ignore_errors=True) if path.parent != root else path.unlink(missing_ok=True)
        job.result = {**job.result, "expired": True, "deleted_for": "erasure" if erase else "withdrawal"}
        session.add(job)
        audit.record(session=session, action="export.delete", actor=actor, user_id=user_id,
                     study_id=job.study_id, target=f"job:{job.id}",
                     detail={"job": job.id, "reason": "erasure" if erase else "withdrawal",
                             "participant": participant.code, "with_pii": with_pii})
        count += 1
    return count
