"""Loading the study and its instruments into the database; reading instruments back."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from flask import abort
from sqlalchemy.orm import defer
from sqlmodel import Session, select

import instruments
from instruments.model import Instrument
from webapp.models import InstrumentVersion, Study, User
from webapp.services.passwords import generate_password, hash_password

SLUG_MAX = 64  #: ``Study.slug`` length


def study_title(study: Study, language: str) -> str:
    """The study's title in ``language``, else in its default language, else any, else its slug."""
    title = study.title or {}
    return str(title.get(language) or title.get(study.default_language) or next(iter(title.values()), study.slug))


def study_by_slug(*, session: Session, slug: str | None) -> Study | None:
    """The study with this slug, or None (also for an empty or over-long slug)."""
    if not slug or len(slug) > SLUG_MAX:
        return None
    return session.exec(select(Study).where(Study.slug == slug)).first()


def study_or_404(*, session: Session, slug: str | None) -> Study:
    """For views: the study with this slug, or abort with 404."""
    study = study_by_slug(session=session, slug=slug)
    if study is None:
        abort(404)
    return study


class InstrumentChangedError(ValueError):
    """A loaded instrument version's content differs from what is stored: bump the version."""


def load_instrument(*, session: Session, study: Study, instrument: Instrument) -> InstrumentVersion:
    """Store ``instrument`` as an immutable version of ``study``; idempotent for unchanged content."""
    fingerprint = instruments.fingerprint(instrument)
    existing = session.exec(
        select(InstrumentVersion).where(
            InstrumentVersion.study_id == study.id,
            InstrumentVersion.instrument_id == instrument.id,
            InstrumentVersion.version == instrument.version,
        )
    ).first()
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise InstrumentChangedError(
                f"{instrument.source or instrument.id}: version {instrument.version} of {instrument.id!r} is "
                "already loaded with other content; a loaded version is immutable, so give the changed "
                "instrument a new version."
            )
        return existing
    iv = InstrumentVersion(
        study_id=study.id or 0, instrument_id=instrument.id, version=instrument.version,
        definition=instruments.to_dict(instrument), fingerprint=fingerprint,
        source=Path(instrument.source).name if instrument.source else None,
    )
    session.add(iv)
    session.flush()
    return iv


def load_bundled_study(*, session: Session, path: str | Path | None = None) -> Study:
    """Create or update the bundled study (``instruments/study/study.yaml``) and load its instruments."""
    spec = instruments.load_study(path)
    study = study_by_slug(session=session, slug=spec.id)
    if study is None:
        study = Study(slug=spec.id, pseudonym_key=secrets.token_hex(32), title={}, default_language="en")
    study.title = dict(spec.title)
    study.default_language = spec.default_language
    study.languages = list(spec.languages)
    study.draft_expiry_days = spec.draft_expiry_days
    study.quotas = dict(spec.quotas)
    study.steps = dict(spec.steps)
    session.add(study)
    session.flush()
    for instrument in instruments.load_bundled().values():
        load_instrument(session=session, study=study, instrument=instrument)
    session.commit()
    return study


def current_version(*, session: Session, study_id: int, instrument_id: str) -> InstrumentVersion | None:
    """The most recently loaded version of an instrument in a study.

    The definition column (a few hundred kB of JSON) is deferred: :func:`instrument_of` reads it only when the
    version was not parsed yet in this process.
    """
    return session.exec(
        select(InstrumentVersion)
        .options(defer(InstrumentVersion.definition))  # type: ignore[arg-type]
        .where(InstrumentVersion.study_id == study_id, InstrumentVersion.instrument_id == instrument_id)
        .order_by(InstrumentVersion.id.desc())  # type: ignore[union-attr]
    ).first()


def version_by_id(*, session: Session, version_id: int) -> InstrumentVersion | None:
    """A loaded version by id, its definition deferred as in :func:`current_version`."""
    return session.exec(
        select(InstrumentVersion)
        .options(defer(InstrumentVersion.definition))  # type: ignore[arg-type]
        .where(InstrumentVersion.id == version_id)
    ).first()


def instrument_of(version: InstrumentVersion) -> Instrument:
    """The :class:`Instrument` stored in a version, parsed once per process.

    Keyed by the version's id and fingerprint (a loaded version is immutable; the fingerprint keeps two databases
    served by one process, as in tests, apart). Thread-safe: a version is parsed by one thread, the others wait.
    """
    key = (version.id, version.fingerprint)
    instrument = _PARSED.get(key)
    if instrument is None:
        with _PARSING:
            instrument = _PARSED.get(key)
            if instrument is None:
                instrument = instruments.from_dict(version.definition)
                _PARSED[key] = instrument
    return instrument


#: Parsed instruments by (version id, fingerprint); as many entries as instrument versions exist, a handful.
_PARSED: dict[tuple[int | None, str], Instrument] = {}
_PARSING = threading.Lock()


def ensure_admin(*, session: Session, email: str = "admin@localhost") -> tuple[User, str | None]:
    """Create the first global admin if there is none; returns the new password once, else None."""
    admin = session.exec(select(User).where(User.is_admin == True)).first()  # noqa: E712
    if admin is not None:
        return admin, None
    password = generate_password()
    admin = User(email=email, name="Administrator", password_hash=hash_password(password), is_admin=True)
    session.add(admin)
    session.commit()
    return admin, password
