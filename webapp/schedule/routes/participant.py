"""Participant pages: book an interview (resume token) and change or cancel it (manage token)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from webapp.crypto import hash_token
from webapp.db import db_session
from webapp.extensions import UI_LANGUAGES
from webapp.models import Booking, InterviewType, Participant, Study, utcnow
from webapp.schedule import bp
from webapp.schedule.forms import (
    ActionForm,
    BookForm,
    RescheduleForm,
    ZoneForm,
    opts,
    valid_zone,
    zone_choices,
    zone_name,
)
from webapp.schedule.routes.common import parse_slot, slot_days
from webapp.schedule.services.availability import eligible_interviewers, open_slots
from webapp.schedule.services.booking import (
    AlreadyBooked,
    NotBookable,
    SlotTaken,
    TooLate,
    active_types,
    book,
    booking_by_manage_token,
    cancel,
    interviewed,
    may_change,
    reschedule,
    upcoming_booking,
)
from webapp.schedule.services.contact import ContactChoice, ContactInvalid, parse_contact
from webapp.schedule.services.ics import content_type
from webapp.schedule.services.messages import (
    JAPAN,
    MODE_NAMES,
    babel_locale,
    calendar,
    format_when,
    interviewer_name,
    load_parts,
    team_address,
)
from webapp.services import chosen_language, contacts, responses
from webapp.services.studies import study_or_404, study_title


def _language(study: Study, participant: Participant) -> str:
    """The page's language: ``?lang=`` among the study's languages, remembered in this browser and on the
    participant as on the participate pages, else the participant's; ``g.study`` for the language list."""
    asked = request.args.get("lang", "")
    if asked in study.languages and asked in UI_LANGUAGES:
        chosen_language.keep(study.slug, participant, asked)
    lang = participant.form_language if participant.form_language in UI_LANGUAGES else "en"
    g.study = study
    g.language = lang
    return lang


def _zone(default: str = JAPAN) -> str:
    return valid_zone(request.values.get("tz")) or default


def _page() -> int:
    value = request.args.get("week", "0")
    return min(int(value), 60) if value.isascii() and value.isdigit() else 0


def _participant_of(session: Session, study_slug: str, token: str) -> tuple[Study, Participant]:
    """The study and the participant of a resume link, or 404 (also for a withdrawn participant)."""
    study = study_or_404(session=session, slug=study_slug)
    participant = responses.participant_by_token(session=session, study=study, token=token)
    if participant is None or participant.status == "withdrawn":
        abort(404)
    return study, participant


def _no_booking_page(session: Session, study: Study, participant: Participant, token: str, now: datetime) -> Any:
    """The page instead of the slots when the participant has an interview booked or had one; else None."""
    language = g.language
    existing = upcoming_booking(session=session, participant_id=participant.id or 0, now=now)
    if existing is not None:
        return render_template(
            "schedule/already_booked.html",
            study=study,
            token=token,
            booking=existing,
            when=format_when(existing.starts_at, existing.participant_tz, language),
            japan=format_when(existing.starts_at, JAPAN, language),
            form=ActionForm(),
        )
    if interviewed(session=session, participant_id=participant.id or 0):
        return render_template("schedule/interviewed.html", study=study)
    return None


def _known_contact(session: Session, participant: Participant) -> dict[str, Any]:
    """What the participant already gave (e-mail, phone, app) to prefill the booking form, first channel chosen."""
    record = contacts.read(session=session, participant_id=participant.id or 0)
    known = {key: record[key] for key in ("email", "phone", "messaging_app", "messaging_id") if record.get(key)}
    kinds = contacts.kinds_of(record)
    return {**known, "channel": kinds[0]} if kinds else known


def _contact_of(form: BookForm) -> ContactChoice | None:
    """The contact typed on the booking form, or None with the error set on its field."""
    try:
        return parse_contact(
            channel=form.channel.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            messaging_app=form.messaging_app.data or "",
            messaging_id=form.messaging_id.data or "",
        )
    except ContactInvalid as exc:
        getattr(form, exc.field).errors = [str(exc.message)]
        return None


def _submit(
    *,
    session: Session,
    study: Study,
    participant: Participant,
    itype: InterviewType,
    form: BookForm,
    here: Any,
    zone: str,
    now: datetime,
) -> tuple[Any, int, bool]:
    """Book from a valid form: (a redirect or None, the page's status, whether the slot was just taken)."""
    start = parse_slot(form.slot.data)
    contact = _contact_of(form)
    if start is None:
        form.slot.errors = [_("Please choose a time.")]
    if form.mode.data not in itype.modes:
        form.mode.errors = [_("Please choose how you would like to talk.")]
        return None, 422, False
    if start is None or contact is None:
        return None, 422, False
    try:
        booked = book(
            session=session,
            participant=participant,
            itype=itype,
            start=start,
            participant_tz=zone,
            mode=form.mode.data,
            contact=contact,
            now=now,
        )
    except SlotTaken:
        return None, 409, True
    except AlreadyBooked:
        return redirect(here()), 302, False
    except NotBookable:
        form.mode.errors = [_("Please choose how you would like to talk.")]
        return None, 422, False
    flash(_("Your interview is booked."), "success")
    return redirect(url_for("schedule.manage", token=booked.token)), 302, False


