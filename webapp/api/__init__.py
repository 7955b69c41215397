"""The read-only JSON API (``/api/v1/``, per-study bearer tokens) and the owners' token pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.api import pages, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(pages.bp)
