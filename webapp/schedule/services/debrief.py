"""The interviewer's debrief of an interview: the study's debrief instrument as one page.

Fields come from the shared form builder (:mod:`webapp.forms`); answers are converted and checked by
``instruments.engine`` like a participant's. A repeat group (the coded skill events) shows its entries
with an "add an entry" button. The result is stored as a ``Response`` of the participant with
``submitted_by`` = the interviewer, then the career-records conversion is queued.

A saved debrief can be changed by the interviewer who wrote it, the interview's interviewer and the
study's owners: the page opens with the saved answers, and saving keeps the previous version in
``meta["history"]`` (answers, who, when), records ``meta["edited_by"/"edited_at"]``, writes
``debrief.edit`` to the audit log and queues the conversion again. A stale form (someone saved in
between: ``revision`` differs) is not saved over the newer version: the page answers 409 with what was
typed. What was typed is never lost: a validation error shows the page again with every value.

:func:`save_debrief` is the service (the page and ``keireki demo seed`` call it);
:func:`check_debrief` validates answers like the page does; :func:`debrief_page` builds the page (its
route is ``webapp.schedule.routes.debrief``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, select
from wtforms.form import Form

from instruments import engine
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question
from webapp.db import begin_serialised, db_session
from webapp.forms import build_form_class, form_values, raw_value, widget_of
from webapp.models import Booking, InterviewType, Participant, Response, utcnow
from webapp.schedule.services.messages import JAPAN
from webapp.services import audit
from webapp.services.studies import current_version, instrument_of

log = logging.getLogger(__name__)
MAX_ENTRIES = 40


def _issue_text(code: str) -> str:
    messages = {
        "required": _("Please fill this in."),
        "constraint": _("This value is not possible."),
        "integer": _("Please enter a whole number."),
        "decimal": _("Please enter a number."),
        "date": _("Please enter a date like 2024-04-01."),
        "partial_date": _("Please enter a date like 2024-04."),
        "choice": _("Please choose one of the options."),
        "too_long": _("This text is too long."),
        "repeat_min": _("Please add more entries."),
        "repeat_max": _("There are too many entries."),
    }
    return messages.get(code, _("Please check this answer."))


def _plain(group: Group) -> list[Question]:
    """The questions of a group outside its repeat groups."""
    out: list[Question] = []
    for child in group.children:
        if isinstance(child, Question):
            out.append(child)
        elif not child.repeat:
            out.extend(_plain(child))
    return out


def _repeats(instrument: Instrument) -> list[Group]:
    return [n for n in instrument.walk() if isinstance(n, Group) and n.repeat]


def _prefill(booking: Booking, itype: InterviewType | None) -> dict[str, Any]:
    return {
        "interview_date": booking.starts_at.astimezone(ZoneInfo(JAPAN)).date().isoformat(),
        "interview_mode": booking.mode,
        "interview_language": booking.language,
        "interpreter": "yes" if booking.interpreter else "no",
        "duration_min": str(itype.duration_min) if itype else "",
    }


def _entry_forms(instrument: Instrument, repeat: Group, count: int, language: str, formdata: Any) -> list[Form]:
    questions = [c for c in repeat.children if isinstance(c, Question)]
    cls = build_form_class(instrument=instrument, questions=questions, language=language, base=Form)
    return [cls(formdata=formdata, prefix=f"{repeat.name}-{i}-") for i in range(count)]


def _convert(
    questions: list[Question], form: Form, instrument: Instrument, errors: dict[str, str], prefix: str = ""
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in questions:
        raw = raw_value(form, question)
        try:
            value = engine.convert_answer(question, raw, instrument=instrument).value
        except AnswerError as exc:
            errors[prefix + question.name] = _issue_text(exc.code)
            continue
        if value is not None:
            answers[question.name] = value
    return answers


class DebriefConflict(Exception):
    """The debrief was saved by someone else since this form was opened (or created meanwhile)."""


def revision_of(response: Response | None) -> int:
    """The version number of a saved debrief (0: none yet); each edit adds one."""
    if response is None:
        return 0
    return len((response.meta or {}).get("history", [])) + 1


def debrief_of(*, session: Session, participant_id: int, instrument_id: str) -> Response | None:
    return session.exec(
        select(Response).where(Response.participant_id == participant_id, Response.instrument_id == instrument_id)
    ).first()


def check_debrief(instrument: Instrument, answers: dict[str, Any], *, today: date) -> dict[str, Any]:
    """The engine's issues of ``answers`` (path -> issue), as the page checks them before saving."""
    issues: dict[str, Any] = {}
    for group in instrument.groups:
        issues.update(engine.validate_page(instrument, group, answers, today=today))
    return issues


