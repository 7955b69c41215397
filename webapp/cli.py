"""The ``keireki`` command line. Every command runs inside the app (configured from ``KEIREKI_*``)."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from instruments.cli import instruments_group
from webapp import create_app
from webapp.commands.demo import demo_group
from webapp.commands.instruments import load_command
from webapp.commands.qda import qda_group
from webapp.commands.records import records_group
from webapp.commands.uploads import uploads_group
from webapp.exports.cli import export_command
from webapp.research.cli import users_group


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=True,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Keireki: surveys, interviews and career records of international workers in Japan."""


@main.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply the database migrations (alembic upgrade head)."""
    from webapp.commands.setup import migrate

    migrate()
    click.echo("database is at the latest schema")


@main.command("setup")
@with_appcontext
def setup_command() -> None:
    """Migrate, load the bundled study and its instruments, create the first admin (password shown once)."""
    from webapp.commands.setup import setup

    setup(echo=click.echo)


@main.command("serve")
@click.option("--port", default=5000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve_command(host: str, port: int) -> None:
    """Run the web app, a Celery worker and Celery beat as separate processes; Ctrl-C stops all."""
    from webapp.commands.serve import serve

    sys.exit(serve(host=host, port=port))


@main.command("config")
@click.option("--markdown", is_flag=True, help="Print the README's settings table (Markdown) instead.")
def config_command(markdown: bool) -> None:
    """List every KEIREKI_* setting with its default."""
    from webapp.config import OPTIONS, settings_table

    if markdown:
        click.echo(settings_table(), nl=False)
        return
    for opt in OPTIONS:
        click.echo(f"{opt.name}\t{opt.default.replace('`', '')}\t{opt.help.replace('`', '')}")


instruments_group.add_command(load_command)
for _command in (instruments_group, records_group, demo_group, export_command, users_group, qda_group,
                 uploads_group):
    main.add_command(_command)
