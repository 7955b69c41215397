"""Coding pages: the study's transcripts, one interview's transcripts, the transcript coding page.

Access: ``study_view("code")`` lets owners, researchers and interviewers in; each transcript is then
checked with :func:`access.may_code` (an interviewer only the interviews they conducted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import col, select

from webapp.auth.forms import language_name
from webapp.auth.roles import PERMISSIONS, study_view
from webapp.coding.core.paragraphs import normalise
from webapp.coding.forms import ACTOR_LABELS, DOMAIN_LABELS, CodingForm, MemoForm, TranscriptForm
from webapp.coding.services import CodingError, access, agreement, codebook, codings, pages
from webapp.coding.services import transcripts as sources
from webapp.db import db_session
from webapp.extensions import current_language
from webapp.models import Booking, Coding, Participant, Study, Transcript, utcnow

bp = Blueprint("coding", __name__, template_folder="templates", static_folder="static",
               static_url_path="/coding-static")


Row = TypeVar("Row", Booking, Transcript, Coding)


def _of_study(model: type[Row], row_id: int, may: Callable[[Row], bool] = lambda _row: True) -> Row:
    """The study's row of ``model`` with this id (404 otherwise), if the user ``may`` have it (403 otherwise)."""
    row = db_session().get(model, row_id) if 0 < row_id < 2**31 else None
    if row is None or row.study_id != g.study.id:
        abort(404)
    if not may(row):
        abort(403)
    return row


def _booking(booking_id: int) -> Booking:
    return _of_study(Booking, booking_id,
                     lambda b: access.may_code_booking(session=db_session(), user=current_user, booking=b))


def _transcript(transcript_id: int) -> Transcript:
    return _of_study(Transcript, transcript_id,
                     lambda t: access.may_code(session=db_session(), user=current_user, transcript=t))


@bp.get("/studies/<study>/coding")
@study_view("view")
def index(study: Study) -> ResponseReturnValue:
    """Interviews with transcripts the user may code; viewers see the codebook and agreement links only."""
    session = db_session()
    rows: list[tuple[Booking, Participant, list[Transcript]]] = []
    if "code" in PERMISSIONS[g.role]:
        query = (select(Booking, Participant).join(Participant, col(Participant.id) == Booking.participant_id)
                 .where(Booking.study_id == g.study.id, Booking.status.in_(("completed", "booked")))  # type: ignore[attr-defined]
                 .order_by(col(Booking.starts_at)))
        for booking, person in session.exec(query).all():
            if access.may_code_booking(session=session, user=current_user, booking=booking):
                rows.append((booking, person, sources.of_booking(session=session, booking=booking)))
    return render_template("coding/index.html", study=g.study, rows=rows)


def _transcript_form(booking: Booking, existing: list[Transcript]) -> TranscriptForm:
    form = TranscriptForm()
    known = [lang for lang in (booking.language, *g.study.languages, g.study.default_language) if lang]
    languages = list(dict.fromkeys(known))
    form.language.choices = [("", _("— choose —"))] + [(lang, language_name(lang)) for lang in languages]
    if request.method == "GET":  # the interview's language, else the study's default, else its first one
        form.language.data = booking.language or g.study.default_language or next(iter(g.study.languages), "")
    form.translation_of.choices = [("", _("the original"))] + [
        (str(t.id), _("a translation of %(name)s", name=f"{t.name} ({t.language})"))
        for t in existing if t.role == "original"]
    return form


