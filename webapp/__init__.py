"""Keireki's web application: ``create_app()`` builds it; importing this package connects to nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.config import Settings, load_settings


def create_app(overrides: dict[str, Any] | None = None, *, settings: Settings | None = None) -> Flask:
    """Build the app. ``overrides`` are Flask config keys (tests pass ``KEIREKI_ENGINE`` and friends)."""
    app = Flask(__name__, instance_relative_config=False)
    settings = settings or load_settings()
    app.config.update(
        KEIREKI=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="keireki_session",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        WTF_CSRF_TIME_LIMIT=None,  # the session bounds it; a slow participant must not lose a page
        PREFERRED_URL_SCHEME="https" if settings.production else "http",
        JSON_SORT_KEYS=False,
    )
    if overrides:
        app.config.update(overrides)

    from webapp import db, errors, extensions, files, redaction, security

    redaction.install()
    redaction.throttle_queue_warnings()
    files.make_private(settings)
    db.init_db(app)
    extensions.init_babel(app)
    from webapp.services import times

    times.init_filters(app)
    extensions.init_csrf(app)
    extensions.init_login(app)
    extensions.init_limiter(app)
    security.init_security(app)
    errors.init_errors(app)
    from workers.celery_app import init_celery

    init_celery(app)
    init_blueprints(app)
    db.replay_views(app)
    from webapp import assets

    assets.init_assets(app)
    return app


def init_blueprints(app: Flask) -> None:
    """Register one blueprint per user-facing area (each area package has an ``init_app(app)``)."""
    from webapp import api, auth, coding, exports, health, participate, research, schedule

    app.register_blueprint(health.bp)
    for area in (auth, participate, schedule, research, exports, coding, api):
        area.init_app(app)
