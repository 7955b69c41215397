"""``keireki users``: invite researchers and list accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlmodel import select

from webapp.models import ROLES, Membership, Study, User, utcnow


@click.group("users")
def users_group() -> None:
    """Researcher accounts: invitations and roles."""


@users_group.command("invite")
@click.argument("email")
@click.option("--study", "study_slug", help="Short name (slug) of the study to give a role in.")
@click.option("--role", type=click.Choice(ROLES), help="Role in that study.")
@click.option("--name", default="", help="The person's name.")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user a global administrator.")
@with_appcontext
def invite_command(email: str, study_slug: str | None, role: str | None, name: str, is_admin: bool) -> None:
    """Invite EMAIL (or give an existing user a role) and print the link to set a password."""
    from webapp.auth.mailing import invite_link, send_invitation
    from webapp.auth.services import AccountError, invite_user
    from webapp.db import db_session
    from webapp.services.studies import study_by_slug

    if bool(study_slug) != bool(role):
        raise click.UsageError("--study and --role go together")
    session = db_session()
    study_id = None
    if study_slug:
        study = study_by_slug(session=session, slug=study_slug)
        if study is None:
            raise click.BadParameter(f"no study {study_slug!r}", param_hint="--study")
        study_id = study.id
    try:
        user, token = invite_user(session=session, email=email, name=name, now=utcnow(), actor="system",
                                  is_admin=is_admin, study_id=study_id, role=role)
    except AccountError as exc:
        raise click.BadParameter(f"not a usable e-mail address: {email!r}", param_hint="EMAIL") from exc
    if role:
        click.echo(f"{user.email}: {role} in {study_slug}")
    if token is None:
        click.echo(f"{user.email} has already set a password; no new link.")
        return
    link = invite_link(token)
    mailed = send_invitation(user=user, link=link)
    click.echo(f"invitation link (valid 7 days){' — also sent by e-mail' if mailed else ''}:")
    click.echo(link)


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """List every account with its roles."""
    from webapp.db import db_session

    session = db_session()
    roles: dict[int, list[str]] = {}
    for membership, slug in session.exec(select(Membership, Study.slug).join(Study)):
        roles.setdefault(membership.user_id, []).append(f"{slug}:{membership.role}")
    for user in session.exec(select(User).order_by(User.email)):
        flags = [f for f, on in (("admin", user.is_admin), ("inactive", not user.is_active),
                                 ("invited", user.password_hash is None)) if on]
        click.echo("\t".join([user.email, user.name, ",".join(flags), " ".join(sorted(roles.get(user.id or 0, [])))]))
