"""Researcher pages: the agenda and one page per interview (outcome, notes, transcript, contact, changes).

Permissions (``webapp.auth.roles``): ``interview`` to see the agenda and one's own interviews,
``schedule`` to see and change everyone's; contact details only with ``view_contact`` or to the
assigned interviewer, each view audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import col, select

from webapp.auth.roles import PERMISSIONS, study_view
from webapp.crypto import decrypt_json, encrypt_json
from webapp.db import db_session
from webapp.models import Booking, DeliveryAttempt, InterviewType, Participant, Study, User, utcnow
from webapp.models import Response as StoredResponse
from webapp.schedule import bp
from webapp.schedule.forms import ActionForm, NotesForm, OutcomeForm, RescheduleForm, TranscriptForm
from webapp.schedule.routes.common import (
    SLOT_FORMAT,
    allowed,
    booking_for_viewer,
    parse_slot,
    researcher_language,
    slot_days,
    type_name,
)
from webapp.schedule.services import by_hand as hand
from webapp.schedule.services import transcripts
from webapp.schedule.services.availability import eligible_interviewers, open_slots
from webapp.schedule.services.booking import NotBookable, SlotTaken, cancel, reschedule, set_outcome
from webapp.schedule.services.messages import MODE_NAMES, safe_zone
from webapp.security import allows_upload
from webapp.services import audit, contacts
from webapp.services.contacts import MESSAGING_APPS


def _next_interview_day(study: Study, zone: ZoneInfo) -> date | None:
    """The local day of the viewer's next upcoming (booked) interview, if any."""
    query = select(Booking.starts_at).where(
        Booking.study_id == study.id, Booking.status == "booked", col(Booking.starts_at) >= utcnow()
    )
    if not allowed("schedule"):
        query = query.where(Booking.interviewer_id == current_user.id)
    first = db_session().exec(query.order_by(col(Booking.starts_at)).limit(1)).first()
    return first.astimezone(zone).date() if first is not None else None


def _day_arg(study: Study, zone: ZoneInfo) -> date:
    """The ``date`` argument; without one the day of the next upcoming interview, else today in ``zone``."""
    today = datetime.now(zone).date()
    if "date" not in request.args:
        return _next_interview_day(study, zone) or today
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return today
    return day if 1900 <= day.year <= 2200 else today


@bp.route("/studies/<study>/schedule/")
@study_view("interview")
def agenda(study: Study) -> Any:
    """Day or week list of interviews in the viewer's time zone."""
    language = researcher_language()
    session = db_session()
    zone_name = safe_zone(current_user.timezone)
    zone = ZoneInfo(zone_name)
    view = "week" if request.args.get("view") == "week" else "day"
    day = _day_arg(study, zone)
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    days = 7 if view == "week" else 1
    since = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    until = datetime.combine(first + timedelta(days=days), time(0), tzinfo=zone).astimezone(UTC)
    query = select(Booking).where(
        Booking.study_id == study.id, col(Booking.starts_at) >= since, col(Booking.starts_at) < until
    )
    if not allowed("schedule"):
        query = query.where(Booking.interviewer_id == current_user.id)
    bookings = session.exec(query.order_by(col(Booking.starts_at))).all()
    people = {
        p.id: p
        for p in session.exec(select(Participant).where(col(Participant.id).in_({b.participant_id for b in bookings})))
    }
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_({b.interviewer_id for b in bookings})))}
    types = {t.id: t for t in session.exec(select(InterviewType).where(InterviewType.study_id == study.id))}
    groups: dict[date, list[dict[str, Any]]] = {}
    for b in bookings:
        local = b.starts_at.astimezone(zone)
        groups.setdefault(local.date(), []).append(
            {
                "booking": b,
                "code": people[b.participant_id].code if b.participant_id in people else "?",
                "type": type_name(types.get(b.interview_type_id), language),
                "interviewer": (users[b.interviewer_id].name or users[b.interviewer_id].email)
                if b.interviewer_id in users
                else "",
                "mode": MODE_NAMES.get(b.mode, b.mode),
            }
        )
    step = timedelta(days=days)
    return render_template(
        "schedule/agenda.html",
        study=study,
        view=view,
        first=first,
        last=first + step - timedelta(days=1),
        groups=sorted(groups.items()),
        zone=zone_name,
        prev=(first - step).isoformat(),
        next=(first + step).isoformat(),
        today=datetime.now(zone).date().isoformat(),
        can_schedule=allowed("schedule"),
    )


def _may_see_contact(participant: Participant) -> bool:
    """Owners, and the interviewer of a non-cancelled interview with the participant (``webapp.services.contacts``)."""
    return contacts.may_see(
        session=db_session(), participant=participant, user_id=current_user.id, permissions=PERMISSIONS[g.role]
    )


