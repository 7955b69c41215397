"""``keireki records rebuild``: re-derive every participant's records, in batches, with a progress bar.

Batches are jobs (``webapp.models.Job``) spread over however many workers are running; the bar
follows their progress in the database. ``--inline`` converts in this process instead (no worker).
Rolling out a new ``PIPELINE_VERSION`` is a rebuild.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from sqlmodel import Session


@click.group("records")
def records_group() -> None:
    """Career records derived from the responses."""


def _study_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    from webapp.db import db_session
    from webapp.services.studies import study_by_slug

    study = study_by_slug(session=db_session(), slug=slug)
    if study is None:
        raise click.BadParameter(f"no study {slug!r}", param_hint="--study")
    return study.id


@records_group.command("rebuild")
@click.option("--study", "study_slug", default=None, help="Only this study (its slug); default: all studies.")
@click.option("--batch", default=None, type=click.IntRange(1, 10_000),
              help="Participants per job (one transaction each); default 20 on SQLite, 100 on PostgreSQL.")
@click.option("--inline", is_flag=True, help="Convert in this process instead of on the workers.")
@click.option("--timeout", default=0, type=click.IntRange(0),
              help="Stop waiting after this many seconds (0: never).")
@with_appcontext
def rebuild_command(study_slug: str | None, batch: int | None, inline: bool, timeout: int) -> None:
    """Re-derive the career records of every participant (of one study)."""
    from webapp.db import db_session
    from workers.records import PIPELINE_VERSION
    from workers.store.records import participant_ids
    from workers.tasks.records import convert_batch, enqueue_rebuild, rebuild_batch

    session = db_session()
    batch = batch or rebuild_batch(session)
    study_id = _study_id(study_slug)
    ids = participant_ids(session=session, study_id=study_id)
    click.echo(f"rebuilding {len(ids)} participants with pipeline {PIPELINE_VERSION}"
               f"{' inline' if inline else f' in jobs of {batch}'}")
    failed = 0
    if inline:
        with click.progressbar(length=len(ids), label="converting") as bar:
            for start in range(0, len(ids), batch):
                outcome = convert_batch(session=session, participant_ids=ids[start:start + batch])
                failed += len(outcome.failed)
                bar.update(len(ids[start:start + batch]))
    else:
        queued = enqueue_rebuild(session=session, participant_ids=ids, study_id=study_id, batch=batch)
        failed = _follow(session, [j.id for j in queued if j.id is not None], len(ids), timeout)
    click.echo(f"done: {len(ids) - failed} converted, {failed} failed (see the responses marked failed)")
    if failed:
        raise SystemExit(1)


def _follow(session: Session, job_ids: list[int], total: int, timeout: int) -> int:
    """Show a progress bar until every job is done or failed; returns the failed participants."""
    import sqlalchemy as sa
    from sqlmodel import col

    from webapp.models import Job

    deadline = time.monotonic() + timeout if timeout else None
    shown = 0
    with click.progressbar(length=total, label="converting") as bar:
        while True:
            rows = session.execute(
                sa.select(col(Job.status), col(Job.done), col(Job.total), col(Job.result))
                .where(col(Job.id).in_(job_ids))).all()
            session.commit()  # end the read transaction: the next poll sees the workers' commits
            progress = sum(total_ if status in ("done", "failed") else done
                           for status, done, total_, _ in rows)
            bar.update(progress - shown)
            shown = progress
            if all(status in ("done", "failed") for status, *_ in rows):
                break
            if deadline is not None and time.monotonic() > deadline:
                raise click.ClickException("timed out; the jobs go on in the background")
            time.sleep(0.5)
    lost = sum(total_ for status, _, total_, _ in rows if status == "failed")
    return lost + sum(int((result or {}).get("failed", 0))
                      for status, _, _, result in rows if status == "done")