@bp.route("/s/<study_slug>/p/<token>/interview", methods=["GET", "POST"], endpoint="book")
def book_page(study_slug: str, token: str) -> Any:
    """Free slots in the participant's zone and language; booking with a contact for confirmations."""
    session = db_session()
    study, participant = _participant_of(session, study_slug, token)
    _language(study, participant)
    other = _no_booking_page(session, study, participant, token, utcnow())
    if other is not None:
        return other

    def here(**kwargs: Any) -> str:
        return url_for("schedule.book", study_slug=study.slug, token=token, **kwargs)

    return _book(session=session, study=study, participant=participant, here=here)


@bp.route("/i/<token>/again", methods=["GET", "POST"])
def book_again(token: str) -> Any:
    """"Book again" from the page of a cancelled interview: the picker for the same interview type."""
    session = db_session()
    booking = booking_by_manage_token(session=session, token=token, now=utcnow())
    participant = session.get(Participant, booking.participant_id) if booking is not None else None
    if booking is None or participant is None or participant.status == "withdrawn":
        abort(404)
    study = session.get(Study, participant.study_id)
    assert study is not None
    _language(study, participant)
    if booking.status == "booked" or upcoming_booking(session=session, participant_id=participant.id or 0,
                                                      now=utcnow()) is not None:
        flash(_("You already have an interview"), "success")
        return redirect(url_for("schedule.manage", token=token))

    def here(**kwargs: Any) -> str:
        return url_for("schedule.book_again", token=token, **kwargs)

    return _book(session=session, study=study, participant=participant, here=here,
                 default_type=booking.interview_type_id)


def _book(*, session: Session, study: Study, participant: Participant, here: Any,
          default_type: int | None = None) -> Any:
    """The booking page at the URL ``here(**query)``: the days as buttons of the form, so that what is chosen
    and typed (mode, contact) goes along with a tap on another day, with or without JavaScript."""
    now = utcnow()
    language = g.language
    types = active_types(session=session, study_id=study.id or 0)
    wanted = request.args.get("type", "") or str(default_type or "")
    itype = next((t for t in types if str(t.id) == wanted), types[0] if types else None)
    zone = _zone()
    form = BookForm() if request.method == "POST" else BookForm(data=_known_contact(session, participant))
    status, taken = 200, False
    picking = request.method == "POST" and "d" in request.form  # a day's button (schedule/_macros.html)
    if itype is not None:
        form.mode.choices = opts((m, MODE_NAMES.get(m, m)) for m in itype.modes)
    if picking:
        form.slot.data = None  # another day: its times, with everything else as it was
    elif itype is not None and form.validate_on_submit():
        done, status, taken = _submit(
            session=session,
            study=study,
            participant=participant,
            itype=itype,
            form=form,
            here=here,
            zone=zone,
            now=now,
        )
        if done is not None:
            return done
    elif request.method == "POST":
        status = 422
    slots = []
    if itype is not None:
        eligible = eligible_interviewers(session=session, itype=itype, language=participant.form_language)
        slots = open_slots(session=session, itype=itype, eligible=eligible, now=now)
    zone_form = ZoneForm(formdata=None, tz=zone)
    zone_form.tz.choices = zone_choices(zone, babel_locale(language))
    return render_template(
        "schedule/book.html",
        zone_label=zone_name(zone, babel_locale(language)),
        study=study,
        here=here,
        form=form,
        zone_form=zone_form,
        zone=zone,
        itype=itype,
        types=types,
        taken=taken,
        days=slot_days(slots, zone=zone, language=language, page=_page()),
        now_label=format_when(now, zone, language),
    ), status


@bp.route("/s/<study_slug>/p/<token>/interview/manage", methods=["POST"])
def book_manage(study_slug: str, token: str) -> Any:
    """From the resume link to the manage page of the participant's booking (a new manage link)."""
    session = db_session()
    study = study_or_404(session=session, slug=study_slug)
    participant = responses.participant_by_token(session=session, study=study, token=token)
    if participant is None or not ActionForm().validate_on_submit():
        abort(404 if participant is None else 400)
    booking = upcoming_booking(session=session, participant_id=participant.id or 0, now=utcnow())
    if booking is None:
        return redirect(url_for("schedule.book", study_slug=study.slug, token=token))
    manage_token = secrets.token_urlsafe(32)
    booking.manage_token_hash = hash_token(manage_token)
    session.add(booking)
    session.commit()
    return redirect(url_for("schedule.manage", token=manage_token))


