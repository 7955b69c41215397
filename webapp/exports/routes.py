"""Views of the exports area: ``/studies/<study>/exports``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.roles import PERMISSIONS, study_view
from webapp.db import db_session
from webapp.exports import services
from webapp.exports.forms import ExportForm
from webapp.models import Job, Study, utcnow
from webapp.services import audit

bp = Blueprint("exports", __name__, template_folder="templates", static_folder="static",
               static_url_path="/exports-static")


def _may_pii() -> bool:
    return "export_pii" in PERMISSIONS[g.role]


def _job_of_study(job_id: int) -> Job:
    job = db_session().get(Job, job_id) if 0 < job_id <= 2**31 - 1 else None
    if job is None or job.study_id != g.study.id or job.kind != services.EXPORT_KIND:
        abort(404)
    if job.params.get("with_pii") and not _may_pii():
        abort(403)
    return job


def status_of(job: Job, *, download_url: str | None) -> dict[str, Any]:
    """The JSON status of an export job (the page's script and the API show the same)."""
    percent = int(100 * job.done / job.total) if job.total else (100 if job.status == "done" else 0)
    expired = bool(job.result.get("expired")) or (job.expires_at is not None and job.expires_at <= utcnow())
    return {
        "id": job.id, "status": job.status, "done": job.done, "total": job.total, "percent": percent,
        "with_pii": bool(job.params.get("with_pii")), "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None, "expired": expired,
        "filename": job.result.get("filename"), "size": job.result.get("size"),
        "sha256": job.result.get("sha256"), "error": job.error if job.status == "failed" else None,
        "download_url": download_url if services.downloadable(job) else None,
    }


def _page(form: ExportForm, status: int = 200) -> ResponseReturnValue:
    jobs = services.export_jobs(session=db_session(), study_id=g.study.id)
    visible = [j for j in jobs if _may_pii() or not j.params.get("with_pii")]
    rows = [(j, status_of(j, download_url=url_for("exports.download", study=g.study.slug, job_id=j.id)))
            for j in visible]
    running = any(j.status in ("queued", "running") for j in visible)
    return render_template("exports/index.html", form=form, rows=rows, may_pii=_may_pii(), running=running,
                           study=g.study), status


@bp.get("/studies/<study>/exports")
@study_view("export")
def index(study: Study) -> ResponseReturnValue:
    return _page(ExportForm())


@bp.post("/studies/<study>/exports")
@study_view("export")
def start(study: Study) -> ResponseReturnValue:
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    request = services.ExportRequest(with_pii=bool(form.with_pii.data), reason=form.reason.data or "",
                                    bom=bool(form.bom.data), cleared=tuple(form.cleared.data or ()))
    try:
        request = services.check_request(request, may_export_pii=_may_pii())
    except services.ExportRefused:
        if request.with_pii and not _may_pii():
            form.with_pii.errors = [_("Only owners of the study may export personal data.")]
        else:
            form.reason.errors = [_("Please state why personal data is exported (10 to 500 characters).")]
        return _page(form, 400)
    session = db_session()
    job = services.start_export(session=session, study=study, request=request,
                               actor=audit.actor_of(current_user), user_id=current_user.id)
    flash(_("The export has started. This page shows its progress."), "info")
    return redirect(url_for("exports.index", study=study.slug, _anchor=f"job-{job.id}"), 303)


@bp.get("/studies/<study>/exports/<int:job_id>/status")
@study_view("export")
def status(study: Study, job_id: int) -> ResponseReturnValue:
    job = _job_of_study(job_id)
    response = jsonify(status_of(job, download_url=url_for("exports.download", study=study.slug, job_id=job.id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/studies/<study>/exports/<int:job_id>/download")
@study_view("export")
def download(study: Study, job_id: int) -> ResponseReturnValue:
    job = _job_of_study(job_id)
    path = services.downloadable(job)
    if path is None:
        abort(404)
    session = db_session()
    audit.record(session=session, action="export.download", actor=audit.actor_of(current_user),
                 study_id=study.id, user_id=current_user.id, target=f"export:{job.id}",
                 detail={"job": job.id, "with_pii": bool(job.params.get("with_pii")),
                         "sha256": job.result.get("sha256")})
    session.commit()
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=str(job.result.get("filename") or path.name), max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
