"""The researchers' area: the list of studies, a study's dashboard, participants, their pages, the audit log.

``init_app(app)`` registers the ``research`` blueprint (``/studies/...``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.research import routes
    from webapp.research.services import labels

    app.register_blueprint(routes.bp)
    labels.init_filters(app)