def save_debrief(
    *,
    session: Session,
    instrument: Instrument,
    version_id: int,
    participant: Participant,
    booking: Booking,
    answers: dict[str, Any],
    user: Any,
    now: datetime,
    expected_revision: int | None = None,
) -> Response:
    """Store the debrief of ``booking`` written by ``user`` (new, or a new version of the saved one), commit,
    and queue the participant's conversion. ``expected_revision`` (what the form was opened on) guards
    against saving over someone else's newer version: :class:`DebriefConflict`."""
    from workers.jobs import enqueue_conversion

    assert participant.id is not None
    if session.in_transaction():
        session.commit()
    begin_serialised(session)
    try:
        session.exec(select(Participant).where(Participant.id == participant.id).with_for_update()).one()
        existing = session.exec(
            select(Response)
            .where(Response.participant_id == participant.id, Response.instrument_id == instrument.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if expected_revision is not None and revision_of(existing) != expected_revision:
            raise DebriefConflict(revision_of(existing))
        if existing is None:
            response = Response(
                participant_id=participant.id,
                instrument_id=instrument.id,
                instrument_version_id=version_id,
                answers=answers,
                submitted_by=user.id,
                meta={"source": "debrief", "booking": booking.uid},
                submitted_at=now,
            )
        else:
            response = existing
            meta = dict(existing.meta or {})
            previous = {
                "answers": existing.answers,
                "instrument_version_id": existing.instrument_version_id,
                "by": meta.get("edited_by", existing.submitted_by),
                "at": meta.get("edited_at", existing.submitted_at.isoformat()),
            }
            meta["history"] = [*meta.get("history", []), previous]
            meta["edited_by"], meta["edited_at"] = user.id, now.isoformat()
            response.meta = meta
            response.answers = answers
            response.instrument_version_id = version_id
            response.status, response.error = "submitted", None
            audit.record(
                session=session,
                action="debrief.edit",
                actor=audit.actor_of(user),
                study_id=booking.study_id,
                user_id=user.id,
                target=f"participant:{participant.code}",
                detail={"booking": booking.uid, "revision": revision_of(response)},
            )
        session.add(response)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    try:
        enqueue_conversion(session=session, participant_id=participant.id, study_id=booking.study_id)
    except Exception:  # the job row is committed first; beat's sweeper re-sends a message that failed
        log.exception("conversion of participant %s could not be queued now", participant.id)
    return response


def may_edit(*, response: Response, booking: Booking, user_id: int, role: str) -> bool:
    """The interviewer who wrote it, the interview's interviewer and the study's owners change a debrief."""
    return role == "owner" or user_id in (response.submitted_by, booking.interviewer_id)


def debrief_page(*, booking: Booking, language: str) -> Any:
    """The debrief page of ``booking`` (a request of the current study): show, check and save it.

    Fill in the debrief for the interview's participant, or change the saved one (a new version).
    Called by the view ``webapp.schedule.routes.debrief.debrief``, which finds the booking the viewer
    may see; this builds the page from the request (GET: saved or prefilled answers; POST: convert,
    check, save) and returns the rendered page with its status, or a redirect.
    """
    session = db_session()
    instrument_id = g.study.steps.get("debrief")
    version = (
        current_version(session=session, study_id=g.study.id, instrument_id=instrument_id) if instrument_id else None
    )
    if version is None:
        abort(404)
    instrument = instrument_of(version)
    participant = session.get(Participant, booking.participant_id)
    assert participant is not None
    back = url_for("schedule.interview", study=g.study.slug, booking_id=booking.id)
    existing = debrief_of(session=session, participant_id=participant.id or 0, instrument_id=instrument.id)
    if existing is not None and not may_edit(response=existing, booking=booking, user_id=current_user.id, role=g.role):
        if request.method == "POST":
            abort(403)
        flash(_("The debrief is saved; only its interviewer or an owner can change it."), "success")
        return redirect(back)
    plain = [q for group in instrument.groups for q in _plain(group)]
    main_cls = build_form_class(instrument=instrument, questions=plain, language=language)
    repeats = _repeats(instrument)
    saved = existing.answers if existing is not None else {}
    counts = {}
    for repeat in repeats:
        default = str(max(1, len(saved.get(repeat.name) or [])))
        value = request.form.get(f"count-{repeat.name}", default)
        counts[repeat.name] = min(int(value), MAX_ENTRIES) if value.isdigit() else 1
        if request.form.get("add") == repeat.name:
            counts[repeat.name] = min(counts[repeat.name] + 1, MAX_ENTRIES)
    errors: dict[str, str] = {}
    status = 200
    revision = revision_of(existing)
    if request.method == "POST":
        form = main_cls()
        entries = {r.name: _entry_forms(instrument, r, counts[r.name], language, request.form) for r in repeats}
        if not form.validate():  # only the CSRF token has validators
            abort(400)
        opened_on = request.form.get("revision", "0")
        if not request.form.get("add"):
            answers = _convert(plain, form, instrument, errors)
            for repeat in repeats:
                questions = [c for c in repeat.children if isinstance(c, Question)]
                rows = []
                for i, entry in enumerate(entries[repeat.name]):
                    if not any(raw_value(entry, q) for q in questions):
                        continue  # an entry left empty is no entry
                    row = _convert(questions, entry, instrument, errors, prefix=f"{repeat.name}-{i}-")
                    if row:
                        rows.append(row)
                answers[repeat.name] = rows
            today = utcnow().astimezone(ZoneInfo(JAPAN)).date()
            if not errors:
                for key, issue in check_debrief(instrument, answers, today=today).items():
                    errors[_field_key(key)] = (
                        _issue_text(issue.code) if not issue.message else instrument.text(issue.message, language)
                    )
            if errors:
                status = 422
            else:
                try:
                    save_debrief(
                        session=session,
                        instrument=instrument,
                        version_id=version.id or 0,
                        participant=participant,
                        booking=booking,
                        answers=engine.prune_irrelevant(instrument, answers, today),
                        user=current_user,
                        now=utcnow(),
                        expected_revision=int(opened_on) if opened_on.isdigit() else -1,
                    )
                except DebriefConflict:
                    status = 409
                    revision = revision_of(
                        debrief_of(session=session, participant_id=participant.id or 0, instrument_id=instrument.id)
                    )
                else:
                    flash(_("The debrief is saved; the career records are being updated."), "success")
                    return redirect(back)
        else:
            revision = int(opened_on) if opened_on.isdigit() else revision
    else:
        values = saved or _prefill(booking, session.get(InterviewType, booking.interview_type_id))
        form = main_cls(formdata=None, data=form_values(plain, values))
        entries = {r.name: _entry_forms(instrument, r, counts[r.name], language, None) for r in repeats}
        for repeat in repeats:
            questions = [c for c in repeat.children if isinstance(c, Question)]
            for entry_form, row in zip(entries[repeat.name], saved.get(repeat.name) or [], strict=False):
                entry_form.process(formdata=None, data=form_values(questions, row))
    return render_template(
        "schedule/debrief.html",
        study=g.study,
        booking=booking,
        participant=participant,
        instrument=instrument,
        form=form,
        groups=_layout(instrument, form, entries, language),
        errors=errors,
        counts=counts,
        widget_of=widget_of,
        title=instrument.text(instrument.title, language),
        editing=existing is not None,
        revision=revision,
        conflict=status == 409,
    ), status


def _field_key(path: str) -> str:
    """``skill_events[1].event`` (engine, 1-based) -> ``skill_events-0-event`` (form prefix, 0-based)."""
    if "[" not in path:
        return path
    name, _, rest = path.partition("[")
    index, _, question = rest.partition("].")
    return f"{name}-{int(index) - 1}-{question}" if index.isdigit() else path


def _layout(instrument: Instrument, form: Form, entries: dict[str, list[Form]], language: str) -> list[dict[str, Any]]:
    """Sections of the page in instrument order: plain fields, or the entries of a repeat."""
    sections: list[dict[str, Any]] = []

    def visit(group: Group) -> None:
        fields = [
            getattr(form, f"q_{c.name}")
            for c in group.children
            if isinstance(c, Question) and hasattr(form, f"q_{c.name}")
        ]
        notes = [
            instrument.text(c.label, language) for c in group.children if isinstance(c, Question) and c.type == "note"
        ]
        sections.append({"label": instrument.text(group.label, language), "fields": fields, "notes": notes})
        for child in group.children:
            if isinstance(child, Group) and child.repeat:
                sections.append(
                    {
                        "label": instrument.text(child.label, language),
                        "repeat": child.name,
                        "entries": [list(e) for e in entries[child.name]],
                    }
                )
            elif isinstance(child, Group):
                visit(child)

    for group in instrument.groups:
        visit(group)
    return sections
