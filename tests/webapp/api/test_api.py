"""The JSON API: tokens, study scoping, paging, export jobs, errors as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from webapp.api import services as api_tokens
from webapp.crypto import hash_token
from webapp.db import db_session
from webapp.models import ApiToken, AuditEvent, Job, utcnow
from workers.tasks import exports as tasks


def test_openapi_document_is_public_and_3_1(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert "/api/v1/studies/{study}/records/{table}" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer kei_nope", "Basic abc", "Bearer " + "x" * 300])
def test_missing_or_bad_token_is_401_json(client: FlaskClient, records_study: Any, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/studies", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_sees_only_its_study(client: FlaskClient, records_study: Any, make_study: Any,
                                   bearer: dict[str, str], session: Session) -> None:
    other = make_study()
    body = client.get("/api/v1/studies", headers=bearer).get_json()
    assert [s["slug"] for s in body["studies"]] == [records_study.slug]
    for path in (f"/api/v1/studies/{other.slug}/participants", f"/api/v1/studies/{other.slug}/records/episodes",
                 "/api/v1/studies/nope/participants"):
        response = client.get(path, headers=bearer)
        assert response.status_code == 404
        assert response.get_json()["error"]["status"] == 404
    row = session.exec(select(ApiToken).where(ApiToken.study_id == records_study.id)).one()
    assert row.last_used_at is not None
    assert row.token_hash == hash_token(bearer["Authorization"].split()[1])


def test_participants_pseudonymous_and_paged(client: FlaskClient, records_study: Any,
                                             bearer: dict[str, str]) -> None:
    url = f"/api/v1/studies/{records_study.slug}/participants"
    body = client.get(url, headers=bearer, query_string={"per_page": 1}).get_json()
    assert body["total"] == 2
    assert body["pages"] == 2
    assert [p["code"] for p in body["items"]] == ["SIE-0001"]
    assert set(body["items"][0]) == {"code", "participant_type", "status", "form_language", "channel", "created_at"}
    second = client.get(url, headers=bearer, query_string={"per_page": 1, "page": 2}).get_json()
    assert [p["code"] for p in second["items"]] == ["TI-0002"]
    assert client.get(url, headers=bearer, query_string={"page": 3, "per_page": 1}).get_json()["items"] == []


@pytest.mark.parametrize("query", [{"per_page": 1001}, {"per_page": 0}, {"page": 0}, {"page": "x"},
                                   {"per_page": "1e3"}])
def test_bad_paging_is_400(client: FlaskClient, records_study: Any, bearer: dict[str, str], query: dict) -> None:
    response = client.get(f"/api/v1/studies/{records_study.slug}/records/episodes", headers=bearer,
                          query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_records_are_de_identified_and_stably_ordered(client: FlaskClient, records_study: Any,
                                                      bearer: dict[str, str]) -> None:
    url = f"/api/v1/studies/{records_study.slug}/records/episodes"
    body = client.get(url, headers=bearer).get_json()
    assert [(r["participant_code"], r["episode_no"]) for r in body["items"]] == [
        ("SIE-0001", 1), ("TI-0002", 1), ("TI-0002", 2), ("TI-0002", 3)]
    assert "job_title" not in body["items"][0]
    assert "reason_left" not in body["items"][0]
    people = client.get(f"/api/v1/studies/{records_study.slug}/records/participants", headers=bearer).get_json()
    assert people["items"][0]["consented_at"] == "2026-04-02T09:30:00Z"
    assert client.get(f"/api/v1/studies/{records_study.slug}/records/nope", headers=bearer).status_code == 404


def test_revoked_token_is_refused(client: FlaskClient, records_study: Any, owner: Any, session: Session,
                                  bearer: dict[str, str]) -> None:
    row = session.exec(select(ApiToken).where(ApiToken.study_id == records_study.id)).one()
    assert row.id is not None
    api_tokens.revoke_token(session=session, study=records_study, token_id=row.id, user=owner)
    assert client.get("/api/v1/studies", headers=bearer).status_code == 401


def test_api_export_start_poll_download(client: FlaskClient, records_study: Any, bearer: dict[str, str],
                                        session: Session) -> None:
    url = f"/api/v1/studies/{records_study.slug}/exports"
    response = client.post(url, headers=bearer)
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "queued"
    assert job["with_pii"] is False
    assert response.headers["Location"].endswith(f"{url}/{job['id']}")
    assert client.get(f"{url}/{job['id']}/download", headers=bearer).status_code == 404
    tasks.build_export.run(job["id"])
    polled = client.get(f"{url}/{job['id']}", headers=bearer).get_json()
    assert polled["status"] == "done"
    assert polled["download_url"] == f"{url}/{job['id']}/download"
    with client.get(polled["download_url"], headers=bearer) as download:
        assert download.status_code == 200
        assert download.data[:2] == b"PK"
    actions = session.exec(select(AuditEvent.action, AuditEvent.actor)
                           .where(AuditEvent.study_id == records_study.id)).all()
    assert ("export.create", f"api:{bearer['Authorization'].split()[1][:12]}") in actions
    assert "export.download" in [a for a, _ in actions]


def test_api_never_serves_pii_bundles(client: FlaskClient, records_study: Any, bearer: dict[str, str]) -> None:
    requests_session = db_session()
    job = Job(kind="export", study_id=records_study.id, status="done",
              params={"task": "keireki.build_export", "with_pii": True}, expires_at=utcnow() + timedelta(hours=1))
    requests_session.add(job)
    requests_session.commit()
    url = f"/api/v1/studies/{records_study.slug}/exports/{job.id}"
    assert client.get(url, headers=bearer).status_code == 404
    assert client.get(f"{url}/download", headers=bearer).status_code == 404


def test_api_post_needs_no_csrf_but_wrong_method_is_json(client: FlaskClient, records_study: Any,
                                                         bearer: dict[str, str]) -> None:
    response = client.delete(f"/api/v1/studies/{records_study.slug}/exports", headers=bearer)
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405
    assert client.get("/api/v1/nothing-here").get_json()["error"]["status"] == 404


def test_api_is_rate_limited_per_token(client: FlaskClient, records_study: Any, bearer: dict[str, str]) -> None:
    response = client.get("/api/v1/studies", headers=bearer)
    assert response.headers["X-RateLimit-Limit"] == "600"
    assert int(response.headers["X-RateLimit-Remaining"]) < 600


def test_huge_ids_are_404_not_500(client: FlaskClient, records_study: Any, bearer: dict[str, str]) -> None:
    url = f"/api/v1/studies/{records_study.slug}/exports/{2**70}"
    assert client.get(url, headers=bearer).status_code == 404
    assert client.get(f"{url}/download", headers=bearer).status_code == 404
