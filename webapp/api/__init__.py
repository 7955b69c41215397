"""The read-only JSON API (``/api/v1/``, per-study bearer tokens) and the owners' token pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.api.routes import data, tokens

    app.register_blueprint(data.bp)
    app.register_blueprint(tokens.bp)
