"""Under a umask of 022 the instance's files are still owner-only: directories 0700, files 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tests.conftest import make_test_app
from tests.workers.exports.test_writers import DATA, META, source
from webapp.db import get_db
from webapp.services.mail import send_mail
from workers.exports import build_bundle


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_files_are_owner_only(tmp_path: Path, loose_umask: None) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)  # made by an older version, or by hand
    (instance / "data").mkdir(mode=0o755)
    app = make_test_app(database_url=f"sqlite:///{instance / 'keireki.db'}", instance_dir=instance)
    engine = get_db(app).engine
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT 1"))
    settings = app.config["KEIREKI"]
    sent = send_mail(to="p@example.org", subject="Your interview", body="See you", settings=settings)
    assert sent.path is not None
    bundle = build_bundle(rows=source({name: [] for name in DATA}), meta=META, out_dir=settings.data_dir / "exports")
    directories = [instance, settings.data_dir, sent.path.parent, bundle.path.parent]
    files = [instance / "keireki.db", instance / "secret_key", instance / "data_key", sent.path, bundle.path]
    for folder in directories:
        assert _mode(folder) == 0o700, folder
    for path in files:
        assert _mode(path) == 0o600, path
