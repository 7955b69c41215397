"""The researchers' area: the list of studies, a study's dashboard, participants, their pages, the audit log.

``init_app(app)`` registers the ``research`` blueprint (``/studies/...``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.research import labels, views

    app.register_blueprint(views.bp)
    labels.init_filters(app)
