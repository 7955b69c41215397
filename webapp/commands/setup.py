"""``keireki setup``: the idempotent first-run set-up used by ``make run``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from pathlib import Path

from flask import current_app
from sqlmodel import Session, select

from webapp.config import PROJECT_ROOT
from webapp.db import db_session, get_db
from webapp.models import AvailabilityRule, Membership, Study, User


def migrate() -> None:
    """alembic upgrade head on the app's database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(PROJECT_ROOT) / "alembic.ini"))
    with get_db().engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def setup(*, echo: Callable[[str], object]) -> None:
    from webapp.schedule.services.booking import ensure_default_interview_type
    from webapp.services.studies import ensure_admin, load_bundled_study

    migrate()
    session = db_session()
    study = load_bundled_study(session=session)
    ensure_default_interview_type(session, study)
    session.commit()
    admin, password = ensure_admin(session=session)
    if password:
        first_run_owner(session=session, study=study, admin=admin)
    base = current_app.config["KEIREKI"].base_url
    echo(f"Study {study.slug!r} loaded with its instruments.")
    echo(f"Participant link:    {base}/s/{study.slug}")
    echo(f"Researcher sign-in:  {base}/auth/signin")
    if password:
        echo(f"First admin created: {admin.email}  password: {password}")
        echo("  (shown only this once: write it down, then change it after signing in)")
    else:
        echo(f"Admin account: {admin.email} (password set on first run)")


def first_run_owner(*, session: Session, study: Study, admin: User) -> None:
    """On the first run only: the new admin becomes owner of the bundled study and gets weekday hours
    (10:00-17:00, Asia/Tokyo), so booking an interview can be tried at once. Change them under Availability."""
    if admin.id is None or study.id is None:
        raise RuntimeError("the admin and the study must be stored first")
    session.add(Membership(user_id=admin.id, study_id=study.id, role="owner"))
    if not session.exec(select(AvailabilityRule).where(AvailabilityRule.user_id == admin.id)).first():
        for weekday in range(5):
            session.add(AvailabilityRule(user_id=admin.id, weekday=weekday, start_time=time(10), end_time=time(17)))
    admin.languages = list(study.languages)
    session.add(admin)
    session.commit()
