"""``keireki setup``: the idempotent first-run set-up used by ``make run``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app

from webapp.config import PROJECT_ROOT
from webapp.db import db_session, get_db


def migrate() -> None:
    """alembic upgrade head on the app's database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(PROJECT_ROOT) / "alembic.ini"))
    with get_db().engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def setup(*, echo: Callable[[str], object]) -> None:
    from webapp.services.studies import ensure_admin, load_bundled_study

    migrate()
    session = db_session()
    study = load_bundled_study(session=session)
    admin, password = ensure_admin(session=session)
    base = current_app.config["KEIREKI"].base_url
    echo(f"Study {study.slug!r} loaded with its instruments.")
    echo(f"Participant link:    {base}/s/{study.slug}")
    echo(f"Researcher sign-in:  {base}/auth/signin")
    if password:
        echo(f"First admin created: {admin.email}  password: {password}")
        echo("  (shown only this once: write it down, then change it after signing in)")
    else:
        echo(f"Admin account: {admin.email} (password set on first run)")
