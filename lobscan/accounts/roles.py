"""What each role in a school may do. One table, read by views, templates and tests."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lobscan.accounts.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("beheerder"),
    Role.COORDINATOR: _l("coördinator"),
    Role.MEMBER: _l("teamlid"),
    Role.MANAGEMENT: _l("schoolleiding"),
}

ROLE_HELP = {
    Role.ADMIN: _l("alles, ook leden en rollen beheren"),
    Role.COORDINATOR: _l("teams, cycli en uitnodigingen beheren"),
    Role.MEMBER: _l("teams bekijken en meewerken"),
    Role.MANAGEMENT: _l("alles van de school inzien"),
}

ALL = frozenset(Role)
PERMISSIONS: dict[str, frozenset[Role]] = {
    "view": ALL,
    "manage_teams": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "invite": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "manage_members": frozenset({Role.ADMIN}),
    "view_activity": frozenset({Role.ADMIN, Role.MANAGEMENT}),
}


def can(role: str | None, permission: str) -> bool:
    if role is None:
        return False
    return Role(role) in PERMISSIONS[permission]


def role_label(role: str) -> str:
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def invitable_roles(inviter_role: str) -> list[Role]:
    """Admins may invite any role; coordinators everyone but admins."""
    # The least powerful role first: it is the form's default.
    roles = [Role.MEMBER, Role.COORDINATOR, Role.MANAGEMENT]
    if Role(inviter_role) == Role.ADMIN:
        roles.append(Role.ADMIN)
    return roles
