"""The exports area: start an export bundle, follow its progress, download it until it expires.

The bundle itself is written by :mod:`workers.exports` (pure writers) from the rows that
:mod:`webapp.exports.services` reads; the Celery task is ``keireki.build_export``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.exports.routes import bp
    from webapp.exports.services import bundle_files
    from webapp.services import uploads
    from webapp.services.withdrawal import participant_withdrawn

    app.register_blueprint(bp)
    participant_withdrawn.connect(_delete_bundles)
    bundle_files.connect(uploads.bundle_files)  # uploads.csv; the files only with personal data


def _delete_bundles(participant: Any, **kw: Any) -> None:
    """Receiver of :data:`webapp.services.withdrawal.participant_withdrawn`: stored bundles holding the
    participant are deleted (every personal-data bundle; with erasure, every bundle)."""
    from webapp.exports.services import delete_bundles_of

    delete_bundles_of(session=kw["session"], participant=participant, erase=bool(kw.get("erase")),
                      actor=str(kw.get("actor", "system")), user_id=kw.get("user_id"))
