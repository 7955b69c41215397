"""The ``keireki`` command line. Every command runs inside the app (configured from ``KEIREKI_*``)."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from webapp import create_app

#: Commands contributed by other packages: "module:attribute" (added when the module exists).
CONTRIBUTED = (
    "instruments.cli:instruments_group",
    "webapp.commands.instruments:load_command",
    "webapp.commands.records:records_group",
    "webapp.commands.demo:demo_group",
    "webapp.exports.cli:export_command",
    "webapp.research.cli:users_group",
    "webapp.commands.qda:qda_group",
)


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
def config_command() -> None:
    """List every KEIREKI_* setting with its default."""
    from webapp.config import OPTIONS

    for opt in OPTIONS:
        click.echo(f"{opt.name}\t{opt.default}\t{opt.help}")


def _contribute() -> None:
    for spec in CONTRIBUTED:
        module_name, _, attr = spec.partition(":")
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
            command = getattr(importlib.import_module(module_name), attr, None)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # the area is not there at all
            click.echo(f"keireki: commands of {module_name} unavailable: {exc}", err=True)
            continue
        except Exception as exc:  # noqa: BLE001 - one broken contribution must not take the CLI down
            click.echo(f"keireki: commands of {module_name} unavailable: {exc}", err=True)
            continue
        if isinstance(command, click.Command):
            if spec == "webapp.commands.instruments:load_command":
                group = main.commands.get("instruments")
                if isinstance(group, click.Group):
                    group.add_command(command)
                    continue
            main.add_command(command)


_contribute()
