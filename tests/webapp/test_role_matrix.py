"""Role × study × endpoint: nobody reaches anything outside their role, on any page with a ``<study>``.

Every rule of ``app.url_map`` with a ``study`` argument is walked, so other areas' pages are covered as
they appear. A page declares the permission it needs with ``webapp.auth.roles.study_view`` (read back from
the view's ``keireki_permission``). Participant-facing pages (``/s/...``) are public and left out; API
pages authenticate with tokens, so a signed-in session alone must not open them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.routing import Rule

from tests.webapp.auth.support import csrf_token, sign_in_client
from tests.webapp.research import factories as f
from webapp.auth.roles import PERMISSIONS
from webapp.coding.services import codebook as coding_codebook
from webapp.coding.services import transcripts as coding_sources
from webapp.models import ApiToken, Channel, Coding, DeliveryAttempt, Job, Study, utcnow
from webapp.security import CSP

KINDS = ("owner", "researcher", "interviewer", "viewer", "admin", "none")
#: Paths whose pages are for participants (no account): not part of the matrix.
PUBLIC_PREFIXES = ("/s/", "/i/")


@dataclass
class World:
    slug: str
    values: dict[str, Any]


def _world(session: Session, study: Study) -> World:
    person = f.participant(session, study, code=f"SIE-{uuid.uuid4().int % 10000:04d}", withdrawal_data="keep",
                           contact={"name": "N"})
    interviewer = f.user(session, study, "interviewer")
    booking = f.booking(session, person, interviewer, starts_at=utcnow() + timedelta(days=3))
    channel = Channel(study_id=study.id, code=f"c{uuid.uuid4().hex[:6]}", label="Channel")
    job = Job(study_id=study.id, kind="export", status="done", result={})
    token = ApiToken(study_id=study.id, name="t", prefix="kt_x", token_hash=uuid.uuid4().hex,
                     created_by=interviewer.id)
    # "Mark as sent" is checked for access only: a failed attempt (a manual one would add a contact view to the outbox)
    by_hand = DeliveryAttempt(booking_id=booking.id, channel="phone", purpose="confirmation", status="failed")
    session.add_all([channel, job, token, by_hand])
    session.flush()
    transcript = coding_sources.add(session=session, booking=booking, text="I: Hello\n\nP: Welding", name="t.txt",
                                    language="en", user=interviewer)
    code = coding_codebook.add(session=session, study=study, name=f"c{uuid.uuid4().hex[:6]}")
    coding = Coding(study_id=study.id, transcript_id=transcript.id, code_id=code.id, guid=str(uuid.uuid4()),
                    coder_id=interviewer.id, paragraph=1, start=0, end=5)
    session.add(coding)
    session.flush()
    return World(slug=study.slug, values={
        "transcript_id": transcript.id, "code_id": code.id, "coding_id": coding.id, "fmt": "csv",
        "action": "retire",
        "code": person.code, "channel_code": channel.code, "booking_id": booking.id,
        "type_id": booking.interview_type_id, "user_id": interviewer.id, "job_id": job.id, "token_id": token.id,
        "item_id": 1, "attempt_id": by_hand.id, "table": "episodes", "name": "missing.eml", "interviewer": interviewer,
    })


def _url(app: Flask, rule: Rule, world: World) -> str:
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        if arg == "study":
            values[arg] = world.slug
        elif arg == "code" and rule.endpoint.startswith("channels."):
            values[arg] = world.values["channel_code"]
        elif arg == "kind":
            values[arg] = "png" if rule.endpoint.startswith("channels.") else "rule"
        elif arg in world.values:
            values[arg] = world.values[arg]
        else:
            converter = rule._converters.get(arg)
            values[arg] = 1 if converter is not None and converter.__class__.__name__ == "IntegerConverter" \
                else "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def study_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules()
             if "study" in r.arguments and not r.rule.startswith(PUBLIC_PREFIXES)]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def _permission(app: Flask, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "keireki_permission", None)


def _methods(rule: Rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in (rule.methods or ())]


def _check_headers(response: Any, where: str) -> None:
    h = response.headers
    assert h.get("Content-Security-Policy") == CSP, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy") == "no-referrer", where
    if response.mimetype == "text/html":
        assert h.get("Cache-Control") == "no-store", where
        html = response.get_data(as_text=True)
        assert " style=" not in html, where
        assert "<script>" not in html, where
        assert "javascript:" not in html, where


@pytest.fixture
def worlds(app: Flask, session: Session, make_study: Any) -> tuple[World, World]:
    # The default Celery app is the one of the app created last (tests create apps with dead brokers on
    # purpose): pages that start jobs must send them through this app's broker.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    return _world(session, make_study()), _world(session, make_study())


def test_every_study_page_declares_its_permission(app: Flask) -> None:
    """A page of the researchers' side without a role check would be open to any signed-in user."""
    unchecked = [r.rule for r in study_rules(app)
                 if r.rule.startswith("/studies/") and _permission(app, r) is None]
    assert unchecked == []
    assert len(study_rules(app)) >= 6  # the research pages at least


def _matrix_user(session: Session, own: World, own_study: Study, kind: str) -> Any:
    if kind == "interviewer":
        return own.values["interviewer"]  # the interviewer of the booking: finer checks pass too
    if kind == "admin":
        return f.user(session, is_admin=True)
    if kind == "none":
        return f.user(session)
    return f.user(session, own_study, kind)


