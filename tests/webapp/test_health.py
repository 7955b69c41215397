"""/healthz reports database, broker and a real worker ping; 503 names what is down."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import make_test_app
from tests.support.processes import celery_worker, wait_for, worker_env


def test_all_ok_with_a_real_worker(fresh_database: str, broker_url: str, tmp_path: Path) -> None:
    queue = f"keireki-test-{uuid.uuid4().hex[:8]}"
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path, broker_url=broker_url, queue=queue)
    client = app.test_client()
    env = worker_env(database_url=fresh_database, broker_url=broker_url, instance_dir=tmp_path, queue=queue)
    with celery_worker(env, log=tmp_path / "worker.log"):
        assert wait_for(lambda: client.get("/healthz").status_code == 200, timeout=60), \
            (tmp_path / "worker.log").read_text()[-3000:]
        assert client.get("/healthz").get_json() == {"database": "ok", "broker": "ok", "worker": "ok"}


def test_503_names_a_missing_worker(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker"] != "ok"


def test_503_names_a_database_that_is_down(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")  # the database's folder cannot be made under a regular file
    app = make_test_app(database_url=f"sqlite:///{tmp_path}/a-file/nope.db", instance_dir=tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("error")


def test_503_names_a_broker_that_is_down(fresh_database: str, tmp_path: Path) -> None:
    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path,
                        broker_url="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"
