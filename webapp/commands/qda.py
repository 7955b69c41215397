"""``keireki qda export|import``: exchange a study's coding with NVivo, ATLAS.ti, MAXQDA, QualCoder (REFI-QDA).

``export --study S --out FILE.qdpx [--reason "…"] [--offsets codepoints|utf16]`` writes the project
(transcripts are personal data: the export is audited as ``qda.export`` with the reason). ``import FILE.qdpx
--study S [--create-missing] [--offsets auto|codepoints|utf16|lines]`` reads a project coded elsewhere and
reports what it matched, created and could not match; a refused file changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

REASON_MIN = 10


@click.group("qda")
def qda_group() -> None:
    """Qualitative coding exchange (REFI-QDA .qdpx)."""


def _study(slug: str) -> Any:
    from sqlmodel import select

    from webapp.db import db_session
    from webapp.models import Study

    study = db_session().exec(select(Study).where(Study.slug == slug)).first()
    if study is None:
        raise click.BadParameter(f"no study {slug!r}", param_hint="--study")
    return study


@qda_group.command("export")
@click.option("--study", "study_slug", required=True, help="The study's slug.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--reason", default="command-line export", show_default=True,
              help="Why the transcripts leave Keireki (written to the audit log).")
@click.option("--offsets", "units", type=click.Choice(["codepoints", "utf16"]), default="codepoints",
              show_default=True,
              help="What the selections' positions count: code points (REFI-QDA) or UTF-16 units (for NVivo "
                   "versions that count an emoji as two).")
@with_appcontext
def export_command(study_slug: str, out: Path, reason: str, units: str) -> None:
    """Write the study's coding as a .qdpx (validated against the QDA-XML 1.0 schema)."""
    import io
    import zipfile

    from webapp.coding.core import qdpx
    from webapp.coding.services import qdpx_export
    from webapp.db import db_session

    if len(reason.strip()) < REASON_MIN:
        raise click.BadParameter(f"state a reason of at least {REASON_MIN} characters", param_hint="--reason")
    session = db_session()
    study = _study(study_slug)
    data = qdpx_export.export(session=session, study=study, actor="cli", user_id=None, reason=reason.strip(),
                              units=units)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        errors = qdpx.validate(archive.read(qdpx.PROJECT_FILE))
    if errors:
        session.rollback()
        raise click.ClickException("the project does not validate: " + "; ".join(errors[:3]))
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, out)
    session.commit()
    click.echo(f"wrote {out} ({len(data)} bytes)")


@qda_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--study", "study_slug", required=True, help="The study's slug.")
@click.option("--create-missing", is_flag=True,
              help="Create codes and sources that match nothing (else they are only reported).")
@click.option("--offsets", "offset_mode", type=click.Choice(["auto", "codepoints", "utf16", "lines"]), default="auto",
              show_default=True,
              help="What the selections' positions count: code points (REFI-QDA, QualCoder), UTF-16 units "
                   "(some NVivo versions: emoji count twice), lines: code points with a Windows line break as "
                   "one (ATLAS.ti), or auto: decided from the file where it can be.")
@with_appcontext
def import_command(path: Path, study_slug: str, create_missing: bool, offset_mode: str) -> None:
    """Import codings of a .qdpx coded in another tool."""
    from webapp.coding.core.qdpx_read import Limits
    from webapp.coding.services import CodingError, qdpx_import
    from webapp.db import db_session

    limits = Limits()
    if path.stat().st_size > limits.max_bytes:
        raise click.ClickException("the file is too large")
    try:
        report = qdpx_import.import_project(session=db_session(), study=_study(study_slug), data=path.read_bytes(),
                                            create_missing=create_missing, limits=limits,
                                            offset_mode=offset_mode)
    except CodingError as exc:
        hint = (" (--offsets codepoints, --offsets utf16 or --offsets lines)" if exc.reason == "ambiguous_offsets"
                else "")
        raise click.ClickException(f"refused, nothing changed: {exc}{hint}") from exc
    click.echo(f"offsets read as {report.offsets} ({report.offsets_why})")
    click.echo(f"sources: {len(report.sources_matched)} matched, {len(report.sources_created)} created, "
               f"{len(report.sources_unmatched)} not matched")
    click.echo(f"codes: {len(report.codes_matched)} matched, {len(report.codes_created)} created, "
               f"{len(report.codes_unmatched)} not matched")
    click.echo(f"codings: {report.codings_added} imported, {len(report.codings_skipped)} with a remark; "
               f"memos: {report.memos_added}")
    for name in report.sources_unmatched:
        click.echo(f"  source not matched: {name}")
    for name in report.codes_unmatched:
        click.echo(f"  code not matched: {name}")
    for line in report.codings_skipped:
        click.echo(f"  coding: {line}")
