"""Views of the research area; each study page checks the role with ``study_view``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from webapp.auth.forms import role_choices
from webapp.auth.roles import PERMISSIONS, study_view
from webapp.auth.transcripts import may_code
from webapp.db import db_session
from webapp.extensions import current_language
from webapp.models import AuditEvent, Participant, Study, Transcript, utcnow
from webapp.research.forms import WithdrawForm
from webapp.research.services import dashboard, listing, profile
from webapp.research.services.labels import PARTICIPANT_TYPES, label
from webapp.services import audit, charts, contacts, uploads
from webapp.services.studies import study_title as title_in
from webapp.services.withdrawal import withdraw, withdrawal_choice

bp = Blueprint("research", __name__, template_folder="templates", static_folder="static",
               static_url_path="/research-static")

AUDIT_PER_PAGE = 100


def study_title(study: Study) -> str:
    """The study's title in the page's language."""
    return title_in(study, current_language())


#: Pages of other areas linked from the study menu when they exist: (endpoint, label).
STUDY_LINKS: tuple[tuple[str, Any], ...] = (
    ("schedule.agenda", _l("Interviews")), ("channels.list_channels", _l("Recruitment channels")),
    ("coding.index", _l("Coding")), ("exports.index", _l("Exports")), ("api_tokens.index", _l("API tokens")),
)


def study_links() -> list[tuple[str, str]]:
    """Links of the study menu to other areas' pages the signed-in role may open."""
    out = []
    for endpoint, text in STUDY_LINKS:
        view = current_app.view_functions.get(endpoint)
        if view is None:
            continue
        needed = getattr(view, "keireki_permission", None)
        if needed is None or _may(needed):
            out.append((endpoint, str(text)))
    return out


def role_name(role: str) -> str:
    return str(dict(role_choices()).get(role, role))


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"study_title": study_title, "study_links": study_links, "role_name": role_name,
            "role_permissions": lambda: PERMISSIONS.get(getattr(g, "role", "") or "", frozenset())}


def _may(permission: str) -> bool:
    return permission in PERMISSIONS.get(getattr(g, "role", "") or "", frozenset())


@bp.get("/studies")
@login_required
def studies() -> str:
    session = db_session()
    rows = dashboard.studies_of(session=session, user=current_user.user)
    counts = dashboard.participant_counts(session=session, study_ids=[s.id for s, _ in rows if s.id])
    return render_template("research/studies.html", rows=rows, counts=counts)


@bp.get("/studies/<study>/")
@study_view("view")
def overview(study: Study) -> str:
    session, s = db_session(), study
    by_type = dashboard.recruitment_by_type(session=session, study=s)
    by_channel = dashboard.recruitment_by_channel(session=session, study=s)
    type_chart = charts.bar_chart([
        charts.Bar(label=label(PARTICIPANT_TYPES, t.participant_type), value=t.counted, target=t.target)
        for t in by_type])
    channel_chart = charts.bar_chart([charts.Bar(label=c.label or _("No channel"), value=c.participants)
                                      for c in by_channel])
    return render_template(
        "research/overview.html", by_type=by_type, by_channel=by_channel, type_chart=type_chart,
        channel_chart=channel_chart, interviews=dashboard.interviews(session=session, study=s, now=utcnow()),
        flags=dashboard.open_quality_flags(session=session, study=s),
        jobs=dashboard.recent_jobs(session=session, study=s), statuses=dashboard.PARTICIPANT_STATUSES,
        job_summary=dashboard.job_summary(session=session, study=s))


@bp.get("/studies/<study>/participants")
@study_view("view")
def participants(study: Study) -> tuple[str, int]:
    session = db_session()
    opts = listing.options(session=session, study=study)
    filters = listing.parse_filters(request.args, opts)
    search_answers = _may("view_records")
    page = listing.list_participants(session=session, study=study, filters=filters, search_answers=search_answers)
    return render_template("research/participants.html", page=page, filters=filters, opts=opts,
                           search_answers=search_answers), 200


def _participant_or_404(*, session: Session, code: str) -> Participant:
    """The participant of the current study with this code; 404 when there is none."""
    person = profile.find_participant(session=session, study=g.study, code=code)
    if person is None:
        abort(404)
    return person


def _passage_link(transcript_id: int, paragraph: Any) -> str | None:
    """The coding page of a transcript at a paragraph, for a viewer who may open that transcript (None
    otherwise: an interviewer sees no link to an interview they did not conduct)."""
    if "coding.transcript" not in current_app.view_functions or not _may("code"):
        return None
    session = db_session()
    transcript = session.get(Transcript, transcript_id)
    if transcript is None or not may_code(session=session, user=current_user.user, transcript=transcript):
        return None
    return url_for("coding.transcript", study=g.study.slug, transcript_id=transcript_id, _anchor=f"p-{paragraph}")


