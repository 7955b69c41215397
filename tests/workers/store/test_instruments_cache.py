"""The records tasks read each batch's instruments from their own database: a version id names different
versions in different databases (two test databases in one run, or a database restored under a running
worker), so an id-keyed process cache gave one database's instrument to another's responses."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

from tests.conftest import make_test_app
from tests.support import databases
from webapp.db import db_session
from webapp.models import InstrumentVersion
from webapp.services.studies import load_bundled_study
from workers.store.records import _instruments


def _first_version(url: str, instance: Path, *, drop: str | None) -> tuple[int, str]:
    app = make_test_app(database_url=url, instance_dir=instance)
    with app.app_context():
        session = db_session()
        load_bundled_study(session=session)
        if drop is not None:  # database B: the lowest id holds another instrument than in database A
            versions = session.exec(select(InstrumentVersion).order_by(col(InstrumentVersion.id))).all()
            other = next(v for v in versions if v.instrument_id != drop)
            versions[0].instrument_id, versions[0].version = other.instrument_id, "b-" + other.version
            versions[0].definition, versions[0].fingerprint = other.definition, other.fingerprint
        session.commit()
        version = session.exec(select(InstrumentVersion).order_by(col(InstrumentVersion.id))).first()
        assert version is not None
        assert version.id is not None
        got = _instruments(session, [version.id])[version.id]
        return version.id, got.id


def test_the_same_version_id_in_two_databases_gives_each_its_own_instrument(backend: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with databases.fresh(backend, tmp_path / "a") as url_a, databases.fresh(backend, tmp_path / "b") as url_b:
        id_a, instrument_a = _first_version(url_a, tmp_path / "ia", drop=None)
        id_b, instrument_b = _first_version(url_b, tmp_path / "ib", drop=instrument_a)
    assert id_a == id_b
    assert instrument_a != instrument_b  # before the fix: database A's instrument again
