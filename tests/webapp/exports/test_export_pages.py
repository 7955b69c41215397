"""The exports pages: roles, starting (de-identified or with personal data), progress, download, expiry."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from webapp.db import db_session
from webapp.exports import services
from webapp.models import AuditEvent, Job, utcnow
from workers.tasks import exports as tasks

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(client: FlaskClient, url: str) -> str:
    match = _CSRF.search(client.get(url).text)
    assert match
    return match.group(1)


def _jobs(session: Session, study: Any) -> list[Job]:
    return list(session.exec(select(Job).where(Job.study_id == study.id, Job.kind == "export")).all())


def _actions(session: Session, study: Any) -> list[str]:
    return sorted(session.exec(select(AuditEvent.action).where(AuditEvent.study_id == study.id)).all())


@pytest.mark.parametrize(("role", "code"), [("viewer", 403), ("interviewer", 403), ("researcher", 200),
                                            ("owner", 200)])
def test_page_by_role(client: FlaskClient, records_study: Any, make_user: Any, sign_in: Any, role: str,
                      code: int) -> None:
    sign_in(make_user(study=records_study, role=role))
    response = client.get(f"/studies/{records_study.slug}/exports")
    assert response.status_code == code
    if code == 200:
        html = response.text
        assert ('name="with_pii"' in html) is (role == "owner")
        assert "<script>" not in html
        assert 'src="/exports-static/exports.js?v=' in html


def test_anonymous_is_sent_to_sign_in(client: FlaskClient, records_study: Any) -> None:
    response = client.get(f"/studies/{records_study.slug}/exports")
    assert response.status_code == 302
    assert "/auth/signin" in response.headers["Location"]


def test_other_study(client: FlaskClient, records_study: Any, make_study: Any, make_user: Any,
                     sign_in: Any) -> None:
    sign_in(make_user(study=make_study(), role="owner"))
    assert client.get(f"/studies/{records_study.slug}/exports").status_code == 403
    assert client.get("/studies/no-such-study/exports").status_code == 404


def test_researcher_starts_de_identified_export(client: FlaskClient, session: Session, records_study: Any,
                                                make_user: Any, sign_in: Any) -> None:
    sign_in(make_user(study=records_study, role="researcher"))
    url = f"/studies/{records_study.slug}/exports"
    response = client.post(url, data={"csrf_token": _csrf(client, url), "bom": "y",
                                      "cleared": ["episodes.job_title"]})
    assert response.status_code == 303
    [job] = _jobs(session, records_study)
    assert job.params["with_pii"] is False
    assert job.params["bom"] is True
    assert job.params["cleared"] == ["episodes.job_title"]
    assert _actions(session, records_study) == ["export.create"]
    page = client.get(url).text
    assert f'data-status-url="/studies/{records_study.slug}/exports/{job.id}/status"' in page
    assert "<progress" in page


def test_researcher_cannot_export_personal_data(client: FlaskClient, session: Session, records_study: Any,
                                                make_user: Any, sign_in: Any) -> None:
    sign_in(make_user(study=records_study, role="researcher"))
    url = f"/studies/{records_study.slug}/exports"
    response = client.post(url, data={"csrf_token": _csrf(client, url), "with_pii": "y",
                                      "reason": "I would like to call them"})
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert _jobs(session, records_study) == []
    assert _actions(session, records_study) == []


@pytest.mark.parametrize("reason", ["", "short", "x" * 501])
def test_owner_needs_a_reason(client: FlaskClient, session: Session, records_study: Any, make_user: Any,
                              sign_in: Any, reason: str) -> None:
    sign_in(make_user(study=records_study, role="owner"))
    url = f"/studies/{records_study.slug}/exports"
    response = client.post(url, data={"csrf_token": _csrf(client, url), "with_pii": "y", "reason": reason})
    assert response.status_code == 400
    assert 'id="reason-error" role="alert"' in response.text
    assert 'aria-describedby="reason-help reason-error"' in response.text
    assert _jobs(session, records_study) == []


def test_post_without_csrf_changes_nothing(client: FlaskClient, session: Session, records_study: Any,
                                           make_user: Any, sign_in: Any) -> None:
    sign_in(make_user(study=records_study, role="owner"))
    response = client.post(f"/studies/{records_study.slug}/exports", data={})
    assert response.status_code == 400
    assert _jobs(session, records_study) == []


def test_owner_pii_export_progress_download_and_expiry(app: Any, client: FlaskClient, session: Session,
                                                       records_study: Any, make_user: Any,
                                                       sign_in: Any) -> None:
    owner = make_user(study=records_study, role="owner")
    researcher = make_user(study=records_study, role="researcher")
    sign_in(owner)
    url = f"/studies/{records_study.slug}/exports"
    response = client.post(url, data={"csrf_token": _csrf(client, url), "with_pii": "y",
                                      "reason": "Re-contact for the second wave"})
    assert response.status_code == 303
    [job] = _jobs(session, records_study)
    assert _actions(session, records_study) == ["export.create", "export.pii"]
    pii = session.exec(select(AuditEvent).where(AuditEvent.action == "export.pii")).one()
    assert pii.detail["reason"] == "Re-contact for the second wave"
    status_url = f"{url}/{job.id}/status"
    status = client.get(status_url).get_json()
    assert status["status"] == "queued"
    assert status["download_url"] is None
    assert client.get(f"{url}/{job.id}/download").status_code == 404

    tasks.build_export.run(job.id)
    status = client.get(status_url).get_json()
    assert status["status"] == "done"
    assert status["percent"] == 100
    assert status["download_url"] == f"{url}/{job.id}/download"
    session.refresh(job)
    with client.get(status["download_url"]) as download:
        assert download.status_code == 200
        assert download.mimetype == "application/zip"
        assert download.data[:2] == b"PK"
        assert job.result["filename"] in download.headers["Content-Disposition"]
    assert "export.download" in _actions(session, records_study)

    # A researcher may not see or fetch a bundle with personal data.
    other = app.test_client()
    sign_in(researcher, on=other)
    assert other.get(status_url).status_code == 403
    assert other.get(f"{url}/{job.id}/download").status_code == 403
    assert f"job-{job.id}" not in other.get(url).text

    sign_in(owner)
    requests_session = db_session()  # the requests' session: no interleaved savepoints
    stored = requests_session.get(Job, job.id)
    assert stored is not None
    stored.expires_at = utcnow() - timedelta(minutes=1)
    requests_session.add(stored)
    requests_session.commit()
    assert client.get(f"{url}/{job.id}/download").status_code == 404
    assert client.get(status_url).get_json()["expired"] is True


def test_status_of_unknown_or_foreign_job(client: FlaskClient, session: Session, records_study: Any,
                                          make_study: Any, make_user: Any, sign_in: Any) -> None:
    other = make_study()
    job = Job(kind="export", study_id=other.id, params={"task": services.EXPORT_TASK})
    session.add(job)
    session.commit()
    sign_in(make_user(study=records_study, role="owner"))
    url = f"/studies/{records_study.slug}/exports"
    assert client.get(f"{url}/{job.id}/status").status_code == 404
    assert client.get(f"{url}/{job.id}/download").status_code == 404
    assert client.get(f"{url}/999999/status").status_code == 404


def test_huge_job_id_is_404(client: FlaskClient, records_study: Any, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user(study=records_study, role="owner"))
    assert client.get(f"/studies/{records_study.slug}/exports/{2**70}/status").status_code == 404


def test_unknown_cleared_column_is_refused(client: FlaskClient, session: Session, records_study: Any,
                                           make_user: Any, sign_in: Any) -> None:
    sign_in(make_user(study=records_study, role="researcher"))
    url = f"/studies/{records_study.slug}/exports"
    response = client.post(url, data={"csrf_token": _csrf(client, url), "cleared": ["participants.study"]})
    assert response.status_code == 400
    assert 'class="error" role="alert"' in response.text
    assert _jobs(session, records_study) == []
