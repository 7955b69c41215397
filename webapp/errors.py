"""Error pages in the visitor's language, never a stack trace; JSON for the API and health check."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from webapp.db import Busy

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Something in the request was not right"), _l("Please go back and try again.")),
    403: (_l("You cannot open this page"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("The link may be old or mistyped. Please check it and try again.")),
    405: (_l("This action is not possible here"), _l("Please go back and try again.")),
    413: (_l("What you sent is too large"), _l("Please send less text or a smaller file.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"), _l("Please try again in a moment.")),
    503: (_l("The service is busy"), _l("Please try again in a moment.")),
}


#: What the 500 and 503 pages say about the visitor's last answers (the truth, see ``_what_was_saved``).
NOT_SAVED = _l("What you sent last was not saved. Please go back and send it again in a moment.")
MAYBE_SAVED = _l("What you sent last may not have been saved completely. Please go back, check it and send "
                 "it again if needed.")
NOTHING_SENT = _l("Nothing you entered was lost. Please try again in a moment.")


def _what_was_saved() -> Any:
    """The truth about the last request's data: a GET sent nothing; a write that committed nothing
    was not saved; one that committed something before failing may be saved only in part."""
    from webapp.db import READ_METHODS, committed

    if request.method in READ_METHODS:
        return NOTHING_SENT
    return MAYBE_SAVED if committed() else NOT_SAVED


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/healthz"))


def render_error(code: int, *, title: str | None = None, message: str | None = None) -> tuple[str | dict, int]:
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return {"error": {"status": code, "message": str(title or default_title)}}, code
    return (
        render_template("errors/error.html", code=code, title=title or default_title,
                        message=message or default_message),
        code,
    )


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_e: CSRFError) -> tuple[str | dict, int]:
        from flask_babel import gettext as _

        return render_error(400, title=_("This page has expired"),
                            message=_("Please go back, reload the page and send it again. Your saved answers "
                                      "are kept."))

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Any:
        if e.code is None:
            return e.get_response()
        response = make_response(render_error(e.code))
        if isinstance(e, MethodNotAllowed) and e.valid_methods:
            response.headers["Allow"] = ", ".join(e.valid_methods)  # RFC 9110: a 405 lists what is allowed
        return response

    @app.errorhandler(Busy)
    def _busy(_e: Busy) -> tuple[str | dict, int]:
        return render_error(503, message=str(_what_was_saved()))

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> tuple[str | dict, int]:
        log.exception("unhandled error on %s %s", request.method, request.path, exc_info=e)
        return render_error(InternalServerError.code, message=str(_what_was_saved()))
