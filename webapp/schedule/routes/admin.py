"""Pages needing the ``schedule`` permission: availability, interview types, outbox, delivery log, messages
marked as sent by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import col, select

from webapp.auth.roles import PERMISSIONS, study_view
from webapp.db import db_session
from webapp.models import (
    AvailabilityOverride,
    AvailabilityRule,
    Booking,
    DeliveryAttempt,
    InterviewType,
    Membership,
    Participant,
    Study,
    User,
    utcnow,
)
from webapp.schedule import bp
from webapp.schedule.forms import (
    WEEKDAYS,
    ActionForm,
    InterviewerForm,
    OverrideForm,
    RuleForm,
    TypeForm,
    valid_zone,
)
from webapp.schedule.routes.common import allowed, own_or_all, researcher_language, type_name
from webapp.schedule.services import by_hand as hand
from webapp.schedule.services import hours
from webapp.schedule.services.availability import INTERVIEWER_ROLES
from webapp.schedule.services.deliveries import Marked, mark_sent
from webapp.schedule.services.messages import safe_zone
from webapp.schedule.services.outbox import Viewer, message_body, message_recipient, outbox_items
from webapp.services import audit, contacts
from webapp.services.mail import list_outbox, read_outbox


def _interviewers() -> list[User]:
    return list(
        db_session().exec(
            select(User)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(Membership.study_id == g.study.id, col(Membership.role).in_(INTERVIEWER_ROLES))
            .order_by(col(User.name), col(User.email))
        )
    )


def _interviewer(user_id: Any) -> User:
    people = {u.id: u for u in _interviewers()}
    try:
        return people[int(user_id)]
    except (TypeError, ValueError, KeyError):
        abort(404)


@bp.route("/studies/<study>/schedule/availability")
@study_view("schedule")
def availability(study: Study) -> Any:
    """Weekly hours, date overrides and blocked days of one interviewer (in the interviewer's zone)."""
    researcher_language()
    people = _interviewers()
    if not people:
        return render_template("schedule/availability.html", study=study, people=[], person=None)
    return _availability_page(study, people, _interviewer(request.args.get("user", people[0].id)))


def _availability_page(
    study: Study,
    people: list[User],
    person: User,
    *,
    rule_form: RuleForm | None = None,
    override_form: OverrideForm | None = None,
) -> Any:
    """The page, with a refused form's values and errors (status 422) or empty forms."""
    session = db_session()
    rules = session.exec(
        select(AvailabilityRule)
        .where(AvailabilityRule.user_id == person.id)
        .order_by(col(AvailabilityRule.weekday), col(AvailabilityRule.start_time))
    ).all()
    today = hours.local_today(person, utcnow())
    overrides = session.exec(
        select(AvailabilityOverride)
        .where(
            AvailabilityOverride.user_id == person.id,
            col(AvailabilityOverride.day) >= today - timedelta(days=1),
        )
        .order_by(col(AvailabilityOverride.day), col(AvailabilityOverride.start_time))
    ).all()
    profile = InterviewerForm(formdata=None, timezone=person.timezone, languages=person.languages)
    page = render_template(
        "schedule/availability.html",
        study=study,
        people=people,
        person=person,
        rules=rules,
        overrides=overrides,
        weekdays=WEEKDAYS,
        rule_form=rule_form or RuleForm(formdata=None),
        override_form=override_form or OverrideForm(formdata=None),
        profile=profile,
        action_form=ActionForm(formdata=None),
    )
    return page, 422 if rule_form is not None or override_form is not None else 200


def _hm(value: Any) -> str:
    return value.strftime("%H:%M") if value is not None else "?"


def _refusal(exc: hours.HoursRefused, *, blocked: bool = False) -> str:
    """What the page says about hours the service refused (naming the row they clash with)."""
    if isinstance(exc, hours.RuleClash):
        rule = {"weekday": WEEKDAYS[exc.rule.weekday], "start": _hm(exc.rule.start_time), "end": _hm(exc.rule.end_time)}
        if exc.same:
            return _("%(weekday)s %(start)s–%(end)s is already in the weekly hours.", **rule)
        return _("These hours overlap %(weekday)s %(start)s–%(end)s, already in the weekly hours.", **rule)
    if isinstance(exc, hours.OverrideClash):
        other = exc.override
        when = {"date": other.day.isoformat(), "start": _hm(other.start_time), "end": _hm(other.end_time)}
        if other.blocked:
            return _("%(date)s is already marked as not available.", **when)
        if other.start_time is None or other.end_time is None:
            return _("%(date)s already has an entry without hours; remove it first.", **when)
        if blocked:
            return _(
                "%(date)s already has hours (%(start)s–%(end)s); remove them first to mark the day as not available.",
                **when,
            )
        return _("These hours overlap %(start)s–%(end)s, already set for %(date)s.", **when)
    if isinstance(exc, hours.DatePassed):
        return _("This date has passed.")
    if isinstance(exc, hours.MissingHours):
        return _("Enter the hours of that day, or mark it as not available.")
    if isinstance(exc, hours.BadWeekday):
        return _("Please choose a day of the week.")
    return _("The end must be after the start.")


def _refuse(form: FlaskForm, exc: hours.HoursRefused, *, blocked: bool = False) -> None:
    field = getattr(form, exc.field)
    field.errors = [*field.errors, _refusal(exc, blocked=blocked)]


def _back(person: User) -> Any:
    return redirect(url_for("schedule.availability", study=g.study.slug, user=person.id))


@bp.route("/studies/<study>/schedule/availability/<int:user_id>/profile", methods=["POST"])
@study_view("schedule")
def availability_profile(study: Study, user_id: int) -> Any:
    researcher_language()
    person = _interviewer(user_id)
    form = InterviewerForm()
    zone = valid_zone((form.timezone.data or "").strip())
    if not form.validate_on_submit() or zone is None:
        flash(_("Please enter a time zone such as Asia/Tokyo."), "error")
        return _back(person)
    person.timezone, person.languages = zone, list(form.languages.data or [])
    db_session().add(person)
    db_session().commit()
    flash(_("Saved."), "success")
    return _back(person)


@bp.route("/studies/<study>/schedule/availability/<int:user_id>/rules", methods=["POST"])
@study_view("schedule")
def availability_rule_add(study: Study, user_id: int) -> Any:
    researcher_language()
    person = _interviewer(user_id)
    form = RuleForm()
    if not form.validate_on_submit():
        return _availability_page(study, _interviewers(), person, rule_form=form)
    try:
        hours.add_rule(
            session=db_session(),
            user=person,
            weekday=form.weekday.data,
            start=form.start_time.data,
            end=form.end_time.data,
        )
    except hours.HoursRefused as exc:
        _refuse(form, exc)
        return _availability_page(study, _interviewers(), person, rule_form=form)
    flash(_("Saved."), "success")
    return _back(person)


@bp.route("/studies/<study>/schedule/availability/<int:user_id>/overrides", methods=["POST"])
@study_view("schedule")
def availability_override_add(study: Study, user_id: int) -> Any:
    researcher_language()
    person = _interviewer(user_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        return _availability_page(study, _interviewers(), person, override_form=form)
    blocked = bool(form.blocked.data)
    try:
        hours.add_override(
            session=db_session(),
            user=person,
            day=form.day.data,
            blocked=blocked,
            start=form.start_time.data,
            end=form.end_time.data,
            now=utcnow(),
        )
    except hours.HoursRefused as exc:
        _refuse(form, exc, blocked=blocked)
        return _availability_page(study, _interviewers(), person, override_form=form)
    flash(_("Saved."), "success")
    return _back(person)


@bp.route("/studies/<study>/schedule/availability/<int:user_id>/<kind>/<int:item_id>/delete", methods=["POST"])
@study_view("schedule")
def availability_delete(study: Study, user_id: int, kind: str, item_id: int) -> Any:
    researcher_language()
    person = _interviewer(user_id)
    if kind not in ("rules", "overrides") or not ActionForm().validate_on_submit():
        abort(404 if kind not in ("rules", "overrides") else 400)
    item: AvailabilityRule | AvailabilityOverride | None = (
        db_session().get(AvailabilityRule, item_id)
        if kind == "rules"
        else db_session().get(AvailabilityOverride, item_id)
    )
    if item is None or item.user_id != person.id:
        abort(404)
    db_session().delete(item)
    db_session().commit()
    flash(_("Removed."), "success")
    return _back(person)


@bp.route("/studies/<study>/schedule/types")
@study_view("schedule")
def types(study: Study) -> Any:
    language = researcher_language()
    rows = (
        db_session()
        .exec(select(InterviewType).where(InterviewType.study_id == study.id).order_by(col(InterviewType.id)))
        .all()
    )
    return render_template(
        "schedule/types.html", study=study, types=rows, names={t.id: type_name(t, language) for t in rows}
    )


@bp.route("/studies/<study>/schedule/types/new", methods=["GET", "POST"])
@bp.route("/studies/<study>/schedule/types/<int:type_id>", methods=["GET", "POST"])
@study_view("schedule")
def type_edit(study: Study, type_id: int | None = None) -> Any:
    """Create or edit an interview type: duration, buffers, notice, horizon, daily limit, modes, languages."""
    language = researcher_language()
    session = db_session()
    itype = session.get(InterviewType, type_id) if type_id is not None else None
    if type_id is not None and (itype is None or itype.study_id != study.id):
        abort(404)
    if itype is not None and request.method == "GET":
        form = TypeForm(formdata=None, obj=itype, name=type_name(itype, language))
    else:
        form = TypeForm()
    if form.validate_on_submit():
        if itype is None:
            itype = InterviewType(study_id=study.id or 0, name={})
        names = dict(itype.name)
        names[language] = form.name.data.strip()
        itype.name = names
        for attr in (
            "duration_min",
            "buffer_before_min",
            "buffer_after_min",
            "min_notice_hours",
            "horizon_days",
            "max_per_day",
            "slot_step_min",
            "interpreter_available",
            "active",
        ):
            setattr(itype, attr, getattr(form, attr).data)
        itype.modes = list(form.modes.data or [])
        itype.languages = list(form.languages.data or [])
        itype.place = (form.place.data or "").strip() or None
        itype.video_link = (form.video_link.data or "").strip() or None
        session.add(itype)
        session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("schedule.types", study=study.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("schedule/type_form.html", study=study, form=form, itype=itype), status


@bp.route("/studies/<study>/schedule/outbox")
@study_view("schedule")
def outbox(study: Study) -> Any:
    """Messages of the embedded mailer for this study, and the log of every delivery attempt."""
    researcher_language()
    session = db_session()
    zone = ZoneInfo(safe_zone(current_user.timezone))
    attempts = session.exec(
        select(DeliveryAttempt, Booking, Participant)
        .join(Booking, col(Booking.id) == col(DeliveryAttempt.booking_id))
        .join(Participant, col(Participant.id) == col(Booking.participant_id))
        .where(Booking.study_id == study.id)
        .order_by(col(DeliveryAttempt.at).desc())
        .limit(300)
    ).all()
    manual = [
        hand.build(session=session, attempt=a, booking=b, participant=p, viewer=current_user,
                      may_see_contact=contacts.may_see(session=session, participant=p, user_id=current_user.id,
                                                       permissions=PERMISSIONS[g.role]))
        for a, b, p in attempts
        if a.status == "manual"
    ]
    session.commit()  # the contact views shown with the messages are audited
    marked = [row[0] for row in attempts if row[0].detail.get("by_hand")]
    senders = {
        u.id: u.name or u.email
        for u in session.exec(select(User).where(col(User.id).in_({a.detail.get("sent_by") for a in marked})))
    }
    by_hand = {
        a.id: {
            "who": senders.get(a.detail.get("sent_by"), "?"),
            "when": datetime.fromisoformat(a.detail["sent_at"]),
        }
        for a in marked
    }
    items = outbox_items(session=session, viewer=_viewer(), items=list_outbox(study=study.slug))
    return render_template(
        "schedule/outbox.html",
        study=study,
        items=items,
        attempts=attempts,
        manual=manual,
        by_hand=by_hand,
        mark_form=ActionForm(formdata=None),
        zone=zone,
        zone_name=str(zone),
        smtp=_smtp_configured(),
    )


def _viewer() -> Viewer:
    return Viewer(actor=audit.actor_of(current_user), user_id=current_user.id, study_id=g.study.id,
                  may_see_contacts=allowed("view_contact"))


def _smtp_configured() -> bool:
    from flask import current_app

    return bool(current_app.config["KEIREKI"].smtp_url)


@bp.route("/studies/<study>/schedule/outbox/<name>")
@study_view("schedule")
def outbox_message(study: Study, name: str) -> Any:
    researcher_language()
    message = read_outbox(name)
    if message is None or str(message.get("X-Keireki-Study", "")) != study.slug:
        abort(404)
    attachments = [(a.get_filename(), a.get_content_type(), a.get_param("method")) for a in message.iter_attachments()]
    to = message_recipient(session=db_session(), viewer=_viewer(), name=name, message=message)
    return render_template(
        "schedule/outbox_message.html",
        study=study,
        name=name,
        to=to,
        message=message,
        body=message_body(viewer=_viewer(), message=message),
        attachments=attachments,
        sent_at=_date_of(message),
    )


def _date_of(message: Any) -> datetime | None:
    """The message's ``Date`` header as an instant (shown in the reader's zone), None when unreadable."""
    try:
        return parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        return None


@bp.route("/studies/<study>/schedule/outbox/manual/<int:attempt_id>/sent", methods=["POST"])
@study_view("interview")
def manual_sent(study: Study, attempt_id: int) -> Any:
    """The "Mark as sent" button of the outbox's "To send by hand" list and of the interview page.

    ``schedule`` marks any message of the study; an interviewer only those of their own interviews (others'
    are not found, as their interview pages are not). Every mark is audited (``delivery.sent_by_hand``).
    """
    researcher_language()
    session = db_session()
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt = session.get(DeliveryAttempt, attempt_id)
    booking = session.get(Booking, attempt.booking_id) if attempt and attempt.booking_id else None
    if attempt is None or booking is None or booking.study_id != study.id:
        abort(404)
    own_or_all(booking)
    outcome = mark_sent(session=session, attempt=attempt, user=current_user, study_id=study.id, now=utcnow())
    if outcome is Marked.NOW:
        flash(_("Marked as sent."), "success")
    elif outcome is Marked.ALREADY:
        flash(_("This message was already marked as sent."), "success")
    else:
        flash(_("This message is not one to send by hand."), "error")
    if request.args.get("back") == "interview" or not allowed("schedule"):
        return redirect(url_for("schedule.interview", study=study.slug, booking_id=booking.id))
    return redirect(url_for("schedule.outbox", study=study.slug))


manual_sent.keireki_object_check = True  # type: ignore[attr-defined]  # interviewers: their own interviews only
