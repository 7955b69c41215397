"""``/api/v1/``: read-only JSON for a study's token — study, participants, records, export jobs."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, g, jsonify, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlmodel import col

from webapp.api.openapi import DEFAULT_PER_PAGE, MAX_ID, MAX_PAGE, MAX_PER_PAGE, api_tables, openapi_document
from webapp.api.routes.bearer import TooManyFailures, Unauthorized, rate_key, token_required
from webapp.db import db_session
from webapp.exports import services
from webapp.exports.routes import status_of
from webapp.extensions import csrf, limiter
from webapp.models import RECORD_TABLES, Channel, Job, Participant, Study
from webapp.services import audit
from workers.exports.cells import iso_utc

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
#: Per token (or address without one); generous for scripts paging through a study.
limiter.limit("600/minute", key_func=rate_key)(bp)


class BadRequest(Exception):
    """A query parameter is out of range (answered 400 with the message)."""


@bp.errorhandler(Unauthorized)
def _unauthorized(_e: Unauthorized) -> ResponseReturnValue:
    response = jsonify({"error": {"status": 401, "message": "a valid bearer token is required"}})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="keireki"'
    return response


@bp.errorhandler(TooManyFailures)
def _too_many_failures(e: TooManyFailures) -> ResponseReturnValue:
    response = jsonify({"error": {"status": 429, "message": "too many calls without a valid token"}})
    response.status_code = 429
    response.headers["Retry-After"] = str(e.retry_after)
    return response


@bp.errorhandler(BadRequest)
def _bad_request(e: BadRequest) -> ResponseReturnValue:
    return jsonify({"error": {"status": 400, "message": str(e)}}), 400


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


def _paging() -> tuple[int, int]:
    return _int_arg("page", 1, 1, MAX_PAGE), _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def _page_body(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": math.ceil(total / per_page)}


def _json_value(value: Any) -> Any:
    return iso_utc(value) if isinstance(value, datetime) else value


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.get("/studies")
@token_required
def studies() -> ResponseReturnValue:
    study = g.token_study
    return jsonify({"studies": [{"slug": study.slug, "title": study.title, "default_language": study.default_language,
                                 "languages": list(study.languages), "quotas": dict(study.quotas)}]})


@bp.get("/studies/<study>/participants")
@token_required
def participants(study: Study) -> ResponseReturnValue:
    page, per_page = _paging()
    session = db_session()
    where = col(Participant.study_id) == study.id
    total = int(session.execute(sa.select(sa.func.count()).select_from(Participant).where(where)).scalar_one())
    query = (
        sa.select(col(Participant.code), col(Participant.participant_type), col(Participant.status),
                  col(Participant.form_language), col(Channel.code), col(Participant.created_at))
        .outerjoin(Channel, col(Channel.id) == col(Participant.channel_id))
        .where(where)
        .order_by(services.ordered(session, col(Participant.code)), col(Participant.id))
        .offset((page - 1) * per_page).limit(per_page)
    )
    items = [{"code": code, "participant_type": ptype, "status": status, "form_language": lang, "channel": channel,
              "created_at": iso_utc(created)} for code, ptype, status, lang, channel, created in session.execute(query)]
    return jsonify(_page_body(items, page, per_page, total))


@bp.get("/studies/<study>/records/<table>")
@token_required
def records(study: Study, table: str) -> ResponseReturnValue:
    spec = api_tables().get(table)
    if spec is None:
        abort(404)
    page, per_page = _paging()
    session = db_session()
    rec = RECORD_TABLES[table]
    where = rec.c.study_id == study.id
    total = int(session.execute(sa.select(sa.func.count()).select_from(rec).where(where)).scalar_one())
    query = (
        sa.select(*(rec.c[name] for name in spec.column_names)).where(where)
        .order_by(*(services.ordered(session, rec.c[k]) for k in spec.primary_key), rec.c.id)
        .offset((page - 1) * per_page).limit(per_page)
    )
    names = spec.column_names
    items = [{n: _json_value(v) for n, v in zip(names, row, strict=True)} for row in session.execute(query)]
    return jsonify(_page_body(items, page, per_page, total))


def _export_job(study_id: int, job_id: int) -> Job:
    job = db_session().get(Job, job_id) if 0 < job_id <= MAX_ID else None
    # Bundles with personal data are never served to tokens.
    if job is None or job.study_id != study_id or job.kind != services.EXPORT_KIND or job.params.get("with_pii"):
        abort(404)
    return job


def _status(job: Job, slug: str) -> dict[str, Any]:
    return status_of(job, download_url=url_for("api.download_export", study=slug, job_id=job.id))


def _actor() -> str:
    return f"api:{g.api_token.prefix}"


@bp.post("/studies/<study>/exports")
@token_required
def start_export(study: Study) -> ResponseReturnValue:
    job = services.start_export(session=db_session(), study=study, request=services.ExportRequest(), actor=_actor(),
                               user_id=None, via="api")
    response = jsonify(_status(job, study.slug))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_export", study=study.slug, job_id=job.id)
    return response


@bp.get("/studies/<study>/exports/<int:job_id>")
@token_required
def get_export(study: Study, job_id: int) -> ResponseReturnValue:
    return jsonify(_status(_export_job(study.id or 0, job_id), study.slug))


@bp.get("/studies/<study>/exports/<int:job_id>/download")
@token_required
def download_export(study: Study, job_id: int) -> ResponseReturnValue:
    job = _export_job(study.id or 0, job_id)
    path = services.downloadable(job)
    if path is None:
        abort(404)
    session = db_session()
    audit.record(session=session, action="export.download", actor=_actor(), study_id=study.id,
                 target=f"export:{job.id}", detail={"job": job.id, "via": "api", "sha256": job.result.get("sha256")})
    session.commit()
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=str(job.result.get("filename") or path.name), max_age=0)