def _booking_or_404(token: str) -> tuple[Booking, InterviewType, Participant, str]:
    session = db_session()
    booking = booking_by_manage_token(session=session, token=token, now=utcnow())
    if booking is None:
        abort(404)
    itype = session.get(InterviewType, booking.interview_type_id)
    participant = session.get(Participant, booking.participant_id)
    study = session.get(Study, booking.study_id)
    assert itype is not None
    assert participant is not None
    assert study is not None
    return booking, itype, participant, _language(study, participant)


def _manage_page(token: str, *, form: RescheduleForm | None = None, taken: bool = False, status: int = 200) -> Any:
    session = db_session()
    booking, itype, participant, language = _booking_or_404(token)
    now = utcnow()
    zone = _zone(booking.participant_tz)
    changeable = may_change(booking=booking, itype=itype, now=now)
    days: dict[str, Any] = {"groups": [], "page": 0, "more": False}
    if changeable and request.args.get("change") or taken or form is not None:
        eligible = eligible_interviewers(session=session, itype=itype, language=booking.language)
        slots = open_slots(session=session, itype=itype, eligible=eligible, now=now, exclude_booking=booking.id)
        days = slot_days([s for s in slots if s.start != booking.starts_at], zone=zone, language=language, page=_page())
    zone_form = ZoneForm(formdata=None, tz=zone)
    zone_form.tz.choices = zone_choices(zone, babel_locale(language))
    parts = load_parts(session, booking)
    return render_template(
        "schedule/manage.html",
        booking=booking,
        itype=itype,
        token=token,
        changeable=changeable,
        days=days,
        form=form or RescheduleForm(formdata=None),
        cancel_form=ActionForm(formdata=None),
        zone_form=zone_form,
        zone=zone,
        taken=taken,
        when=format_when(booking.starts_at, zone, language),
        japan=format_when(booking.starts_at, JAPAN, language),
        mode=MODE_NAMES.get(booking.mode, booking.mode),
        place=itype.place if booking.mode == "in_person" else None,
        link=itype.video_link if booking.mode == "video" else None,
        study=parts.study,
        brand=study_title(parts.study, language),
        languages=chosen_language.language_links(keep=("change", "tz")),
        interviewer=interviewer_name(parts.interviewer),
        team=team_address(),
        notice_hours=itype.min_notice_hours,
    ), status


@bp.route("/i/<token>")
def manage(token: str) -> Any:
    """The participant's interview: date and time in their zone and Japan's, .ics, change or cancel."""
    return _manage_page(token)


@bp.route("/i/<token>/reschedule", methods=["POST"])
def manage_reschedule(token: str) -> Any:
    session = db_session()
    booking, _itype, _participant, _lang = _booking_or_404(token)
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _manage_page(token, form=form, status=422)
    start = parse_slot(form.slot.data)
    if start is None:
        form.slot.errors = [_("Please choose a time.")]
        return _manage_page(token, form=form, status=422)
    try:
        reschedule(
            session=session,
            booking=booking,
            start=start,
            now=utcnow(),
            by="participant",
            participant_tz=_zone(booking.participant_tz),
            token=token,
        )
    except SlotTaken:
        return _manage_page(token, form=form, taken=True, status=409)
    except (TooLate, NotBookable):
        flash(_("This interview can no longer be changed here. Please contact the research team."), "error")
        return redirect(url_for("schedule.manage", token=token))
    flash(_("Your interview has moved to the new time."), "success")
    return redirect(url_for("schedule.manage", token=token))


@bp.route("/i/<token>/cancel", methods=["POST"])
def manage_cancel(token: str) -> Any:
    session = db_session()
    booking, _itype, _participant, _lang = _booking_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        cancel(session=session, booking=booking, now=utcnow(), by="participant")
    except (TooLate, NotBookable):
        flash(_("This interview can no longer be cancelled here. Please contact the research team."), "error")
    else:
        flash(_("Your interview is cancelled."), "success")
    return redirect(url_for("schedule.manage", token=token))


@bp.route("/i/<token>/interview.ics")
def manage_ics(token: str) -> Response:
    """The interview as an .ics file (METHOD:REQUEST, or CANCEL once cancelled)."""
    session = db_session()
    booking, _itype, _participant, _lang = _booking_or_404(token)
    ics, method = calendar(load_parts(session, booking), now=utcnow())
    return Response(
        ics,
        headers={
            "Content-Type": content_type(method),
            "Content-Disposition": 'attachment; filename="interview.ics"',
        },
    )
