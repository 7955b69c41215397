"""Who may do what in which study: one place for the role checks every view and API call makes.

Roles per study, from most to least privileged: ``owner``, ``researcher``, ``interviewer``, ``viewer``;
a global admin has every role in every study. Views declare what they need with
:func:`study_view`, which loads the study named by the ``study`` URL argument and answers 404 for an
unknown study and 403 for a user without a sufficient role (401 → sign-in for anonymous visitors).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user, login_required
from sqlmodel import Session, select

from webapp.db import db_session
from webapp.models import Membership
from webapp.services.studies import study_or_404

F = TypeVar("F", bound=Callable[..., Any])

#: What each role may do. Views ask for a permission, not a role.
PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset({"view", "view_records", "manage", "export", "export_pii", "view_contact", "audit",
                        "schedule", "interview", "tokens", "withdraw", "code", "code_all"}),
    "researcher": frozenset({"view", "view_records", "export", "schedule", "interview", "code", "code_all"}),
    "interviewer": frozenset({"view", "interview", "code"}),
    "viewer": frozenset({"view"}),
}


def role_in(*, session: Session, user: Any, study_id: int) -> str | None:
    """The user's role in the study (``"owner"`` for a global admin), or None."""
    if getattr(user, "is_admin", False):
        return "owner"
    membership = session.exec(
        select(Membership).where(Membership.user_id == user.id, Membership.study_id == study_id)
    ).first()
    return membership.role if membership else None


def can(*, session: Session, user: Any, study_id: int, permission: str) -> bool:
    """Whether the user's role in the study (admins: owner) includes ``permission``."""
    role = role_in(session=session, user=user, study_id=study_id)
    return role is not None and permission in PERMISSIONS[role]


def study_view(permission: str) -> Callable[[F], F]:
    """Decorate a view of a URL with ``<study>`` (the slug): the view gets ``study``, the row.

    The slug is looked up (404 when unknown), ``permission`` checked against the user's role (403), and
    the row passed to the view as ``study`` and kept in ``g.study`` (with ``g.role``) for templates and
    helpers.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session = db_session()
            study = study_or_404(session=session, slug=kwargs.pop("study", None))
            role = role_in(session=session, user=current_user, study_id=study.id)  # type: ignore[arg-type]
            if role is None or permission not in PERMISSIONS[role]:
                abort(403)
            g.study = study
            g.role = role
            return view(*args, study=study, **kwargs)

        #: Read by the role-matrix test (and anyone listing who may open what).
        wrapper.keireki_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def permission_of(view: Callable[..., Any]) -> str | None:
    """The permission a view declared with :func:`study_view`, or None for views without one."""
    return getattr(view, "keireki_permission", None)
