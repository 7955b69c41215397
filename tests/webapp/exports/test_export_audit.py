"""Every export's audit events name its job, written in the same transaction as the job (web, API, CLI)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from webapp.api import services as api_tokens
from webapp.exports import services
from webapp.models import AuditEvent, Job
from workers.tasks import exports as tasks

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _events(session: Session, study: Any) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.study_id == study.id,
                                                      AuditEvent.action.in_(("export.create", "export.pii")))  # type: ignore[attr-defined]
                             .order_by(AuditEvent.id)).all())  # type: ignore[arg-type]


def _export_jobs(session: Session, study: Any) -> list[Job]:
    return list(session.exec(select(Job).where(Job.study_id == study.id, Job.kind == "export")
                             .order_by(Job.id)).all())  # type: ignore[arg-type]


def test_web_export_audits_its_job(client: FlaskClient, session: Session, records_study: Any, make_user: Any,
                                   sign_in: Any) -> None:
    sign_in(make_user(study=records_study, role="owner"))
    url = f"/studies/{records_study.slug}/exports"
    match = _CSRF.search(client.get(url).text)
    assert match
    response = client.post(url, data={"csrf_token": match.group(1), "with_pii": "y",
                                      "reason": "re-contact for the second wave"})
    assert response.status_code == 303
    [job] = _export_jobs(session, records_study)
    events = _events(session, records_study)
    assert [e.action for e in events] == ["export.create", "export.pii"]
    assert {e.detail["job"] for e in events} == {job.id}
    assert events[0].detail["via"] == "web"
    assert events[1].detail["reason"] == "re-contact for the second wave"


def test_api_export_audits_its_job(client: FlaskClient, session: Session, records_study: Any,
                                   make_user: Any) -> None:
    owner = make_user(study=records_study, role="owner")
    _row, token = api_tokens.create_token(session=session, study=records_study, name="analysis", user=owner)
    response = client.post(f"/api/v1/studies/{records_study.slug}/exports",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 202
    job_id = response.get_json()["id"]
    [event] = _events(session, records_study)
    assert event.action == "export.create"
    assert event.detail["job"] == job_id
    assert event.detail["via"] == "api"
    assert event.actor.startswith("api:")


def test_cli_export_records_and_audits_a_job(app: Flask, session: Session, records_study: Any,
                                             tmp_path: Path) -> None:
    from webapp.exports.cli import export_command

    result = app.test_cli_runner().invoke(export_command, [
        "--study", records_study.slug, "--out", str(tmp_path), "--with-pii", "--reason", "re-contact for wave 2"])
    assert result.exit_code == 0, result.output
    [job] = _export_jobs(session, records_study)
    session.refresh(job)
    assert job.status == "done"
    assert job.attempts == 1
    assert job.max_attempts == 1
    assert job.done == job.total > 0
    [zip_path] = tmp_path.glob("*.zip")
    assert job.result["path"] == str(zip_path)
    assert services.downloadable(job) is None  # outside the exports folder: not served by the web app
    events = _events(session, records_study)
    assert [e.action for e in events] == ["export.create", "export.pii"]
    assert {e.detail["job"] for e in events} == {job.id}
    assert all(e.actor.startswith("cli:") and e.detail["via"] == "cli" for e in events)


def test_job_and_audit_commit_together(session: Session, records_study: Any, make_user: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit that cannot be written takes the job with it: neither is committed."""
    owner = make_user(study=records_study, role="owner")

    def broken(**_kw: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "audit_export", broken)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        services.start_export(session=session, study=records_study, request=services.ExportRequest(),
                             actor=f"user:{owner.email}", user_id=owner.id)
    session.rollback()
    assert _export_jobs(session, records_study) == []
    assert _events(session, records_study) == []


def test_job_run_by_worker_keeps_its_audit(session: Session, records_study: Any, make_user: Any) -> None:
    owner = make_user(study=records_study, role="owner")
    job = services.start_export(session=session, study=records_study, request=services.ExportRequest(),
                               actor=f"user:{owner.email}", user_id=owner.id)
    assert job.id is not None
    tasks.build_export.run(job.id)
    session.refresh(job)
    assert job.status == "done", job.error
    [event] = _events(session, records_study)
    assert event.detail["job"] == job.id
