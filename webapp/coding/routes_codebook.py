"""Codebook, agreement and consensus, and the REFI-QDA export: the study-wide coding pages.

Viewers see the codebook and agreement figures (no transcript, no quote); owners and researchers change
the codebook, see disagreements and record consensus codings; only owners export the ``.qdpx`` and import one
(the same checks as ``keireki qda import``; a refused file changes nothing).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.roles import PERMISSIONS, study_view
from webapp.coding.core.qdpx_read import Limits
from webapp.coding.forms import ActionForm, CodeForm, MemoForm, MergeForm, QdpxExportForm, QdpxImportForm
from webapp.coding.services import CodingError, agreement, codebook, codings, consensus, qdpx_export, qdpx_import
from webapp.db import db_session
from webapp.extensions import current_language
from webapp.models import Coding, Study
from webapp.security import allows_upload
from webapp.services import audit

bp = Blueprint("codebook", __name__, template_folder="templates")


def _lead() -> bool:
    return "code_all" in PERMISSIONS[g.role]


def _labels(form: CodeForm) -> dict[str, str]:
    labels = {g.study.default_language: (form.label.data or "").strip()}
    for line in (form.translations.data or "").splitlines():
        lang, sep, text = line.partition("=")
        if sep and lang.strip():
            labels[lang.strip()[:16]] = text.strip()
    return labels


def _code_form(prefix: str = "") -> CodeForm:
    form = CodeForm(prefix=prefix)
    codes = codebook.codes(session=db_session(), study=g.study)
    form.parent.choices = [("", _("— top level —"))] + [(str(c.id), c.name) for c in codes]
    return form


def _codebook_page(form: CodeForm, status: int = 200) -> ResponseReturnValue:
    session = db_session()
    codes = codebook.codes(session=session, study=g.study, include_inactive=True)
    merge_form = MergeForm()
    merge_form.into.choices = [(c.id, c.name) for c in codes if c.status == "active"]
    memos = codings.memos(session=session, target="code", target_ids=[c.id for c in codes if c.id is not None])
    return render_template("coding/codebook.html", study=g.study, codes=codes, form=form, merge_form=merge_form,
                           memos=memos, memo_form=MemoForm(),
                           action_form=ActionForm(), book=codebook.codebook(session=session, study=g.study),
                           lead=_lead(), label=codebook.label, language=current_language()), status


@bp.get("/studies/<study>/coding/codebook")
@study_view("view")
def index(study: Study) -> ResponseReturnValue:
    page = _codebook_page(_code_form())
    db_session().commit()  # the codebook may just have been created with its built-in codes
    return page


@bp.post("/studies/<study>/coding/codebook")
@study_view("code_all")
def add(study: Study) -> ResponseReturnValue:
    form = _code_form()
    session = db_session()
    if not form.validate_on_submit():
        return _codebook_page(form, 400)
    try:
        codebook.add(session=session, study=g.study, name=form.name.data or "", labels=_labels(form),
                     description=form.description.data or "", colour=form.colour.data or "",
                     parent_id=int(form.parent.data) if form.parent.data else None)
        session.commit()
    except CodingError as exc:
        session.rollback()
        form.name.errors = [str(exc)]
        return _codebook_page(form, 400)
    flash(_("The code was added."), "info")
    return redirect(url_for("codebook.index", study=study.slug), 303)


@bp.post("/studies/<study>/coding/codebook/<int:code_id>/<action>")
@study_view("code_all")
def change(study: Study, code_id: int, action: str) -> ResponseReturnValue:
    """Retire, reactivate or merge a code, or add a memo to it (``action``: retire | activate | merge | memo)."""
    session = db_session()
    if action not in ("retire", "activate", "merge", "memo") or not 0 < code_id < 2**31:
        abort(404)
    try:
        code = codebook.get(session=session, study=g.study, code_id=code_id)
        if action == "memo":
            form = MemoForm()
            if not form.validate_on_submit():
                raise CodingError(_("The memo is empty."))
            codings.add_memo(session=session, study_id=g.study.id, target="code", target_id=code_id,
                             author=current_user, text=form.text.data or "")
        elif action == "merge":
            form = MergeForm()
            form.into.choices = [(c.id, c.name) for c in codebook.codes(session=session, study=g.study)]
            if not form.validate_on_submit():
                raise CodingError(_("Choose another code to merge into."))
            into = codebook.get(session=session, study=g.study, code_id=form.into.data)
            moved = codebook.merge(session=session, study=g.study, code=code, into=into)
            flash(_("Merged: %(n)s codings moved.", n=moved), "info")
        elif ActionForm().validate_on_submit():
            codebook.retire(session=session, study=g.study, code=code, active=action == "activate")
        else:
            abort(400)
        session.commit()
    except CodingError as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("codebook.index", study=study.slug), 303)


def _report() -> agreement.Report:
    """The agreement of the coders and transcripts named in the query (``?coder=C001&transcript=3``), else all."""
    coders = [c[:32] for c in request.args.getlist("coder")][:20] or None
    transcripts = [t for t in request.args.getlist("transcript", type=int) if 0 < t < 2**31][:500] or None
    return agreement.report(session=db_session(), study=g.study, coders=coders, transcript_ids=transcripts)


@bp.get("/studies/<study>/coding/agreement")
@study_view("view")
def agreement_page(study: Study) -> ResponseReturnValue:
    """Figures for everyone with ``view``; disagreements side by side (paragraph numbers and codes, no
    text) and the consensus buttons for the lead."""
    result = _report()
    return render_template("coding/agreement.html", study=g.study, result=result, lead=_lead(),
                           rows=agreement.agreement_rows(result), action_form=ActionForm(),
                           query=request.args.to_dict(flat=False))


@bp.get("/studies/<study>/coding/agreement.<fmt>")
@study_view("view")
def agreement_download(study: Study, fmt: str) -> ResponseReturnValue:
    if fmt not in ("csv", "html"):
        abort(404)
    result = _report()
    if fmt == "csv":
        body, mimetype = agreement.to_csv(result), "text/csv"
    else:
        body = render_template("coding/agreement_report.html", study=g.study, result=result,
                               rows=agreement.agreement_rows(result))
        mimetype = "text/html"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{g.study.slug}-agreement.{fmt}"'
    return response


@bp.post("/studies/<study>/coding/codings/<int:coding_id>/consensus")
@study_view("code_all")
def adopt(study: Study, coding_id: int) -> ResponseReturnValue:
    session = db_session()
    coding = session.get(Coding, coding_id) if 0 < coding_id < 2**31 else None
    if coding is None or coding.study_id != g.study.id or not ActionForm().validate_on_submit():
        abort(404)
    try:
        consensus.adopt(session=session, coding=coding, lead=current_user)
        flash(_("Recorded as the consensus coding."), "info")
    except CodingError as exc:
        flash(str(exc), "error")
    if request.form.get("next_page") == "transcript":
        return redirect(url_for("coding.transcript", study=study.slug, transcript_id=coding.transcript_id), 303)
    return redirect(url_for("codebook.agreement_page", study=study.slug), 303)


@bp.route("/studies/<study>/coding/qdpx", methods=["GET", "POST"])
@study_view("export_pii")
def qdpx(study: Study) -> ResponseReturnValue:
    """The REFI-QDA project of the study (transcripts are personal data: owners only, a reason, audited)."""
    form = QdpxExportForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("coding/qdpx.html", study=g.study, form=form), status
    session = db_session()
    data = qdpx_export.export(session=session, study=g.study, actor=audit.actor_of(current_user),
                              user_id=current_user.id, reason=form.reason.data or "",
                              units=form.offsets.data or "codepoints")
    session.commit()
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{g.study.slug}.qdpx"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/studies/<study>/coding/qdpx/import", methods=["GET", "POST"])
@study_view("manage")
@allows_upload
def qdpx_import_page(study: Study) -> ResponseReturnValue:
    """Import a project coded in another tool (owners): what matched, was created, or could not be matched."""
    form = QdpxImportForm()
    report = None
    if request.method == "POST" and form.validate_on_submit():
        limits = Limits()
        data = form.project.data.read(limits.max_bytes + 1)
        try:
            report = qdpx_import.import_project(session=db_session(), study=g.study, data=data, user=current_user,
                                                create_missing=bool(form.create_missing.data), limits=limits,
                                                offset_mode=form.offsets.data or "auto")
        except CodingError as exc:
            db_session().rollback()
            form.project.errors = [str(exc)]
    status = 400 if request.method == "POST" and report is None else 200
    return render_template("coding/qdpx_import.html", study=g.study, form=form, report=report), status
