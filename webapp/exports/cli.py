"""``keireki export --study S --out DIR [--with-pii --reason "…"] [--bom]``: the same bundle, from the shell."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import with_appcontext

from webapp.db import db_session
from webapp.services.studies import study_by_slug


@click.command("export")
@click.option("--study", "slug", required=True, help="The study's slug, e.g. sme-careers.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the zip into (created if missing).")
@click.option("--with-pii", is_flag=True, help="Include contacts.csv and free text (audited; needs --reason).")
@click.option("--reason", default="", help="Why personal data is exported (required with --with-pii).")
@click.option("--bom", is_flag=True, help="Write CSV files with a byte-order mark (Excel on Windows).")
@click.option("--clear", "cleared", multiple=True, help="A free-text column cleared for export, e.g. "
              "episodes.job_title (repeatable).")
@with_appcontext
def export_command(slug: str, out_dir: Path, with_pii: bool, reason: str, bom: bool,
                   cleared: tuple[str, ...]) -> None:
    """Write a study's export bundle (de-identified unless --with-pii) into OUT."""
    from webapp.exports.services import (
        ExportRefused,
        ExportRequest,
        build_study_bundle,
        check_request,
        start_cli_export,
    )
    from workers import jobs

    session = db_session()
    study = study_by_slug(session=session, slug=slug)
    if study is None:
        raise click.UsageError(f"no study {slug!r}")
    try:
        request = check_request(ExportRequest(with_pii=with_pii, reason=reason, bom=bom, cleared=cleared),
                                may_export_pii=True)
    except ExportRefused as exc:
        raise click.UsageError(str(exc)) from exc
    job = start_cli_export(session=session, study=study, request=request, actor=f"cli:{_os_user()}")
    try:
        with click.progressbar(length=1, label="exporting") as bar:
            def progress(done: int, total: int) -> None:
                jobs.heartbeat(session=session, job=job, done=done, total=total)
                bar.length = total
                bar.update(done - bar.pos)

            result = build_study_bundle(session=session, study=study, out_dir=out_dir, request=request,
                                        progress=progress)
    except Exception as exc:
        session.rollback()
        jobs.fail(session=session, job=job, error=f"{type(exc).__name__}: {exc}")
        raise
    jobs.finish(session=session, job=job, result=result.as_job_result())
    click.echo(f"{result.path}\t{result.size} bytes\tsha256 {result.sha256}")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
