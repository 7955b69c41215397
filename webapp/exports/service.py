"""Export services: read a study's career records from the database and build, start and expire bundles.

Rows are read with server-side cursors (``yield_per``) in key order, so the writers in
:mod:`workers.exports` see a stream and memory stays flat as the study grows.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from kombu.exceptions import KombuError
from sqlmodel import Session, col, select

from webapp.crypto import DecryptionError, decrypt_json
from webapp.models import RECORD_TABLES, Contact, InstrumentVersion, Job, Participant, Study, utcnow
from webapp.services import audit
from workers import jobs
from workers.exports import BundleMeta, BundleOptions, BundleResult, ExportTable, build_bundle
from workers.exports.schema import CONTACT_COLUMNS

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


def ordered(session: Session, column: Any) -> Any:
    """``column`` for ORDER BY, in byte order on every backend ("C" collation on PostgreSQL)."""
    # Byte order on every backend, so PostgreSQL and SQLite give the same rows in the same order.
    if session.get_bind().dialect.name == "postgresql" and isinstance(column.type, sa.String | sa.Text):
        return sa.collate(column, "C")
    return column


def _server_cursor_rows(session: Session, query: sa.Select[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``query`` from a psycopg server-side cursor: plain tuples, a third faster than Row objects."""
    sql = str(query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor(name=f"keireki_export_{uuid.uuid4().hex[:12]}") as cursor:
        cursor.itersize = YIELD_PER
        cursor.execute(sql)
        yield from cursor


def row_source(*, session: Session, study_id: int) -> Callable[[ExportTable], Iterator[Sequence[Any]]]:
    """A row source for :func:`workers.exports.build_bundle`: a study's rows of a table, in key order.

    On PostgreSQL (psycopg) a named server-side cursor streams them; elsewhere SQLAlchemy's
    ``yield_per`` does.
    """
    bind = session.get_bind()
    raw_cursor = bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"

    def rows(table: ExportTable) -> Iterator[Sequence[Any]]:
        rec = RECORD_TABLES[table.name]
        query = (
            sa.select(*(rec.c[name] for name in table.column_names))
            .where(rec.c.study_id == study_id)
            .order_by(*(ordered(session, rec.c[k]) for k in table.primary_key), rec.c.id)
        )
        if raw_cursor:
            yield from _server_cursor_rows(session, query)
        else:
            yield from session.connection().execute(query.execution_options(yield_per=YIELD_PER))

    return rows


def contact_rows(*, session: Session, study_id: int) -> Iterator[tuple[str | None, ...]]:
    """Decrypted contact details of a study's participants, by participant code (personal data)."""
    query = (
        sa.select(col(Participant.code), col(Contact.data_enc))
        .join(Contact, col(Contact.participant_id) == col(Participant.id))
        .where(col(Participant.study_id) == study_id)
        .order_by(ordered(session, col(Participant.code)))
        .execution_options(yield_per=1000)
    )
    for code, token in session.connection().execute(query):
        try:
            data = decrypt_json(token)
        except DecryptionError:
            data = {}
        yield (code, *(data.get(k) for k in CONTACT_COLUMNS[1:]))


def bundle_meta(*, session: Session, study: Study, now: datetime) -> BundleMeta:
    """Study, languages, loaded instrument versions and pipeline version of a bundle made ``now``."""
    from workers.records import PIPELINE_VERSION

    versions: dict[str, list[str]] = {}
    for ident, version in session.execute(
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


def build_study_bundle(*, session: Session, study: Study, out_dir: Path, request: ExportRequest,
                       now: datetime | None = None,
                       progress: Callable[[int, int], None] | None = None) -> BundleResult:
    """Build a study's bundle into ``out_dir`` (the job, the CLI and the bench call this)."""
    assert study.id is not None
    study_id = study.id
    return build_bundle(
        rows=row_source(session=session, study_id=study_id),
        meta=bundle_meta(session=session, study=study, now=now or utcnow()),
        out_dir=out_dir, options=request.options(), progress=progress,
        contacts=(lambda: contact_rows(session=session, study_id=study_id)) if request.with_pii else None,
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
    """Audit the export, record its job and queue it (``keireki.build_export``).

    The job is committed before its message is sent; when the broker cannot be reached the job stays
    queued and the beat sweeper sends it once the broker is back (see :mod:`workers.jobs`).
    """
    session.flush()
    audit_export(session=session, study=study, request=request, actor=actor, user_id=user_id, job_id=None,
                 via=via)
    before = session.exec(select(sa.func.max(Job.id))).one() or 0
    try:
        return jobs.enqueue(session=session, kind=EXPORT_KIND, task=EXPORT_TASK, params=request.params(),
                            study_id=study.id, created_by=user_id)
    except (KombuError, OSError) as exc:
        log.warning("export job recorded but not sent (the sweeper re-sends it): %s", exc)
        job = session.exec(
            select(Job).where(col(Job.id) > before, Job.kind == EXPORT_KIND, Job.study_id == study.id)
            .order_by(col(Job.id).desc())
        ).first()
        if job is None:
            raise
        return job


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
        job.result = {**job.result, "expired": True}
        session.add(job)
    session.commit()
    return count