def _matrix_problem(app: Flask, rule: Any, response: Any, *, kind: str, role: str | None, permission: str | None,
                    is_own: bool) -> str | None:
    """What is wrong with one answer of the matrix, or None."""
    status = response.status_code
    if status >= 500:
        return "server error"
    if permission is None:  # token-authenticated API: a session alone opens nothing
        return "open without a token" if status < 400 else None
    allowed = kind == "admin" or (is_own and role is not None and permission in PERMISSIONS[role])
    if not allowed:
        return "should be refused" if status not in (403, 404) else None
    if status in (401, 403) and (
        rule.endpoint.startswith(("research.", "codebook."))
        and not getattr(app.view_functions[rule.endpoint], "keireki_object_check", False)
    ):
        return "should be allowed"
    if status == 302 and "/auth/signin" in response.headers.get("Location", ""):
        return "sent to sign in"
    return None


@pytest.mark.parametrize("kind", KINDS)
def test_role_matrix(app: Flask, client: FlaskClient, session: Session, worlds: tuple[World, World],
                     kind: str) -> None:
    own, other = worlds
    own_study = session.exec(select(Study).where(Study.slug == own.slug)).one()
    user = _matrix_user(session, own, own_study, kind)
    sign_in_client(app, client, user)
    token = csrf_token(client)
    role = "owner" if kind == "admin" else None if kind == "none" else kind
    problems: list[str] = []
    checked = 0
    for rule in study_rules(app):
        permission = _permission(app, rule)
        for world, is_own in ((own, True), (other, False)):
            url = _url(app, rule, world)
            for method in _methods(rule):
                response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
                where = f"{kind} {method} {url} ({rule.endpoint}, needs {permission}) -> {response.status_code}"
                checked += 1
                _check_headers(response, where)
                problem = _matrix_problem(app, rule, response, kind=kind, role=role, permission=permission,
                                          is_own=is_own)
                if problem:
                    problems.append(f"{where}: {problem}")
    assert problems == []
    assert checked >= 2 * len(study_rules(app))


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient,
                                                 worlds: tuple[World, World]) -> None:
    own, _ = worlds
    for rule in study_rules(app):
        if _permission(app, rule) is None or "GET" not in (rule.methods or ()):
            continue
        response = client.get(_url(app, rule, own))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/auth/signin"), rule.rule


@pytest.mark.parametrize("kind", ["owner", "researcher", "viewer", "none"])
def test_admin_pages_for_admins_only(app: Flask, client: FlaskClient, session: Session, make_study: Any,
                                     kind: str) -> None:
    study = make_study()
    user = f.user(session, study if kind != "none" else None, kind if kind != "none" else None)
    sign_in_client(app, client, user)
    token = csrf_token(client)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = _url(app, rule, World(slug=study.slug, values={"user_id": user.id}))
        for method in _methods(rule):
            response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            assert response.status_code == 403, (method, url)


@pytest.mark.parametrize("kind", KINDS)
def test_messages_pages_show_contacts_only_to_contact_roles(app: Flask, client: FlaskClient, session: Session,
                                                            worlds: tuple[World, World], kind: str) -> None:
    """The Messages pages (outbox list and each message): a participant's address, To: and all, only for the
    roles with ``view_contact``, each view audited as ``contact.view``; others see the code and ``p…@….org``."""
    from webapp.models import AuditEvent
    from webapp.services.mail import send_mail

    own, _ = worlds
    own_study = session.exec(select(Study).where(Study.slug == own.slug)).one()
    address = f"pham.{uuid.uuid4().hex[:8]}@example.org"
    token = uuid.uuid4().hex  # a participant's manage link: a bearer token
    sent = send_mail(to=address, subject="Your interview", body=f"See you. Manage: https://k.example/i/{token}",
                     study=own.slug,
                     about=(own.values["code"], "participant"), settings=app.config["KEIREKI"])
    assert sent.path is not None
    try:
        user = (f.user(session, is_admin=True) if kind == "admin" else f.user(session) if kind == "none"
                else own.values["interviewer"] if kind == "interviewer" else f.user(session, own_study, kind))
        sign_in_client(app, client, user)
        role = "owner" if kind == "admin" else None if kind == "none" else kind
        may_open = role is not None and "schedule" in PERMISSIONS[role]
        may_see = role is not None and "view_contact" in PERMISSIONS[role]
        pages = [client.get(f"/studies/{own.slug}/schedule/outbox"),
                 client.get(f"/studies/{own.slug}/schedule/outbox/{sent.path.name}")]
        for page in pages:
            if not may_open:
                assert page.status_code in (403, 404)
                continue
            assert page.status_code == 200
            assert own.values["code"] in page.text
            assert (address in page.text) is may_see
            if not may_see:
                assert "p…@….org" in page.text
            assert token not in page.text or (may_see and page is pages[1])
        if may_open:  # the message page's body: the manage link only for contact roles, cut to /i/… for others
            assert (token in pages[1].text) is may_see
            assert ("/i/…" in pages[1].text) is not may_see
        views = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.view",
                                                      AuditEvent.target == f"participant:{own.values['code']}",
                                                      AuditEvent.user_id == user.id)).all()
        assert len(views) == (2 if may_see else 0)
        assert all(address not in str(v.detail) for v in views)
    finally:
        sent.path.unlink(missing_ok=True)
