"""``keireki instruments load PATH... [--study S]``: check instruments, store them as immutable versions."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from webapp.db import db_session


@click.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--study", "study_slug", default=None, help="Study slug (default: the bundled study).")
@with_appcontext
def load_command(paths: tuple[str, ...], study_slug: str | None) -> None:
    """Check instrument files (YAML or XLSForm .xlsx) and load them into a study.

    Nothing is loaded when the check finds an error. A version already loaded with the same content is
    left as it is; the same version with other content is refused (give it a new version).
    """
    import instruments
    from instruments.cli import run_check
    from webapp.services.studies import InstrumentChangedError, load_instrument, study_by_slug

    report = run_check(paths, show_warnings=False)
    if report.errors:
        click.echo("nothing loaded: fix the errors above first", err=True)
        sys.exit(1)
    session = db_session()
    slug = study_slug or instruments.load_study().id
    study = study_by_slug(session=session, slug=slug)
    if study is None:
        click.echo(f"no study {slug!r}: run `keireki setup` first or name an existing study", err=True)
        sys.exit(1)
    try:
        for instrument in report.instruments.values():
            version = load_instrument(session=session, study=study, instrument=instrument)
            click.echo(f"loaded {instrument.id} version {instrument.version} (#{version.id}) "
                       f"into {study.slug}")
        session.commit()
    except InstrumentChangedError as exc:
        session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
