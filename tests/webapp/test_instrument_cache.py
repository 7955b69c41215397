"""A loaded instrument version is parsed once per process; once parsed, its definition is not even read."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, select

from webapp.models import InstrumentVersion
from webapp.services import studies


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.get_bind()

    def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def _first_version_id(session: Session) -> int:
    version_id = session.exec(select(InstrumentVersion.id)).first()
    assert version_id is not None
    session.expunge_all()
    return version_id


def test_a_parsed_version_is_served_without_reading_its_definition(session: Session, bundled_study: Any) -> None:
    version_id = _first_version_id(session)
    version = studies.version_by_id(session=session, version_id=version_id)
    assert version is not None
    assert "definition" in inspect(version).unloaded
    first = studies.instrument_of(version)
    session.expunge_all()
    with _statements(session) as seen:
        again = studies.version_by_id(session=session, version_id=version_id)
        assert again is not None
        assert studies.instrument_of(again) is first
    assert len(seen) == 1
    assert "definition" not in seen[0].split("FROM")[0]
    assert "definition" in inspect(again).unloaded


def test_the_current_version_defers_its_definition_too(session: Session, bundled_study: Any) -> None:
    instrument_id = next(iter(bundled_study.steps.values()))
    version = studies.current_version(session=session, study_id=bundled_study.id, instrument_id=instrument_id)
    assert version is not None
    assert studies.instrument_of(version).id == instrument_id


def test_other_content_under_the_same_id_is_parsed_on_its_own(session: Session, bundled_study: Any) -> None:
    version = studies.version_by_id(session=session, version_id=_first_version_id(session))
    assert version is not None
    parsed = studies.instrument_of(version)
    # Another database served by the same process (as in tests) may hold another instrument under this id.
    other = InstrumentVersion(id=version.id, study_id=version.study_id, instrument_id="x", version="1",
                              definition=version.definition, fingerprint="0" * 64)
    assert studies.instrument_of(other) is not parsed


def test_threads_asking_at_once_get_one_parsed_instrument(session: Session, bundled_study: Any) -> None:
    version = studies.version_by_id(session=session, version_id=_first_version_id(session))
    assert version is not None
    definition = version.definition
    fresh = [InstrumentVersion(id=version.id, study_id=1, instrument_id="x", version="1", definition=definition,
                               fingerprint=f"{'f' * 63}1") for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parsed = list(pool.map(studies.instrument_of, fresh))
    assert all(p is parsed[0] for p in parsed)
