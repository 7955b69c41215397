"""The coding area: transcripts as sources, the codebook, coding passages, agreement, REFI-QDA exchange.

``routes.py`` (HTTP only) calls ``services/`` (keyword-only operations); the pure parts — paragraphs and
offsets, agreement statistics, .qdpx XML — are in ``core/`` and tested with plain data.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.coding.routes import bp
    from webapp.coding.routes_codebook import bp as codebook_bp
    from webapp.coding.services.bundle import files_for_export
    from webapp.exports.services import bundle_files

    app.register_blueprint(bp)
    app.register_blueprint(codebook_bp)
    bundle_files.connect(files_for_export)
