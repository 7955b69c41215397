"""Issue 7's "done when", as a researcher lives it: ``keireki setup``, ``keireki demo seed`` and ``keireki serve``
(gunicorn, a Celery worker and beat on the embedded broker) run as a user runs them; in a desktop browser the
owner signs in, reads the dashboard, filters the participant list, opens a participant's timeline, starts a
de-identified export, follows it until the download link appears and downloads the zip, which is then checked
(README.txt sums, ``frictionless validate`` of datapackage.json, the STS file). A viewer invited with
``keireki users invite`` sees no contact details and can start no export, personal data or not.

Screenshots go to ``KEIREKI_JOURNEY_SHOTS`` (a folder) when set, else to the test's temporary folder."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frictionless
import pytest
import sqlalchemy as sa

from tests.browser.conftest import ROOT
from tests.support.processes import wait_for, worker_env
from webapp.models import RECORD_TABLES, AuditEvent, Job, Participant

pytestmark = pytest.mark.browser
STUDY = "sme-careers"
PARTICIPANTS = 30
KEIREKI = Path(sys.executable).with_name("keireki")
#: Long enough for a slow CI machine; every wait ends as soon as its condition holds.
SLOW_MS = 180_000


@dataclass
class Running:
    """``keireki serve`` at ``url`` on ``database_url``; the first admin's password from ``keireki setup``."""

    url: str
    database_url: str
    env: dict[str, str]
    password: str
    engine: sa.Engine
    log: Path

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(KEIREKI), *args], env=self.env, cwd=ROOT, capture_output=True,  # noqa: S603
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, f"keireki {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def scalar(self, query: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - our own http://127.0.0.1 URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    """Stop ``keireki serve`` as Ctrl-C would; if it does not stop, kill it and the children it started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for pid in re.findall(r"started \w+ \(pid (\d+)\)", log.read_text(errors="replace")):
        try:
            os.killpg(int(pid), signal.SIGKILL)  # each child runs in a process group of its own
        except ProcessLookupError:
            pass


