"""No bearer token in a log line: personal links, booking manage links and invitation links are cut.

:func:`install` wraps the process's log-record factory, so every record — whatever writes it: gunicorn's
``gunicorn.access``, waitress, werkzeug's development server, Celery or the app's own loggers — has its
message and exception text rewritten by :func:`redact` before any handler sees it. SQLAlchemy's bound
parameters (answers, contact details) never reach a message: the engine is made with ``hide_parameters=True``
(:func:`webapp.db.make_engine`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: Paths whose segment after the prefix is a bearer secret: ``/s/<study>/p/<token>``, ``/i/<token>``,
#: ``/auth/invite/<token>``.
TOKEN_PATHS = re.compile(r"(/s/[^/\s?#\"']+/p/|(?<![\w.-])/i/|/auth/invite/)[^/\s?#\"']+")
#: Query arguments that carry a secret.
TOKEN_ARGS = re.compile(r"([?&](?:token|code|resume|key)=)[^&\s#\"']+", re.IGNORECASE)
CUT = "…"
_FORMATTER = logging.Formatter()


def redact(text: str) -> str:
    """``text`` with every token path segment and secret query value replaced by ``…``."""
    return TOKEN_ARGS.sub(r"\1" + CUT, TOKEN_PATHS.sub(r"\1" + CUT, text))


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with :func:`redact` applied to its message and, if it has one, its traceback text."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return record
    cut = redact(message)
    if cut != message:
        record.msg, record.args = cut, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
    return record


def install() -> None:
    """Make every log record of this process pass through :func:`redact_record` (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "keireki_redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(factory(*args, **kwargs))

    make_record.keireki_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
