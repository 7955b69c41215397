"""Security headers on every response: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from flask import Flask, Response, abort, g, request
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


def refuse_nul() -> None:
    """No page's path holds a NUL character: 404, before any view or hook runs.

    PostgreSQL cannot compare or store text with NUL, so a ``%00`` in a study slug, participant code or token
    reaching a query would be a 500 (SQLite just finds nothing). Query arguments are each view's to check.
    """
    if "\x00" in request.path:
        abort(404)


def init_security(app: Flask) -> None:
    hops = app.config["KEIREKI"].proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)

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
        if response.mimetype == "text/html":
            # Pages may show personal data: never kept in shared caches or the back-forward cache of a shared phone.
            h.setdefault("Cache-Control", "no-store")
        return response