@pytest.fixture
def running(fresh_database: str, tmp_path: Path) -> Iterator[Running]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = worker_env(database_url=fresh_database, broker_url="filesystem://", instance_dir=tmp_path / "instance",
                     queue=f"keireki-journey-{uuid.uuid4().hex[:8]}")
    env["KEIREKI_BASE_URL"] = url
    engine = sa.create_engine(fresh_database)
    log = tmp_path / "serve.log"
    running = Running(url=url, database_url=fresh_database, env=env, password="", engine=engine, log=log)
    setup = running.cli("setup")
    found = re.search(r"First admin created: admin@localhost\s+password: (\S+)", setup)
    assert found, setup
    running.password = found.group(1)
    seeded = running.cli("demo", "seed", "--study", STUDY, "--participants", str(PARTICIPANTS), "--seed", "1")
    assert f"created {PARTICIPANTS} participants" in seeded, seeded
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(KEIREKI), "serve", "--port", str(port)], env=env, cwd=ROOT,  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        up = wait_for(lambda: _answers(f"{url}/healthz") or proc.poll() is not None, timeout=90)
        assert up, log.read_text(errors="replace")[-3000:]
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        yield running
    finally:
        _stop(proc, log)
        engine.dispose()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    """A new desktop browser (context) that accepts downloads: ``desktop()``."""
    contexts: list[Any] = []

    def _make() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("KEIREKI_JOURNEY_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _converted(running: Running) -> bool:
    """Every queued conversion done (none failed) and career records there."""
    jobs = Job.__table__  # type: ignore[attr-defined]
    pending = running.scalar(sa.select(sa.func.count()).select_from(jobs)
                             .where(jobs.c.kind == "convert", jobs.c.status.notin_(["done"])))
    episodes = running.scalar(sa.select(sa.func.count()).select_from(RECORD_TABLES["episodes"]))
    return bool(pending == 0 and episodes > 0)


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/auth/signin")
    page.fill("input[name='email']", email)
    page.fill("input[name='password']", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert re.fullmatch(r".*/studies", page.url), (page.url, page.locator("main").inner_text()[:2000])


def _check_bundle(path: Path, target: Path, participants_with_records: int) -> None:
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {"README.txt", "datapackage.json", "sequences_sts.csv", "episodes.csv"} <= names, sorted(names)
        zf.extractall(target)
    readme = (target / "README.txt").read_text(encoding="utf-8")
    # README lists a SHA-256 for each file: they match what was downloaded.
    sums = dict((name, digest) for digest, name in re.findall(r"\b([0-9a-f]{64})\s+(\S+)", readme))
    assert "datapackage.json" in sums, readme
    assert "sequences_sts.csv" in sums, readme
    for name, digest in sums.items():
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == digest, name
    report = frictionless.validate(str(target / "datapackage.json"))
    errors = [(t.name, e) for t in report.tasks for e in t.flatten(["type", "note", "rowNumber", "cells"])]
    assert report.valid, errors[:5]
    sts = (target / "sequences_sts.csv").read_text(encoding="utf-8-sig").splitlines()
    header = sts[0].split(",")
    assert header[0] == "participant_code"
    assert all(re.fullmatch(r"m\d{3}", c) for c in header[1:]), header[:5]
    assert len(sts) - 1 == participants_with_records


def test_owner_dashboard_timeline_and_export_viewer_kept_out(running: Running, desktop: Any, shots: Path,
                                                           tmp_path: Path) -> None:
    assert wait_for(lambda: _converted(running), timeout=SLOW_MS / 1000), "the worker did not convert the seed"
    participants = Participant.__table__  # type: ignore[attr-defined]
    episodes = RECORD_TABLES["episodes"]

    owner = desktop().new_page()
    _sign_in(owner, running.url, "admin@localhost", running.password)

    # The dashboard: server-drawn SVG charts and counts, every seeded participant counted.
    owner.get_by_role("link", name=re.compile("SME")).first.click()
    owner.wait_for_url(re.compile(rf".*/studies/{STUDY}/$"))
    charts = owner.locator("svg[role='img']")
    assert charts.count() >= 2
    values = owner.locator("svg[role='img']").first.locator("text.chart-value").all_text_contents()
    assert sum(int(v.split("/")[0]) for v in values) == PARTICIPANTS, values
    owner.screenshot(path=str(shots / "journey-dashboard.png"), full_page=True)

    # The participant list, filtered to technical interns.
    interns = running.scalar(sa.select(sa.func.count()).select_from(participants)
                             .where(participants.c.participant_type == "ti"))
    assert 0 < interns < PARTICIPANTS
    nav = owner.get_by_role("navigation", name="Study menu")
    nav.get_by_role("link", name="Participants").click()
    owner.locator("select[name='type']").select_option("ti")
    owner.get_by_role("button", name="Show").click()
    owner.wait_for_url(re.compile(r".*[?&]type=ti\b.*"))
    assert owner.get_by_role("status").inner_text().strip() == f"{interns} participants"
    assert owner.locator("tbody tr").count() == min(interns, 50)

    # The intern with the longest career: the timeline draws each of their episodes.
    code, n_episodes = _longest_career(running, "ti")
    owner.get_by_role("link", name=code, exact=True).click()
    owner.wait_for_url(re.compile(rf".*/participants/{code}$"))
    timeline = owner.locator("svg[role='img'] [data-episode]")
    assert timeline.count() == n_episodes
    assert owner.get_by_role("link", name="Show contact details").count() == 1  # the owner may, when asked
    owner.screenshot(path=str(shots / "journey-participant.png"))  # the top: header, interviews, career

    # A de-identified export: its progress is followed until the download link appears.
    nav.get_by_role("link", name="Exports").click()
    owner.get_by_role("button", name="Start the export").click()
    owner.wait_for_url(re.compile(r".*/exports#job-\d+$"))
    job_row = owner.locator("tr[id^='job-']").first
    assert job_row.locator("progress").count() + job_row.get_by_role("link", name="Download").count() == 1
    download_link = job_row.get_by_role("link", name="Download")
    download_link.wait_for(timeout=SLOW_MS)  # the page's script reloads it when the job is done
    owner.screenshot(path=str(shots / "journey-exports.png"), full_page=True)
    with owner.expect_download() as info:
        download_link.click()
    bundle = tmp_path / "bundle.zip"
    info.value.save_as(bundle)
    with_records = running.scalar(sa.select(sa.func.count(sa.distinct(episodes.c.participant_id))))
    _check_bundle(bundle, tmp_path / "bundle", with_records)

    audit = AuditEvent.__table__  # type: ignore[attr-defined]
    for action in ("export.create", "export.download"):
        assert running.scalar(sa.select(sa.func.count()).select_from(audit)
                              .where(audit.c.action == action, audit.c.actor.contains("admin@localhost"))) == 1

    # A viewer, invited on the command line, sets a password from the link and signs in.
    invited = running.cli("users", "invite", "viewer@example.org", "--study", STUDY, "--role", "viewer")
    link = invited.strip().splitlines()[-1]
    assert link.startswith(f"{running.url}/auth/invite/"), invited
    viewer_context = desktop()
    viewer = viewer_context.new_page()
    viewer.goto(link)
    viewer.fill("input[name='password']", "a viewer's long password")
    viewer.fill("input[name='confirm']", "a viewer's long password")
    viewer.locator("form button[type='submit']").click()
    viewer.wait_for_url(re.compile(r".*/studies$"))
    viewer.goto(f"{running.url}/studies/{STUDY}/participants/{code}")
    assert viewer.locator("h1").first.inner_text().strip() != ""
    assert viewer.get_by_role("link", name="Show contact details").count() == 0
    assert viewer.locator("svg[role='img'] [data-episode]").count() == 0  # no view_records either
    nav_links = viewer.get_by_role("navigation", name="Study menu").get_by_role("link").all_inner_texts()
    assert "Exports" not in nav_links
    assert "Audit log" not in nav_links
    assert viewer.goto(f"{running.url}/studies/{STUDY}/participants/{code}/contact").status == 403
    assert viewer.goto(f"{running.url}/studies/{STUDY}/exports").status == 403
    viewer.goto(f"{running.url}/auth/account")
    token = viewer.locator("input[name='csrf_token']").first.get_attribute("value")
    jobs = Job.__table__  # type: ignore[attr-defined]
    exports_before = running.scalar(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind == "export"))
    refused = viewer_context.request.post(
        f"{running.url}/studies/{STUDY}/exports",
        form={"csrf_token": token, "with_pii": "y", "reason": "I would like to see the names, please."},
        max_redirects=0)
    assert refused.status == 403
    assert running.scalar(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind == "export")) \
        == exports_before
    assert running.scalar(sa.select(sa.func.count()).select_from(audit).where(
        audit.c.action.in_(["contact.view", "export.pii"]))) == 0


def _longest_career(running: Running, participant_type: str) -> tuple[str, int]:
    participants = Participant.__table__  # type: ignore[attr-defined]
    episodes = RECORD_TABLES["episodes"]
    n = sa.func.count(episodes.c.episode_no)
    with running.engine.connect() as conn:
        row = conn.execute(
            sa.select(participants.c.code, n).join(episodes, episodes.c.participant_id == participants.c.id)
            .where(participants.c.participant_type == participant_type)
            .group_by(participants.c.code).order_by(n.desc(), participants.c.code).limit(1)).one()
    return str(row[0]), int(row[1])
