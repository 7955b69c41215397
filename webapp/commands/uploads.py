"""``keireki uploads clean``: drop the hidden metadata of pictures stored before uploads were cleaned on arrival."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("uploads")
def uploads_group() -> None:
    """Files participants sent for upload questions."""


@uploads_group.command("clean")
@with_appcontext
def clean_command() -> None:
    """Strip EXIF (GPS position, time, camera), XMP and comments from every stored picture and turn it upright
    (webapp.services.uploads.clean_picture); files already clean are left as they are."""
    from webapp.db import db_session
    from webapp.services import audit, uploads

    session = db_session()
    counts = uploads.clean_stored(session=session)
    audit.record(session=session, action="upload.clean", actor="cli", detail=counts)
    session.commit()
    click.echo(f"pictures: {counts['checked']} checked, {counts['cleaned']} cleaned, "
               f"{counts['unreadable']} could not be read (left as they were)")
