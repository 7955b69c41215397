"""Security headers on every response: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)


#: Types of responses that may carry personal data: pages, the API's JSON, calendar files.
PRIVATE_TYPES = frozenset({"text/html", "application/json", "text/calendar"})


def private_response(response: Response) -> bool:
    """True for a page, JSON, a calendar file or any download (transcripts, bundles): kept in no cache."""
    disposition = response.headers.get("Content-Disposition", "")
    return response.mimetype in PRIVATE_TYPES or disposition.lower().startswith("attachment")


def refuse_nul() -> None:
    """No page's path holds a NUL character: 404, before any view or hook runs.

    PostgreSQL cannot compare or store text with NUL, so a ``%00`` in a study slug, participant code or token
    reaching a query would be a 500 (SQLite just finds nothing). Query arguments are each view's to check.
    """
    if "\x00" in request.path:
        abort(404)


F = TypeVar("F", bound=Callable[..., Any])
#: Room for the multipart framing and the form's other fields around an uploaded file.
UPLOAD_OVERHEAD = 256 * 1024


def allows_upload(view: F | None = None, *, when: Callable[[dict[str, Any]], bool] | None = None) -> Any:
    """Mark a view that takes a file upload: its requests may be ``KEIREKI_UPLOAD_MAX_BYTES`` (plus the form
    around the file) instead of the small ``KEIREKI_MAX_CONTENT_LENGTH`` every other request keeps.
    ``@allows_upload(when=f)``: only for requests whose URL arguments ``f`` accepts (a form page that asks
    for a file); every other request to the view keeps the small limit."""

    def mark(target: F) -> F:
        target.keireki_upload = when or True  # type: ignore[attr-defined]
        return target

    return mark(view) if view is not None else mark


def upload_limit() -> None:
    """Raise this request's body limit for views marked :func:`allows_upload` (before CSRF reads the form)."""
    view = current_app.view_functions.get(request.endpoint or "")
    flag = getattr(view, "keireki_upload", False) if view is not None else False
    if callable(flag) and request.method == "POST":
        length, small = request.content_length, request.max_content_length
        if length is not None and small is not None and length <= small:
            return  # a body the small limit lets through: the larger one would change nothing (no check, no query)
        try:
            flag = flag(dict(request.view_args or {}))
        except Exception:  # noqa: BLE001 - a failing check keeps the small limit; the view reports the problem
            flag = False
    if flag is True:
        request.max_content_length = int(current_app.config["KEIREKI"].upload_max_bytes) + UPLOAD_OVERHEAD


def init_security(app: Flask) -> None:
    hops = app.config["KEIREKI"].proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.before_request_funcs.setdefault(None, []).insert(0, upload_limit)
    app.before_request_funcs[None].insert(0, refuse_nul)

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        # geolocation only for this site's own pages that ask a geographic question (webapp/forms/fields_geo.py)
        geo = "(self)" if g.get("wants_geolocation") else "()"
        h.setdefault("Permissions-Policy", f"camera=(), microphone=(), geolocation={geo}, payment=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if private_response(response):
            # Pages may show personal data: never kept in shared caches or the back-forward cache of a shared phone.
            h.setdefault("Cache-Control", "no-store")
        return response
