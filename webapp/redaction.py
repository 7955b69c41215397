"""No bearer token in a log line: personal links, booking manage links and invitation links are cut; and
waitress's per-request queue warning is kept to one line a minute (:func:`throttle_queue_warnings`).

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


class _Throttle(logging.Filter):
    """At most one record per :data:`THROTTLE` seconds, with the count of those held back and the
    largest figure among them (waitress's ``Task queue depth is N``: one line per queued request)."""

    def __init__(self) -> None:
        super().__init__()
        self._next = 0.0
        self._held = 0
        self._deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        deepest = max(self._deepest, depth if isinstance(depth, int) else 0)
        if record.created < self._next:
            self._held += 1
            self._deepest = deepest
            return False
        if self._held:
            record.msg = f"Task queue depth is %d (at most {deepest} in the last {THROTTLE:.0f} s, " \
                         f"{self._held} more such lines held back)"
        self._next, self._held, self._deepest = record.created + THROTTLE, 0, 0
        return True


#: Seconds between two lines of waitress's queue-depth warning.
THROTTLE = 60.0


def throttle_queue_warnings() -> None:
    """waitress warns once per request queued while its threads are busy (hundreds of lines a second
    under load, written while it holds its dispatcher's lock): keep one line a minute (idempotent)."""
    logger = logging.getLogger("waitress.queue")
    if not any(isinstance(f, _Throttle) for f in logger.filters):
        logger.addFilter(_Throttle())
