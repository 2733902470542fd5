"""The current school, and the one way to query school data.

The school is resolved once per request from the session (validated against the user's
memberships). Every read of tenant data goes through scoped() or get_in_school(): a row of
another school is simply not found, so its id answers 404, never 403 and never data.
"""

from __future__ import annotations

from functools import wraps
from typing import TypeVar

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import Select, select

from lobscan.accounts.models import Membership, School
from lobscan.accounts.roles import can
from lobscan.extensions import db

M = TypeVar("M")


def scoped(model: type[M], school_id: int) -> Select:
    return select(model).where(model.school_id == school_id)  # type: ignore[attr-defined]


def get_in_school(model: type[M], school_id: int, object_id: int) -> M:
    obj = db.session.scalar(
        scoped(model, school_id).where(model.id == object_id)  # type: ignore[attr-defined]
    )
    if obj is None:
        abort(404)
    return obj


def membership_for(user_id: int, school_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.school_id == school_id)
    )


def resolve_school() -> None:
    """before_request: set g.school and g.membership for a logged-in user, or None."""
    g.school = None
    g.membership = None
    if request.endpoint == "static":  # no user, no queries for stylesheets and scripts
        return
    if not current_user.is_authenticated:
        return
    memberships = current_user.memberships
    chosen = session.get("school_id") or current_user.last_school_id
    membership = next((m for m in memberships if m.school_id == chosen), None)
    if membership is None and len(memberships) == 1:
        membership = memberships[0]
    if membership is not None:
        session["school_id"] = membership.school_id
        g.school = membership.school
        g.membership = membership
    else:
        session.pop("school_id", None)


def current_school() -> School:
    if g.get("school") is None:
        abort(404)
    return g.school


def current_role() -> str | None:
    membership = g.get("membership")
    return membership.role if membership is not None else None


def school_required(permission: str = "view"):
    """Login, a chosen school, and the given permission in it (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if g.get("school") is None:
                return redirect(url_for("accounts.choose_school", next=request.full_path.rstrip("?")))
            if not can(current_role(), permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
