"""``instruments`` commands: ``check [PATH...]`` and ``export-xlsform ID_OR_PATH OUT.xlsx``.

The web app mounts :data:`instruments_group` (alias :data:`instruments_cli`; or the single commands
``check_command`` and ``export_command``) under its ``keireki`` command and adds ``load`` (database).
"""

from __future__ import annotations

from pathlib import Path

import click

from instruments.checker import CheckReport, Finding, check_paths, check_study, format_coverage
from instruments.errors import InstrumentError
from instruments.loader import NOT_INSTRUMENTS, bundled_dir, load, load_bundled
from instruments.model import Instrument
from instruments.study import load_study


def _expand(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".xlsx", ".xls", ".xlsm")
                          and p.name not in NOT_INSTRUMENTS)
        else:
            out.append(path)
    return out


def run_check(paths: tuple[str, ...], *, show_warnings: bool = True) -> CheckReport:
    """Check ``paths`` (all bundled instruments and the study file when empty) and print the findings
    as ``file:line: field: message`` and the translation-coverage table."""
    report = check_paths(_expand(paths) if paths else None)
    study_file = bundled_dir() / "study.yaml"
    if not paths and study_file.is_file():
        try:
            report.findings += check_study(load_study(study_file), report.instruments)
        except InstrumentError as exc:
            report.findings.append(Finding("error", exc.location, "study", exc.message))
    for finding in report.findings:
        if finding.severity == "error":
            click.echo(str(finding))
        elif show_warnings:
            where = finding.location if finding.location is not None else "?"
            click.echo(f"{where}: {finding.field}: warning: {finding.message}")
    if report.coverage:
        click.echo("")
        click.echo("Translation coverage (percent of texts present):")
        click.echo(format_coverage(report))
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    click.echo(f"\n{errors} error(s), {warnings} warning(s) in {len(report.coverage)} instrument(s)")
    return report


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--warnings/--no-warnings", "show_warnings", default=True, help="Print warnings too.")
def check_command(paths: tuple[str, ...], show_warnings: bool) -> None:
    """Check instruments (YAML or XLSForm .xlsx; all bundled ones without PATH). Exit 1 on any error."""
    report = run_check(paths, show_warnings=show_warnings)
    if not report.ok:
        raise SystemExit(1)


def resolve_instrument(id_or_path: str) -> Instrument:
    """An instrument file, or the id of a bundled instrument."""
    path = Path(id_or_path)
    if path.is_file():
        return load(path)
    bundled = load_bundled()
    if id_or_path not in bundled:
        raise click.BadParameter(f"no file and no bundled instrument {id_or_path!r} "
                                 f"(bundled: {', '.join(sorted(bundled))})")
    return bundled[id_or_path]


@click.command("export-xlsform")
@click.argument("id_or_path")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def export_command(id_or_path: str, out: str) -> None:
    """Export an instrument (a bundled id or a file) as an XLSForm workbook."""
    from instruments.xlsform import write_xlsform

    try:
        instrument = resolve_instrument(id_or_path)
    except InstrumentError as exc:
        raise click.ClickException(str(exc)) from exc
    write_xlsform(instrument, out)
    click.echo(f"wrote {instrument.id} {instrument.version} to {out}")


@click.group("instruments")
def instruments_cli() -> None:
    """Check and convert instruments."""


instruments_cli.add_command(check_command)
instruments_cli.add_command(export_command)
#: The name the web app's ``keireki`` command looks for.
instruments_group = instruments_cli

if __name__ == "__main__":  # pragma: no cover
    instruments_cli()
