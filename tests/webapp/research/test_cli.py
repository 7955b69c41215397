"""``keireki users invite`` and ``keireki users list``."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select

from webapp.db import db_session
from webapp.models import Membership, User
from webapp.research.cli import users_group


def test_invite_and_list(app: Flask, session: Session, make_study: Any) -> None:
    study = make_study()
    runner = app.test_cli_runner()
    result = runner.invoke(users_group, ["invite", "Mai@Example.org", "--study", study.slug, "--role", "owner"])
    assert result.exit_code == 0, result.output
    assert "/auth/invite/" in result.output
    assert result.output.strip().splitlines()[-1].startswith("http")
    user = session.exec(select(User).where(User.email == "mai@example.org")).one()
    assert session.exec(select(Membership.role).where(Membership.user_id == user.id)).one() == "owner"
    listed = runner.invoke(users_group, ["list"])
    assert listed.exit_code == 0
    assert "mai@example.org" in listed.output
    assert f"{study.slug}:owner" in listed.output
    assert "invited" in listed.output


def test_invite_errors(app: Flask, session: Session) -> None:
    # The command's own session (db_session) is asked: two sessions' savepoints on one connection must not cross.
    runner = app.test_cli_runner()
    assert runner.invoke(users_group, ["invite", "a@example.org", "--study", "nope", "--role", "owner"]).exit_code == 2
    assert runner.invoke(users_group, ["invite", "a@example.org", "--role", "owner"]).exit_code == 2
    assert runner.invoke(users_group, ["invite", "not-an-address"]).exit_code == 2
    assert runner.invoke(users_group, ["invite", "a@example.org", "--study", "x", "--role", "king"]).exit_code == 2
    assert db_session().exec(select(User).where(User.email == "a@example.org")).first() is None
