"""The app as ``keireki serve`` runs it, plus one trivial route: the baseline of ``bench/web.py``.

    PYTHONPATH=bench python -m waitress --call web_app:app

``/__bench/trivial`` answers GET and POST with a few bytes, through the same app, hooks and server.
"""

from __future__ import annotations

from flask import Flask

TRIVIAL = "/__bench/trivial"


def app() -> Flask:
    from webapp import create_app
    from webapp.extensions import csrf

    application = create_app()

    @application.route(TRIVIAL, methods=["GET", "POST"])
    def bench_trivial() -> str:
        return "ok"

    csrf.exempt(bench_trivial)
    return application
