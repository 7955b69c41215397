"""``GET /healthz``: database, broker and a real worker ping; 503 naming what is down."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from webapp.db import get_db

bp = Blueprint("health", __name__)


def check_database() -> str:
    try:
        with get_db().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported by name
        return f"error: {type(exc).__name__}"
    return "ok"


def check_broker() -> str:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"
    return "ok"


def check_worker(timeout: float = 2.0) -> str:
    celery = current_app.extensions["celery"]
    try:
        replies = celery.control.ping(timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"
    return "ok" if replies else "error: no worker answered"


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    status = {"database": check_database(), "broker": check_broker()}
    status["worker"] = check_worker() if status["broker"] == "ok" else "error: broker down"
    code = 200 if all(v == "ok" for v in status.values()) else 503
    return status, code