@bp.get("/studies/<study>/participants/<code>")
@study_view("view")
def participant(study: Study, code: str) -> str:
    session, user = db_session(), current_user.user
    person = _participant_or_404(session=session, code=code)
    language = current_language()
    show_answers = profile.may_see_answers(session=session, participant=person, user=user)
    context: dict[str, Any] = {"person": person, "show_answers": show_answers,
                               "show_contact": contacts.may_see(session=session, participant=person, user_id=user.id,
                                                                permissions=PERMISSIONS[g.role]),
                               "bookings": profile.bookings(session=session, participant=person)}
    if show_answers:
        labels = profile.labels_for(session=session, study=study, language=language)
        episodes = profile.record_rows(session=session, participant=person, table="episodes",
                                       order=("episode_no",))
        context.update(
            labels=labels, episodes=episodes,
            responses=profile.responses(session=session, participant=person, language=language),
            timeline=profile.career_timeline(episodes=episodes, labels=labels, today=utcnow().date()),
            transitions=profile.record_rows(session=session, participant=person, table="transitions",
                                            order=("month", "from_episode")),
            skill_events=profile.record_rows(session=session, participant=person, table="skill_events",
                                             order=("event_no",)),
            flags=profile.record_rows(session=session, participant=person, table="quality_flags",
                                      order=("flag_no",)))
        context["markers"] = profile.coded_markers(
            session=session, participant=person, timeline=context["timeline"], skill_events=context["skill_events"],
            link=lambda transcript_id, paragraph: _passage_link(transcript_id, paragraph))
    if _may("withdraw") and person.status != "withdrawn":
        context["withdraw_form"] = WithdrawForm()
        context["withdrawal_data"] = withdrawal_choice(session=session, participant=person)
    channel = None
    if person.channel_id is not None:
        from webapp.models import Channel

        channel = session.get(Channel, person.channel_id)
    context["channel"] = channel
    return render_template("research/participant.html", **context)


@bp.get("/studies/<study>/participants/<code>/uploads/<key>")
@study_view("interview")  # then only those who may see the answers: view_records, or the assigned interviewer
def upload(study: Study, code: str, key: str) -> Response:
    """A file the participant uploaded, for those who may see their answers; audited as ``upload.view``."""
    session, user = db_session(), current_user.user
    person = _participant_or_404(session=session, code=code)
    if not profile.may_see_answers(session=session, participant=person, user=user):
        abort(403)
    stored = uploads.owned(session=session, participant_id=person.id, key=key)  # type: ignore[arg-type]
    if stored is None:
        abort(404)
    try:
        data = uploads.read(stored)
    except FileNotFoundError:
        abort(404)
    audit.record(session=session, action="upload.view", actor=audit.actor_of(current_user), study_id=study.id,
                 user_id=user.id, target=f"participant:{person.code}",
                 detail={"question": stored.question, "file": stored.key})
    session.commit()
    return Response(data, headers={"Content-Type": stored.media_type,
                                   "Content-Disposition": f'attachment; filename="{person.code}-{stored.key}"'})


@bp.get("/studies/<study>/participants/<code>/contact")
@study_view("interview")
def contact(study: Study, code: str) -> str:
    session, user = db_session(), current_user.user
    person = _participant_or_404(session=session, code=code)
    if not contacts.may_see(session=session, participant=person, user_id=user.id, permissions=PERMISSIONS[g.role]):
        abort(403)
    details = contacts.view(session=session, participant=person, user=user)
    session.commit()
    return render_template("research/contact.html", person=person, details=details, app_name=contacts.app_name)


contact.keireki_object_check = True  # type: ignore[attr-defined]


@bp.post("/studies/<study>/participants/<code>/withdraw")
@study_view("withdraw")
def record_withdrawal(study: Study, code: str) -> Response:
    session, user = db_session(), current_user.user
    person = _participant_or_404(session=session, code=code)
    form = WithdrawForm()
    if person.status == "withdrawn":
        flash(_("%(code)s has already withdrawn.", code=person.code), "info")
    elif form.validate_on_submit():
        withdraw(session=session, participant=person, actor=audit.actor_of(user), now=utcnow(),
                 user_id=user.id)
        session.commit()
        flash(_("The withdrawal of %(code)s is recorded.", code=person.code), "info")
    else:
        flash(_("Please tick the box to confirm the withdrawal."), "error")
    return redirect(url_for("research.participant", study=study.slug, code=person.code))


@bp.get("/studies/<study>/audit")
@study_view("audit")
def audit_log(study: Study) -> str:
    session = db_session()
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.study_id == study.id).distinct()
                           .order_by(AuditEvent.action)).all()
    action = request.args.get("action", "")
    where: list[Any] = [AuditEvent.study_id == study.id]
    if action in actions:
        where.append(AuditEvent.action == action)
    else:
        action = ""
    counted = sa.select(sa.func.count()).select_from(AuditEvent).where(*where)
    total = int(session.execute(counted).scalar_one())
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    page = min(listing.page_number(request.args.get("page"), high=10**9), pages)
    events = session.exec(select(AuditEvent).where(*where)
                          .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                          .offset((page - 1) * AUDIT_PER_PAGE).limit(AUDIT_PER_PAGE)).all()
    return render_template("research/audit.html", events=events, actions=actions, action=action, page=page,
                           pages=pages, total=total)