def _interview_context(booking: Booking, language: str) -> dict[str, Any]:
    session = db_session()
    participant = session.get(Participant, booking.participant_id)
    itype = session.get(InterviewType, booking.interview_type_id)
    interviewer = session.get(User, booking.interviewer_id)
    zone = safe_zone(current_user.timezone)
    attempts = session.exec(
        select(DeliveryAttempt).where(DeliveryAttempt.booking_id == booking.id).order_by(col(DeliveryAttempt.at).desc())
    ).all()
    return {
        "study": g.study,
        "booking": booking,
        "participant": participant,
        "itype": itype,
        "type_name": type_name(itype, language),
        "interviewer": interviewer,
        "zone_name": zone.replace("_", " "),
        "mode": MODE_NAMES.get(booking.mode, booking.mode),
        "attempts": attempts,
        "previous": booking.previous_starts,  # ISO instants, shown with the local_time filter
        "may_contact": participant is not None and _may_see_contact(participant),
        "can_schedule": allowed("schedule"),
        "has_debrief": bool(g.study.steps.get("debrief")) and "schedule.debrief" in current_app.view_functions,
        "debrief_saved": _debrief_summary(booking),
    }


def _debrief_summary(booking: Booking) -> dict[str, Any] | None:
    """The saved debrief of the interview's participant: its version, who saved it last and when."""
    instrument_id = g.study.steps.get("debrief")
    if not instrument_id:
        return None
    session = db_session()
    saved = session.exec(
        select(StoredResponse).where(
            StoredResponse.participant_id == booking.participant_id, StoredResponse.instrument_id == instrument_id
        )
    ).first()
    if saved is None:
        return None
    meta = saved.meta or {}
    by = session.get(User, meta.get("edited_by", saved.submitted_by)) if saved.submitted_by else None
    at = datetime.fromisoformat(meta["edited_at"]) if meta.get("edited_at") else saved.submitted_at
    return {
        "version": len(meta.get("history", [])) + 1,
        "who": (by.name or by.email) if by else "?",
        "at": at,
    }


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>")
@study_view("interview")
def interview(study: Study, booking_id: int) -> Any:
    """One interview: who, when, how, outcome, notes, transcript, messages sent, changes."""
    language = researcher_language()
    booking = booking_for_viewer(booking_id)
    notes = ""
    if booking.notes_enc:
        notes = decrypt_json(booking.notes_enc).get("text", "")
        audit.record(
            session=db_session(),
            action="notes.view",
            actor=audit.actor_of(current_user),
            study_id=study.id,
            user_id=current_user.id,
            target=f"booking:{booking.uid}",
        )
        db_session().commit()
    outcome_form = OutcomeForm(formdata=None, outcome=booking.status if booking.status != "booked" else "completed")
    context = _interview_context(booking, language)
    manual = [
        hand.build(session=db_session(), attempt=a, booking=booking, participant=context["participant"],
                   viewer=current_user, may_see_contact=context["may_contact"])
        for a in context["attempts"]
        if a.status == "manual" and context["participant"] is not None
    ]
    if manual:
        db_session().commit()  # the contact views shown with the messages are audited
    return render_template(
        "schedule/interview.html",
        **context,
        manual=manual,
        outcome_form=outcome_form,
        notes_form=NotesForm(formdata=None, notes=notes),
        transcript_form=TranscriptForm(formdata=None),
        action_form=ActionForm(formdata=None),
        outcomes=("completed", "no_show", "cancelled", "rescheduled"),
    )


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/outcome", methods=["POST"])
@study_view("interview")
def interview_outcome(study: Study, booking_id: int) -> Any:
    researcher_language()
    booking = booking_for_viewer(booking_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        flash(_("Please choose an outcome."), "error")
    elif form.outcome.data in ("cancelled", "rescheduled") and not allowed("schedule"):
        abort(403)
    else:
        try:
            set_outcome(session=db_session(), booking=booking, outcome=form.outcome.data, now=utcnow())
        except NotBookable:
            flash(_("This outcome cannot be recorded for this interview."), "error")
        else:
            flash(_("The outcome is saved."), "success")
    return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/notes", methods=["POST"])
@study_view("interview")
def interview_notes(study: Study, booking_id: int) -> Any:
    researcher_language()
    booking = booking_for_viewer(booking_id)
    form = NotesForm()
    if form.validate_on_submit():
        text = (form.notes.data or "").strip()
        booking.notes_enc = encrypt_json({"text": text}) if text else None
        booking.updated_at = utcnow()
        db_session().add(booking)
        db_session().commit()
        flash(_("The notes are saved."), "success")
    else:
        flash(_("The notes are too long."), "error")
    return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/transcript", methods=["GET", "POST"])
@allows_upload
@study_view("interview")
def interview_transcript(study: Study, booking_id: int) -> Any:
    """POST: upload (UTF-8 text or .docx), stored encrypted; GET: download as UTF-8 text. Both audited."""
    researcher_language()
    session = db_session()
    booking = booking_for_viewer(booking_id)
    actor = audit.actor_of(current_user)
    if request.method == "GET":
        if not booking.transcript_path:
            abort(404)
        text = transcripts.read(booking.transcript_path)
        audit.record(
            session=session,
            action="transcript.view",
            actor=actor,
            study_id=study.id,
            user_id=current_user.id,
            target=f"booking:{booking.uid}",
        )
        session.commit()
        return Response(
            text.encode("utf-8"),
            headers={
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Disposition": f'attachment; filename="transcript-{booking.id}.txt"',
            },
        )
    form = TranscriptForm()
    upload = request.files.get("transcript")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash(_("Please choose a transcript file."), "error")
    else:
        try:
            text = transcripts.extract(upload.filename, upload.read(transcripts.max_bytes() + 1))
        except transcripts.TranscriptError as exc:
            flash(str(exc), "error")
        else:
            replaced = bool(booking.transcript_path)  # the previous transcript's file is deleted
            booking.transcript_path = transcripts.store(booking=booking, text=text)
            booking.transcript_name = upload.filename[:200]
            booking.updated_at = utcnow()
            session.add(booking)
            audit.record(
                session=session,
                action="transcript.upload",
                actor=actor,
                study_id=study.id,
                user_id=current_user.id,
                target=f"booking:{booking.uid}",
                detail={"chars": len(text), "replaced": replaced},
            )
            session.commit()
            flash(_("The transcript is saved."), "success")
    return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/contact")
@study_view("interview")
def interview_contact(study: Study, booking_id: int) -> Any:
    """The participant's contact details (``view_contact`` or the assigned interviewer), audited."""
    researcher_language()
    session = db_session()
    booking = booking_for_viewer(booking_id)
    participant = session.get(Participant, booking.participant_id)
    assert participant is not None
    if not _may_see_contact(participant):
        abort(403)
    contact = contacts.view(
        session=session, participant=participant, user=current_user, detail={"booking": booking.uid}
    )
    session.commit()
    return render_template(
        "schedule/contact.html",
        study=study,
        booking=booking,
        participant=participant,
        contact=contact,
        apps=MESSAGING_APPS,
    )


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/cancel", methods=["POST"])
@study_view("schedule")
def interview_cancel(study: Study, booking_id: int) -> Any:
    researcher_language()
    booking = booking_for_viewer(booking_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        cancel(session=db_session(), booking=booking, now=utcnow(), by="researcher")
    except NotBookable:
        flash(_("This interview is not booked any more."), "error")
    else:
        flash(_("The interview is cancelled; the participant and the interviewer are told."), "success")
    return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/reschedule", methods=["GET", "POST"])
@study_view("schedule")
def interview_reschedule(study: Study, booking_id: int) -> Any:
    """Move an interview to another free time (researcher's zone); the minimum notice does not apply."""
    language = researcher_language()
    session = db_session()
    booking = booking_for_viewer(booking_id)
    if booking.status != "booked":
        flash(_("This interview is not booked any more."), "error")
        return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))
    form = RescheduleForm()
    status, taken = 200, False
    if form.validate_on_submit():
        start = parse_slot(form.slot.data)
        if start is None:
            form.slot.errors = [_("Please choose a time.")]
            status = 422
        else:
            try:
                reschedule(session=session, booking=booking, start=start, now=utcnow(), by="researcher")
            except SlotTaken:
                taken, status = True, 409
            except NotBookable:
                abort(409)
            else:
                flash(_("The interview has moved; the participant and the interviewer are told."), "success")
                return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))
    elif request.method == "POST":
        status = 422
    itype = session.get(InterviewType, booking.interview_type_id)
    assert itype is not None
    eligible = eligible_interviewers(session=session, itype=itype, language=booking.language)
    now = utcnow()
    slots = [
        s
        for s in open_slots(
            session=session,
            itype=itype,
            eligible=eligible,
            now=now - itype_notice(itype),
            exclude_booking=booking.id,
        )
        if s.start > now and s.start != booking.starts_at
    ]
    zone = safe_zone(current_user.timezone)
    page = request.args.get("week", "0")
    return render_template(
        "schedule/reschedule.html",
        study=study,
        booking=booking,
        form=form,
        taken=taken,
        zone=zone,
        days=slot_days(slots, zone=zone, language=language, page=int(page) if page.isdigit() else 0),
        slot_format=SLOT_FORMAT,
    ), status


def itype_notice(itype: InterviewType) -> timedelta:
    """Researchers may move an interview inside the participants' minimum notice."""
    return timedelta(hours=itype.min_notice_hours)
