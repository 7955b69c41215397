"""The interviewer's debrief page: the study's debrief instrument as one page, its skill events as entries.

Posted answers go through the one page service (:func:`webapp.forms.page_service.apply_page`: normalise,
validate) and its error table (:mod:`webapp.forms.messages`), like a participant's page. The career
episode of a skill event (the question recorded as ``skill_events.episode_no``) is chosen from that
participant's own episodes, drawn beside the form as their timeline; any other number is refused
(while the participant has no career record yet, the number is kept and the records' rebuild flags it
``skill_event_episode_missing`` when it names no episode).

The route is ``webapp.schedule.routes.debrief``; storing is :func:`webapp.schedule.services.debrief.save_debrief`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.form import Form

from instruments import engine
from instruments.model import Choice, Group, Instrument, Question
from webapp.db import db_session
from webapp.forms import build_form_class, form_values, messages, page_service, raw_value, widget_of
from webapp.models import Booking, InstrumentVersion, InterviewType, Participant, Response, utcnow
from webapp.schedule.services.debrief import (
    DebriefConflict,
    check_debrief,
    debrief_of,
    may_edit,
    revision_of,
    save_debrief,
)
from webapp.schedule.services.messages import JAPAN
from webapp.services import careers
from webapp.services.studies import current_version, instrument_of

MAX_ENTRIES = 40
#: The question whose answer is a career episode's number.
EPISODE_RECORD = "skill_events.episode_no"


@dataclass
class _Page:
    """One debrief page request: what it is about and what the page shows."""

    booking: Booking
    language: str
    instrument: Instrument
    version: InstrumentVersion
    participant: Participant
    existing: Response | None
    episodes: list[dict[str, Any]]  #: the participant's ``rec_episodes`` rows, by number
    plain: list[Question] = field(default_factory=list)
    repeats: list[Group] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def numbers(self) -> set[int]:
        return {int(e["episode_no"]) for e in self.episodes if e.get("episode_no") is not None}


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


def _entry_questions(repeat: Group) -> list[Question]:
    return [c for c in repeat.children if isinstance(c, Question)]


def _episode_label(row: dict[str, Any], labels: dict[str, dict[str, str]]) -> str:
    kind = labels.get("episode_kind", {}).get(row.get("kind") or "", row.get("kind") or "")
    status = labels.get("residence_status", {}).get(row.get("residence_status") or "", "")
    period = f"{row.get('start') or '?'} – {row.get('end') or ('…' if row.get('ongoing') else '?')}"
    return " · ".join(p for p in (f"#{row.get('episode_no')}", kind, period, status) if p)


def _entry_forms(page: _Page, repeat: Group, formdata: Any, labels: dict[str, dict[str, str]]) -> list[Form]:
    """The forms of a repeat's entries; the episode question is a list of the participant's episodes."""
    questions, choices = [], {}
    for question in _entry_questions(repeat):
        if question.record == EPISODE_RECORD and page.episodes:
            choices[question.name] = tuple(
                Choice(name=str(e["episode_no"]), label={page.language: _episode_label(e, labels)})
                for e in page.episodes
            )
            question = dataclasses.replace(question, type="select_one", appearance="minimal", choices="_episodes")
        questions.append(question)
    cls = build_form_class(
        instrument=page.instrument, questions=questions, language=page.language, choices=choices, base=Form
    )
    return [cls(formdata=formdata, prefix=f"{repeat.name}-{i}-") for i in range(page.counts[repeat.name])]


def _errors_of(page: _Page, outcome: page_service.PageOutcome, prefix: str = "") -> None:
    for key, error in outcome.errors.items():
        page.errors[prefix + key] = messages.message(error, instrument=page.instrument, language=page.language)


def _episode_refused(page: _Page, repeat: Group, row: dict[str, Any], prefix: str) -> None:
    """A skill event's episode must be one of this participant's (when they have a career record)."""
    for question in _entry_questions(repeat):
        number = row.get(question.name)
        if question.record == EPISODE_RECORD and page.episodes and number is not None and number not in page.numbers:
            page.errors[prefix + question.name] = str(messages.ERROR_MESSAGES["episode"])


def _read(page: _Page, form: Form, entries: dict[str, list[Form]], today: date) -> dict[str, Any]:
    """The posted debrief through the page service: the plain questions, then each entry filled in."""
    group = Group(name="_debrief", children=tuple(page.plain))
    raw = {q.name: raw_value(form, q) for q in page.plain}
    outcome = page_service.apply_page(
        instrument=page.instrument, group=group, raw=raw, answers={}, today=today, language=page.language
    )
    _errors_of(page, outcome)
    answers = outcome.answers
    for repeat in page.repeats:
        questions = _entry_questions(repeat)
        rows: list[dict[str, Any]] = []
        for i, entry in enumerate(entries[repeat.name]):
            raw = {q.name: raw_value(entry, q) for q in questions}
            if not any(raw.values()):
                continue  # an entry left empty is no entry
            done = page_service.apply_page(
                instrument=page.instrument, group=repeat, raw=raw, answers={**answers, repeat.name: rows},
                entry=(repeat.name, len(rows)), today=today, language=page.language, complete=False,
            )
            _errors_of(page, done, prefix=f"{repeat.name}-{i}-")
            row = done.answers[repeat.name][len(rows)]
            _episode_refused(page, repeat, row, f"{repeat.name}-{i}-")
            if row:
                rows.append(row)
        answers[repeat.name] = rows
    if not page.errors:
        for key, issue in check_debrief(page.instrument, answers, today=today).items():
            error = {"code": issue.code, "message": issue.message, "params": issue.params}
            page.errors[_field_key(key)] = messages.message(error, instrument=page.instrument, language=page.language)
    return answers


def _load(booking: Booking, language: str) -> _Page:
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
    existing = debrief_of(session=session, participant_id=participant.id or 0, instrument_id=instrument.id)
    episodes = careers.episodes_of(session=session, participant=participant)
    page = _Page(booking, language, instrument, version, participant, existing, episodes)
    page.plain = [q for group in instrument.groups for q in _plain(group)]
    page.repeats = _repeats(instrument)
    saved = existing.answers if existing is not None else {}
    for repeat in page.repeats:
        default = str(max(1, len(saved.get(repeat.name) or [])))
        value = request.form.get(f"count-{repeat.name}", default)
        page.counts[repeat.name] = min(int(value), MAX_ENTRIES) if value.isascii() and value.isdigit() else 1
        if request.form.get("add") == repeat.name:
            page.counts[repeat.name] = min(page.counts[repeat.name] + 1, MAX_ENTRIES)
    return page


def _save(page: _Page, answers: dict[str, Any], today: date, opened_on: str) -> bool:
    """Save the checked debrief; False when someone saved a newer version meanwhile."""
    try:
        save_debrief(
            session=db_session(),
            instrument=page.instrument,
            version_id=page.version.id or 0,
            participant=page.participant,
            booking=page.booking,
            answers=engine.prune_irrelevant(page.instrument, answers, today),
            user=current_user,
            now=utcnow(),
            expected_revision=int(opened_on) if opened_on.isascii() and opened_on.isdigit() else -1,
        )
    except DebriefConflict:
        return False
    return True


def debrief_page(*, booking: Booking, language: str) -> Any:
    """The debrief page of ``booking`` (a request of the current study): show, check and save it.

    Called by the view ``webapp.schedule.routes.debrief.debrief``, which finds the booking the viewer
    may see. GET: the saved or prefilled answers; POST: through the page service, then saved; returns
    the rendered page with its status, or a redirect."""
    page = _load(booking, language)
    back = url_for("schedule.interview", study=g.study.slug, booking_id=booking.id)
    existing = page.existing
    if existing is not None and not may_edit(response=existing, booking=booking, user_id=current_user.id, role=g.role):
        if request.method == "POST":
            abort(403)
        flash(_("The debrief is saved; only its interviewer or an owner can change it."), "success")
        return redirect(back)
    labels = careers.labels_for(session=db_session(), study=g.study, language=language)
    main_cls = build_form_class(instrument=page.instrument, questions=page.plain, language=language)
    status, revision = 200, revision_of(existing)
    if request.method == "POST":
        form = main_cls()
        entries = {r.name: _entry_forms(page, r, request.form, labels) for r in page.repeats}
        if not form.validate():  # only the CSRF token has validators
            abort(400)
        opened_on = request.form.get("revision", "0")
        if request.form.get("add"):
            revision = int(opened_on) if opened_on.isascii() and opened_on.isdigit() else revision
        else:
            today = utcnow().astimezone(ZoneInfo(JAPAN)).date()
            answers = _read(page, form, entries, today)
            if page.errors:
                status = 422
            elif _save(page, answers, today, opened_on):
                flash(_("The debrief is saved; the career records are being updated."), "success")
                return redirect(back)
            else:
                status = 409
                revision = revision_of(
                    debrief_of(session=db_session(), participant_id=page.participant.id or 0,
                               instrument_id=page.instrument.id)
                )
    else:
        form, entries = _prefilled(page, main_cls, labels)
    return _render(page, form, entries, labels, status=status, revision=revision)


def _prefilled(
    page: _Page, main_cls: type[Form], labels: dict[str, dict[str, str]]
) -> tuple[Form, dict[str, list[Form]]]:
    saved = page.existing.answers if page.existing is not None else {}
    values = saved or _prefill(page.booking, db_session().get(InterviewType, page.booking.interview_type_id))
    form = main_cls(formdata=None, data=form_values(page.plain, values))
    entries = {r.name: _entry_forms(page, r, None, labels) for r in page.repeats}
    for repeat in page.repeats:
        for entry_form, row in zip(entries[repeat.name], saved.get(repeat.name) or [], strict=False):
            entry_form.process(formdata=None, data=form_values(_entry_questions(repeat), row))
    return form, entries


def _render(page: _Page, form: Form, entries: dict[str, list[Form]], labels: dict[str, dict[str, str]], *,
            status: int, revision: int) -> Any:
    return render_template(
        "schedule/debrief.html",
        study=g.study,
        booking=page.booking,
        participant=page.participant,
        instrument=page.instrument,
        form=form,
        groups=_layout(page.instrument, form, entries, page.language),
        errors=page.errors,
        counts=page.counts,
        widget_of=widget_of,
        title=page.instrument.text(page.instrument.title, page.language),
        editing=page.existing is not None,
        revision=revision,
        conflict=status == 409,
        episodes=page.episodes,
        labels=labels,
        timeline=careers.career_timeline(episodes=page.episodes, labels=labels, today=utcnow().date()),
    ), status


def _field_key(path: str) -> str:
    """``skill_events[1].event`` (engine, 1-based) -> ``skill_events-0-event`` (form prefix, 0-based)."""
    if "[" not in path:
        return path
    name, _, rest = path.partition("[")
    index, _, question = rest.partition("].")
    return f"{name}-{int(index) - 1}-{question}" if index.isascii() and index.isdigit() else path


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