@bp.route("/studies/<study>/coding/interviews/<int:booking_id>", methods=["GET", "POST"])
@study_view("code")
def interview(study: Study, booking_id: int) -> ResponseReturnValue:
    """An interview's transcripts; add one (pasted or uploaded), or adopt the interview page's upload."""
    booking = _booking(booking_id)
    session = db_session()
    existing = sources.of_booking(session=session, booking=booking)
    form = _transcript_form(booking, existing)
    if request.method == "POST" and form.validate_on_submit():
        try:
            upload = request.files.get("upload")
            if request.form.get("adopt"):
                made = sources.adopt_interview_upload(session=session, booking=booking, language=form.language.data,
                                                      user=current_user)
            else:
                text = form.text.data or ""
                name = form.name.data or ""
                if upload is not None and upload.filename:
                    text = sources.text_from_upload(filename=upload.filename,
                                                    data=upload.read(int(request.max_content_length or 10**8)))
                    name = name or upload.filename
                original = next((t for t in existing if str(t.id) == form.translation_of.data), None)
                made = sources.add(session=session, booking=booking, text=text, name=name,
                                   language=form.language.data, user=current_user, translation_of=original)
            session.commit()
            flash(_("The transcript is stored, split into %(n)s paragraphs.", n=len(made.paragraphs)), "info")
            return redirect(url_for("coding.transcript", study=study.slug, transcript_id=made.id), 303)
        except CodingError as exc:
            session.rollback()
            form.text.errors = [str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("coding/interview.html", study=g.study, booking=booking, transcripts=existing,
                           form=form, participant=session.get(Participant, booking.participant_id)), status


def _coding_form(transcript: Transcript) -> CodingForm:
    session = db_session()
    form = CodingForm()
    language = current_language()
    form.code.choices = [(c.id, codebook.label(c, language)) for c in codebook.codes(session=session, study=g.study)]
    episodes = pages.episode_choices(session=session, participant_id=transcript.participant_id) \
        if transcript.participant_id is not None else []
    form.episode_no.choices = [("", _("— not tied to an episode —"))] + [(str(n), f"#{n}") for n in episodes]
    return form


def _page(transcript: Transcript, form: CodingForm, status: int = 200) -> ResponseReturnValue:
    session = db_session()
    text = sources.view(session=session, transcript=transcript, user=current_user)
    beside_id = request.args.get("beside", type=int)
    translations = sources.translations(session=session, transcript=transcript)
    beside = next((t for t in translations if t.id == beside_id), None)
    mine = codings.of_transcript(session=session, transcript=transcript, coder=current_user)
    agreed = codings.of_transcript(session=session, transcript=transcript, consensus=True)
    lead = access.may_lead(session=session, user=current_user, study_id=g.study.id)
    others = [c for c in codings.of_transcript(session=session, transcript=transcript, consensus=False)
              if c.coder_id != current_user.id] if lead else []
    views = pages.paragraph_views(text, transcript, mine, (sources.read_text(beside), beside) if beside else None)
    codes = {c.id: c for c in codebook.codes(session=session, study=g.study, include_inactive=True)}
    participant = session.get(Participant, transcript.participant_id)
    assert participant is not None
    href = {c.id: f"#c-{c.id}" for c in mine + agreed if c.id is not None}
    timeline, markers, labels = pages.timeline_with_codings(
        session=session, study=g.study, participant=participant, today=utcnow().date(),
        language=current_language(), items=mine + agreed, href=href)
    memo_map = codings.memos(session=session, target="coding",
                             target_ids=[c.id for c in mine + agreed + others if c.id])
    notes = codings.memos(session=session, target="transcript", target_ids=[transcript.id])  # type: ignore[list-item]
    session.commit()  # the audited view
    return render_template(
        "coding/transcript.html", study=g.study, transcript=transcript, paragraphs=views, mine=mine, agreed=agreed,
        codes=codes, label=codebook.label, language=current_language(), form=form, memo_form=MemoForm(),
        translations=translations, beside=beside, participant=participant, timeline=timeline, markers=markers,
        labels=labels, memos=memo_map, others=others, coder_ref=agreement.coder_ref, actor_labels=ACTOR_LABELS,
        domain_labels=DOMAIN_LABELS,
        notes=notes.get(transcript.id or 0, []), text=text), status


@bp.get("/studies/<study>/coding/transcripts/<int:transcript_id>")
@study_view("code")
def transcript(study: Study, transcript_id: int) -> ResponseReturnValue:
    item = _transcript(transcript_id)
    return _page(item, _coding_form(item))


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _span(item: Transcript, form: CodingForm, text: str) -> codings.Span:
    """The coded span: offsets from the page's script when they match the words, else the words located in
    the chosen paragraphs, else the whole paragraphs."""
    first, last = sorted((form.first.data, form.last.data or form.first.data))  # "from 5 to 4" is 4–5
    _number, whole = codings.span_of(transcript=item, first_paragraph=first, last_paragraph=last)
    quote = (form.quote.data or "").strip()
    start, end = _int(form.start.data), _int(form.end.data)
    if start is not None and end is not None and whole.start <= start < end <= whole.end \
            and (not quote or text[start:end].strip() == quote):
        return codings.Span(start, end)
    if not quote:
        return whole
    found = text.find(normalise(quote), whole.start, whole.end)
    if found < 0:
        raise CodingError(_("These words are not in the chosen paragraphs. Copy them exactly, or leave the "
                            "field empty to code whole paragraphs."))
    return codings.Span(found, found + len(normalise(quote)))


@bp.post("/studies/<study>/coding/transcripts/<int:transcript_id>/codings")
@study_view("code")
def apply(study: Study, transcript_id: int) -> ResponseReturnValue:
    """Save a coding (a plain form post, or the page script's fetch asking for JSON)."""
    item = _transcript(transcript_id)
    session = db_session()
    form = _coding_form(item)
    wants_json = request.accept_mimetypes.best == "application/json"
    error = None
    if form.validate_on_submit():
        try:
            code = codebook.get(session=session, study=g.study, code_id=form.code.data)
            span = _span(item, form, sources.read_text(item))
            made = codings.apply(session=session, transcript=item, code=code, coder=current_user, span=span,
                                 actor=form.actor.data or None, skill_domain=form.skill_domain.data or None,
                                 episode_no=_int(form.episode_no.data), memo=form.memo.data)
            if wants_json:
                return jsonify({"id": made.id, "start": made.start, "end": made.end, "paragraph": made.paragraph})
            flash(_("Coded."), "info")
            return redirect(url_for("coding.transcript", study=study.slug, transcript_id=item.id,
                                    _anchor=f"c-{made.id}"), 303)
        except CodingError as exc:
            session.rollback()
            error = str(exc)
    else:
        error = next((e for errors in form.errors.values() for e in errors), _("Please check the form."))
    if wants_json:
        return jsonify({"error": error}), 400
    form.code.errors = list(form.code.errors) or [error]
    return _page(item, form, 400)


@bp.post("/studies/<study>/coding/transcripts/<int:transcript_id>/memos")
@study_view("code")
def transcript_memo(study: Study, transcript_id: int) -> ResponseReturnValue:
    item = _transcript(transcript_id)
    form = MemoForm()
    session = db_session()
    if form.validate_on_submit():
        try:
            codings.add_memo(session=session, study_id=g.study.id, target="transcript", target_id=item.id,  # type: ignore[arg-type]
                             author=current_user, text=form.text.data or "")
            session.commit()
            flash(_("Memo saved."), "info")
        except CodingError as exc:
            flash(str(exc), "error")
    else:
        flash(_("The memo is empty."), "error")
    return redirect(url_for("coding.transcript", study=study.slug, transcript_id=item.id, _anchor="memos"), 303)


@bp.post("/studies/<study>/coding/codings/<int:coding_id>/delete")
@study_view("code")
def remove(study: Study, coding_id: int) -> ResponseReturnValue:
    session = db_session()
    coding = _of_study(Coding, coding_id)
    item = _transcript(coding.transcript_id)
    try:
        codings.remove(session=session, coding=coding, user=current_user,
                       lead=access.may_lead(session=session, user=current_user, study_id=g.study.id))
        flash(_("The coding was removed."), "info")
    except CodingError as exc:
        flash(str(exc), "error")
    return redirect(url_for("coding.transcript", study=study.slug, transcript_id=item.id), 303)
