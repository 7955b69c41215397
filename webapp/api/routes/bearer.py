"""Bearer-token authentication of the API: every call names its study's token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request
from flask_limiter.util import get_remote_address

from webapp.api.services import authenticate
from webapp.crypto import hash_token
from webapp.db import db_session
from webapp.models import Study

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(Exception):
    """No valid bearer token (answered 401 with ``WWW-Authenticate: Bearer``)."""


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
