"""The exports area: start an export bundle, follow its progress, download it until it expires.

The bundle itself is written by :mod:`workers.exports` (pure writers) from the rows that
:mod:`webapp.exports.services` reads; the Celery task is ``keireki.build_export``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.exports.routes import bp

    app.register_blueprint(bp)
