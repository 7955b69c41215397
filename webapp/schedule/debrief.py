"""The interviewer's debrief of an interview: the study's debrief instrument as one page.

Fields come from the shared form builder (:mod:`webapp.forms`); answers are converted and checked by
``instruments.engine`` like a participant's. A repeat group (the coded skill events) shows its entries
with an "add an entry" button. The result is stored as a ``Response`` of the participant with
``submitted_by`` = the interviewer, then the career-records conversion is queued.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select
from wtforms.form import Form

from instruments import engine
from instruments.errors import AnswerError
from instruments.model import Group, Instrument, Question
from webapp.auth.roles import study_view
from webapp.db import db_session
from webapp.forms import build_form_class, form_values, raw_value, widget_of
from webapp.models import Booking, InterviewType, Participant, Response, utcnow
from webapp.schedule import bp
from webapp.schedule.messages import JAPAN
from webapp.schedule.research import _booking, researcher_language
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


@bp.route("/studies/<study>/schedule/interviews/<int:booking_id>/debrief", methods=["GET", "POST"], endpoint="debrief")
@study_view("interview")
def debrief_page(study: str, booking_id: int) -> Any:
    """Fill in the debrief for the interview's participant (once; the response is immutable)."""
    language = researcher_language()
    session = db_session()
    booking = _booking(booking_id)
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
    existing = session.exec(
        select(Response).where(Response.participant_id == participant.id, Response.instrument_id == instrument.id)
    ).first()
    if existing is not None:
        flash(_("The debrief of this participant is already saved."), "success")
        return redirect(back)
    plain = [q for group in instrument.groups for q in _plain(group)]
    main_cls = build_form_class(instrument=instrument, questions=plain, language=language)
    repeats = _repeats(instrument)
    counts = {}
    for repeat in repeats:
        value = request.form.get(f"count-{repeat.name}", "1")
        counts[repeat.name] = min(int(value), MAX_ENTRIES) if value.isdigit() else 1
        if request.form.get("add") == repeat.name:
            counts[repeat.name] = min(counts[repeat.name] + 1, MAX_ENTRIES)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = main_cls()
        entries = {r.name: _entry_forms(instrument, r, counts[r.name], language, request.form) for r in repeats}
        if not form.validate():  # only the CSRF token has validators
            abort(400)
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
                for group in instrument.groups:
                    for key, issue in engine.validate_page(instrument, group, answers, today=today).items():
                        errors[_field_key(key)] = (
                            _issue_text(issue.code) if not issue.message else instrument.text(issue.message, language)
                        )
            if not errors:
                _save(
                    instrument=instrument,
                    version_id=version.id or 0,
                    participant=participant,
                    booking=booking,
                    answers=engine.prune_irrelevant(instrument, answers, today),
                )
                flash(_("The debrief is saved; the career records are being updated."), "success")
                return redirect(back)
    else:
        form = main_cls(
            formdata=None,
            data=form_values(plain, _prefill(booking, session.get(InterviewType, booking.interview_type_id))),
        )
        entries = {r.name: _entry_forms(instrument, r, counts[r.name], language, None) for r in repeats}
    status = 422 if errors else 200
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


def _save(
    *, instrument: Instrument, version_id: int, participant: Participant, booking: Booking, answers: dict[str, Any]
) -> None:
    from workers.jobs import enqueue_conversion

    session = db_session()
    session.add(
        Response(
            participant_id=participant.id or 0,
            instrument_id=instrument.id,
            instrument_version_id=version_id,
            answers=answers,
            submitted_by=current_user.id,
            meta={"source": "debrief", "booking": booking.uid},
            submitted_at=utcnow(),
        )
    )
    session.commit()
    try:
        enqueue_conversion(session=session, participant_id=participant.id or 0, study_id=g.study.id)
    except Exception:  # the job row is committed first; beat's sweeper re-sends a message that failed
        log.exception("conversion of participant %s could not be queued now", participant.id)
