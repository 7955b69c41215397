"""Test fixtures: one app and migrated schema per backend per session; each test in a SAVEPOINT.

Backends: SQLite always; PostgreSQL too when ``KEIREKI_TEST_DATABASE_URL`` is set (a database of its
own is created on that server for the run and dropped after). Brokers: the embedded filesystem broker
always; Redis too when ``KEIREKI_TEST_BROKER_URL`` is set. Fixtures that take ``backend`` run every test
that uses them once per backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from tests.support import databases
from webapp import create_app
from webapp.config import load_settings
from webapp.db import get_db

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("KEIREKI_TEST_DATABASE_URL") else [])
BROKERS = ["filesystem"] + (["redis"] if os.environ.get("KEIREKI_TEST_BROKER_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this session and backend."""
    with databases.fresh(backend, tmp_path_factory.mktemp(f"db-{backend}")) as url:
        yield url


class FreshContextClient(FlaskClient):
    """A test client whose every request gets an app context (and ``g``) of its own, as in production.

    Without it, requests made inside a test's app context share that context's ``g`` (Flask reuses a
    pushed context of the same app), so per-request caches (the signed-in user, the CSRF token, the
    database session) would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # noqa: A003 - Werkzeug's name
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_test_app(*, database_url: str, instance_dir: Path, broker_url: str = "filesystem://",
                  queue: str | None = None, **flask_config: Any) -> Flask:
    settings = load_settings(
        env={"KEIREKI_ENV": "development"},
        instance_dir=instance_dir,
        database_url=database_url,
        broker_url=broker_url,
        queue=queue or f"keireki-test-{uuid.uuid4().hex[:8]}",
        data_dir=instance_dir / "data",
        job_lease_seconds=int(flask_config.pop("lease_seconds", 300)),
    )
    application = create_app({"TESTING": True, **flask_config}, settings=settings)
    application.test_client_class = FreshContextClient
    _made_apps.append(application)
    return application


#: Apps built by tests themselves; their engines are disposed after each test (no leaked connections).
_made_apps: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_made_apps() -> Iterator[None]:
    yield
    while _made_apps:
        get_db(_made_apps.pop()).engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_test_app(database_url=database_url, instance_dir=tmp_path_factory.mktemp("instance"))
    _made_apps.remove(application)  # lives for the whole session
    yield application
    get_db(application).engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session inside a transaction rolled back at the end; requests of the test share it."""
    database = get_db(app)
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.sessionmaker
    database.sessionmaker = sessionmaker(bind=connection, class_=Session, expire_on_commit=False,
                                         join_transaction_mode="create_savepoint")
    sess = database.sessionmaker()
    try:
        with app.app_context():
            yield sess
    finally:
        sess.close()
        database.sessionmaker = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(session: Session) -> Callable[..., Any]:
    from webapp.models import Membership, User
    from webapp.services.passwords import hash_password

    def _make(*, email: str | None = None, password: str = "correct horse battery", is_admin: bool = False,
              study: Any = None, role: str | None = None, **fields: Any) -> User:
        user = User(email=email or f"u{uuid.uuid4().hex[:8]}@example.org", password_hash=hash_password(password),
                    is_admin=is_admin, **fields)
        session.add(user)
        session.flush()
        if study is not None and role is not None:
            session.add(Membership(user_id=user.id, study_id=study.id, role=role))
            session.flush()
        return user

    return _make


@pytest.fixture
def sign_in(app: Flask, client: FlaskClient) -> Callable[..., None]:
    """Sign a user in on the test client (or ``on=`` another client), as a successful sign-in would."""
    from tests.support.auth import sign_in_client

    def _sign_in(user: Any, on: FlaskClient | None = None) -> None:
        sign_in_client(app, on or client, user)

    return _sign_in


@pytest.fixture
def make_study(session: Session) -> Callable[..., Any]:
    from webapp.models import Study

    def _make(**fields: Any) -> Study:
        defaults: dict[str, Any] = {
            "slug": f"study-{uuid.uuid4().hex[:6]}", "title": {"en": "A study"}, "default_language": "en",
            "languages": ["en", "ja"], "quotas": {"ti": 10, "sie": 5, "manager": 2}, "steps": {},
            "pseudonym_key": uuid.uuid4().hex,
        }
        study = Study(**{**defaults, **fields})
        session.add(study)
        session.flush()
        return study

    return _make


@pytest.fixture
def bundled_study(session: Session) -> Any:
    """The bundled study with its instruments, loaded through the same service as `keireki setup`."""
    from webapp.services.studies import load_bundled_study

    return load_bundled_study(session=session)


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own, for tests whose data must be committed (workers, concurrency)."""
    with databases.fresh(backend, tmp_path) as url:
        yield url


@pytest.fixture(params=BROKERS)
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return os.environ["KEIREKI_TEST_BROKER_URL"]
    return "filesystem://"


def count(session: Session, table: Any, *where: Any) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def _reset_limits() -> None:
    from webapp.extensions import limiter

    if getattr(limiter, "_storage", None) is not None:  # no app made yet: nothing counted
        limiter.reset()


@pytest.fixture(autouse=True)
def _fresh_limits_each_test() -> Iterator[None]:
    """Rate-limit counters (process memory, shared by every app of the run) emptied before and after each
    test, so one test's failing calls (e.g. the role matrix's unauthenticated API calls) never meet another's
    per-address failure limit."""
    _reset_limits()
    yield
    _reset_limits()


@pytest.fixture
def fresh_limits(app: Flask) -> Iterator[None]:
    """Rate-limit counters emptied before and after the test (kept for the tests that name it; every test
    gets the same through ``_fresh_limits_each_test``)."""
    with app.app_context():
        _reset_limits()
    yield
    with app.app_context():
        _reset_limits()
