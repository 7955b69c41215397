"""Reading a study's records from the database into a bundle; the job; expiry; the CLI."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from tests.webapp.exports.conftest import insert_records
from webapp.exports import services
from webapp.models import AuditEvent, Job, utcnow
from workers.tasks import exports as tasks


def _csv(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(zf.read(name).decode())))


def test_bundle_from_database_only_has_the_study(session: Session, records_study: Any, make_study: Any,
                                                 tmp_path: Path) -> None:
    other = make_study()
    insert_records(session, other, {"participants": [], "episodes": []})
    result = services.build_study_bundle(session=session, study=records_study, out_dir=tmp_path,
                                        request=services.ExportRequest())
    zf = zipfile.ZipFile(result.path)
    people = _csv(zf, "participants.csv")
    assert [p["participant_code"] for p in people] == ["SIE-0001", "TI-0002"]
    assert people[0]["study"] == records_study.slug
    assert [(e["participant_code"], e["episode_no"]) for e in _csv(zf, "episodes.csv")] == [
        ("SIE-0001", "1"), ("TI-0002", "1"), ("TI-0002", "2"), ("TI-0002", "3")]
    assert "contacts.csv" not in zf.namelist()
    assert result.filename.startswith(f"{records_study.slug}-")


def test_pii_bundle_decrypts_contacts(session: Session, records_study: Any, tmp_path: Path) -> None:
    request = services.check_request(services.ExportRequest(with_pii=True, reason="re-contact for wave 2"),
                                    may_export_pii=True)
    result = services.build_study_bundle(session=session, study=records_study, out_dir=tmp_path, request=request)
    rows = _csv(zipfile.ZipFile(result.path), "contacts.csv")
    assert rows[0]["participant_code"] == "SIE-0001"
    assert rows[0]["email"] == "sie-0001@example.org"
    assert rows[0]["messaging_id"] == "'=x"


@pytest.mark.parametrize(("request_", "may", "message"), [
    (services.ExportRequest(with_pii=True, reason="because I want to know"), False, "only owners"),
    (services.ExportRequest(with_pii=True, reason="  short  "), True, "reason"),
    (services.ExportRequest(cleared=("participants.study",)), True, "unknown free-text"),
])
def test_check_request_refuses(request_: services.ExportRequest, may: bool, message: str) -> None:
    with pytest.raises(services.ExportRefused, match=message):
        services.check_request(request_, may_export_pii=may)


def test_de_identified_request_drops_reason() -> None:
    checked = services.check_request(services.ExportRequest(reason="ignored"), may_export_pii=True)
    assert checked.reason == ""


def test_job_builds_bundle_then_expires(app: Flask, session: Session, records_study: Any,
                                        make_user: Any) -> None:
    owner = make_user(study=records_study, role="owner")
    job = services.start_export(session=session, study=records_study,
                               request=services.ExportRequest(with_pii=True, reason="re-contact for wave 2"),
                               actor=f"user:{owner.email}", user_id=owner.id)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.study_id == records_study.id)).all()
    assert sorted(actions) == ["export.create", "export.pii"]
    tasks.build_export.run(job.id)
    session.refresh(job)
    assert job.status == "done", job.error
    assert job.done == job.total > 0
    path = Path(job.result["path"])
    assert path.is_file()
    assert path.parent.parent == services.exports_dir()
    assert job.result["size"] == path.stat().st_size
    assert job.result["filename"] == path.name
    assert job.expires_at is not None
    hours = app.config["KEIREKI"].export_ttl_hours
    assert abs((job.expires_at - utcnow()) - timedelta(hours=hours)) < timedelta(minutes=5)
    assert services.downloadable(job) == path.resolve()
    # Not yet expired: the sweeper leaves it.
    assert tasks.expire_exports.run() == 0
    assert path.is_file()
    job.expires_at = utcnow() - timedelta(seconds=1)
    session.add(job)
    session.commit()
    assert tasks.expire_exports.run() == 1
    session.refresh(job)
    assert not path.exists()
    # The deletion of a bundle with personal data is audited, like its creation.
    deleted = session.exec(select(AuditEvent).where(AuditEvent.action == "export.delete")).all()
    assert [(e.target, e.actor, e.detail["with_pii"], e.study_id) for e in deleted] == [
        (f"job:{job.id}", "system", True, records_study.id)]
    assert tasks.expire_exports.run() == 0  # once
    assert job.result["expired"] is True
    assert services.downloadable(job) is None


def test_job_of_a_missing_study_fails(session: Session) -> None:
    job = Job(kind="export", study_id=None, params={"task": services.EXPORT_TASK})
    session.add(job)
    session.commit()
    tasks.build_export.run(job.id)
    session.refresh(job)
    assert job.status == "failed"
    assert "no longer exists" in (job.error or "")


def test_cli_export(app: Flask, session: Session, records_study: Any, tmp_path: Path) -> None:
    from webapp.exports.cli import export_command

    runner = app.test_cli_runner()
    out = tmp_path / "out"
    result = runner.invoke(export_command, ["--study", records_study.slug, "--out", str(out), "--bom"])
    assert result.exit_code == 0, result.output
    [zip_path] = out.glob("*.zip")
    assert zipfile.ZipFile(zip_path).read("participants.csv").startswith(b"\xef\xbb\xbf")
    refused = runner.invoke(export_command, ["--study", records_study.slug, "--out", str(out), "--with-pii"])
    assert refused.exit_code != 0
    assert "reason" in refused.output
    unknown = runner.invoke(export_command, ["--study", "nope", "--out", str(out)])
    assert unknown.exit_code != 0
    pii = runner.invoke(export_command, ["--study", records_study.slug, "--out", str(tmp_path / "pii"),
                                         "--with-pii", "--reason", "re-contact for wave 2"])
    assert pii.exit_code == 0, pii.output
    events = session.execute(sa.select(AuditEvent.action, AuditEvent.actor)
                             .where(AuditEvent.study_id == records_study.id)).all()
    assert ("export.pii", events[-1][1]) in events
    assert events[-1][1].startswith("cli:")


def test_start_export_survives_an_unreachable_broker(session: Session, records_study: Any, make_user: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from kombu.exceptions import OperationalError

    def refuse(job: Job) -> None:
        raise OperationalError("broker down")

    monkeypatch.setattr("workers.jobs.send", refuse)
    owner = make_user(study=records_study, role="owner")
    job = services.start_export(session=session, study=records_study, request=services.ExportRequest(),
                               actor=f"user:{owner.email}", user_id=owner.id)
    assert job.id is not None
    assert job.status == "queued"
    assert job.lease_until is not None  # the sweeper re-sends it when the lease runs out
