"""Researchers' side of recruitment: channels (an agency, a group, a post) and their links as QR codes."""

from __future__ import annotations

import io
import re

import segno
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from webapp.auth.roles import study_view
from webapp.db import db_session
from webapp.models import Channel, Participant, Study
from webapp.participate import channels_bp

_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def channel_link(study: Study, channel: Channel) -> str:
    """The public recruitment link of a channel."""
    base = current_app.config["KEIREKI"].base_url
    return f"{base}{url_for('participate.start', study=study.slug, c=channel.code)}"


@channels_bp.route("/studies/<study>/channels", methods=["GET", "POST"])
@study_view("manage")
def list_channels(study: Study) -> ResponseReturnValue:
    session = db_session()
    error = None
    if request.method == "POST":
        code = request.form.get("code", "").strip().lower()[:64]
        label = request.form.get("label", "").strip()[:200]
        if not _CODE.fullmatch(code) or not label:
            error = _("Give a code of lower-case letters, digits, - or _, and a label.")
        else:
            try:
                with session.begin_nested():
                    session.add(Channel(study_id=study.id, code=code, label=label))  # type: ignore[arg-type]
                session.commit()
                flash(_("The channel was created."))
                return redirect(url_for("channels.list_channels", study=study.slug), code=303)
            except IntegrityError:
                error = _("A channel with this code exists already.")
    channels = session.exec(select(Channel).where(Channel.study_id == study.id).order_by(Channel.code)).all()
    counts = {}
    for channel in channels:
        counts[channel.id] = len(
            session.exec(select(Participant.id).where(Participant.channel_id == channel.id)).all()
        )
    return render_template(
        "participate/channels.html",
        study=study,
        channels=channels,
        counts=counts,
        error=error,
        link=lambda ch: channel_link(study, ch),
    ), (422 if error else 200)


@channels_bp.route("/studies/<study>/channels/<code>.<kind>")
@study_view("manage")
def channel_qr(study: Study, code: str, kind: str) -> ResponseReturnValue:
    if kind not in ("png", "svg"):
        abort(404)
    channel = (
        db_session().exec(select(Channel).where(Channel.study_id == study.id, Channel.code == code[:64])).first()
    )
    if channel is None:
        abort(404)
    qr = segno.make(channel_link(study, channel), error="m")
    out = io.BytesIO()
    if kind == "png":
        qr.save(out, kind="png", scale=10, border=4)
    else:
        qr.save(out, kind="svg", scale=10, border=4, xmldecl=True, svgns=True)
    return Response(
        out.getvalue(),
        mimetype="image/png" if kind == "png" else "image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{study.slug}-{channel.code}.{kind}"'},
    )
