"""Owners create and revoke API tokens; a token is shown once, only its SHA-256 is stored; all audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from webapp.api import services as api_tokens
from webapp.crypto import hash_token
from webapp.db import db_session
from webapp.models import ApiToken, AuditEvent

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TOKEN = re.compile(r'id="new-token"[^>]*value="(kei_[^"]+)"')


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(("role", "code"), [("viewer", 403), ("interviewer", 403), ("researcher", 403),
                                            ("owner", 200)])
def test_token_page_is_for_owners(client: FlaskClient, records_study: Any, make_user: Any, sign_in: Any,
                                  role: str, code: int) -> None:
    sign_in(make_user(study=records_study, role=role))
    assert client.get(f"/studies/{records_study.slug}/api-tokens").status_code == code


def test_create_show_once_use_and_revoke(client: FlaskClient, session: Session, records_study: Any,
                                         owner: Any, sign_in: Any) -> None:
    sign_in(owner)
    url = f"/studies/{records_study.slug}/api-tokens"
    response = client.post(url, data={"csrf_token": _csrf(client.get(url).text), "name": "R scripts"})
    assert response.status_code == 303
    page = client.get(url).text
    match = _TOKEN.search(page)
    assert match
    token = match.group(1)
    assert _TOKEN.search(client.get(url).text) is None  # shown once
    row = session.exec(select(ApiToken).where(ApiToken.study_id == records_study.id)).one()
    assert row.token_hash == hash_token(token)
    assert token not in str(row.model_dump())
    assert row.prefix == token[:12]
    assert client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    page = client.get(url).text
    revoked = client.post(f"{url}/{row.id}/revoke", data={"csrf_token": _csrf(page)})
    assert revoked.status_code == 303
    assert client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    actions = sorted(session.exec(select(AuditEvent.action).where(AuditEvent.study_id == records_study.id)).all())
    assert actions == ["token.create", "token.revoke"]


def test_create_needs_a_name_and_csrf(client: FlaskClient, session: Session, records_study: Any, owner: Any,
                                      sign_in: Any) -> None:
    sign_in(owner)
    url = f"/studies/{records_study.slug}/api-tokens"
    response = client.post(url, data={"csrf_token": _csrf(client.get(url).text), "name": "  "})
    assert response.status_code == 400
    assert 'id="name-error" role="alert"' in response.text
    assert client.post(url, data={"name": "no csrf"}).status_code == 400
    assert session.exec(select(ApiToken).where(ApiToken.study_id == records_study.id)).all() == []


def test_revoke_token_of_another_study_is_404(client: FlaskClient, session: Session, records_study: Any,
                                              make_study: Any, owner: Any, sign_in: Any) -> None:
    other = make_study()
    row, _token = api_tokens.create_token(session=session, study=other, name="theirs", user=owner)
    sign_in(owner)
    url = f"/studies/{records_study.slug}/api-tokens"
    response = client.post(f"{url}/{row.id}/revoke", data={"csrf_token": _csrf(client.get(url).text)})
    assert response.status_code == 404
    stored = db_session().get(ApiToken, row.id, populate_existing=True)
    assert stored is not None
    assert stored.revoked_at is None
