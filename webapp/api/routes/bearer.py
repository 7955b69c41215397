"""Bearer-token authentication of the API: every call names its study's token."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from flask_limiter.util import get_remote_address
from limits import parse_many

from webapp.api.services import authenticate
from webapp.crypto import hash_token
from webapp.db import db_session
from webapp.extensions import limiter
from webapp.models import Study

F = TypeVar("F", bound=Callable[..., Any])

#: Calls without a valid token, per address over the whole API. Only failures count and only failures are
#: refused once the limit is reached: a made-up token cannot lock a valid one (or ``/openapi.json``) out.
AUTH_FAILURE_LIMIT = "20 per minute; 200 per hour"


class Unauthorized(Exception):
    """No valid bearer token (answered 401 with ``WWW-Authenticate: Bearer``)."""


class TooManyFailures(Exception):
    """Too many calls without a valid token from this address (answered 429 with ``Retry-After``)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed attempts")
        self.retry_after = retry_after


def _count_failure() -> None:
    """Count a call without a valid token against its address; TooManyFailures when over the limit."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    spec = str(current_app.config.get("KEIREKI_API_AUTH_FAILURE_LIMIT", AUTH_FAILURE_LIMIT))
    address = get_remote_address()
    strategy = limiter.limiter
    for item in parse_many(spec):
        if not strategy.hit(item, "api-auth-failures", address):
            reset = strategy.get_window_stats(item, "api-auth-failures", address).reset_time
            raise TooManyFailures(max(1, int(reset - time.time())))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_key() -> str:
    """Rate limits count per token (hashed), else per address."""
    token = bearer_token()
    if token:
        return "api:" + hash_token(token)[:32]
    return "api-ip:" + get_remote_address()


def token_required(view: F) -> F:
    """Authenticate the bearer token into ``g.api_token`` and its study into ``g.token_study``.

    A view of a URL with ``<study>`` (the slug) gets ``study``, the row: the token's study, which the
    slug must name (:func:`study_of_token`).
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        session = db_session()
        row = authenticate(session=session, token=token) if token else None
        if row is None:
            _count_failure()
            raise Unauthorized()
        g.api_token = row
        g.token_study = session.get(Study, row.study_id)
        if "study" in kwargs:
            kwargs["study"] = study_of_token(kwargs["study"])
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def study_of_token(slug: str) -> Study:
    """The study named in the path, which must be the token's (404 otherwise: no probing other studies)."""
    study: Study | None = g.token_study
    if study is None or study.slug != slug:
        abort(404)
    return study
