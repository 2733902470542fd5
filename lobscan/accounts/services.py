"""Schools, accounts, memberships, invitations, teams and cycles.

Services take explicit arguments (school id, actor id, data), write inside one transaction
with their audit event, and raise ServiceError with a Dutch message for the user.
"""

from __future__ import annotations

import datetime as dt
import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from lobscan.accounts.models import (
    Cycle,
    Membership,
    Role,
    School,
    StaffInvitation,
    Team,
    TeamMember,
    User,
    new_token,
)
from lobscan.accounts.roles import invitable_roles
from lobscan.core import audit
from lobscan.core.tenancy import get_in_school, scoped
from lobscan.extensions import db


class ServiceError(Exception):
    """A refusal the user should read; `status` is the HTTP status the view answers with."""

    def __init__(self, message, status: int = 400, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


# --- users and login -------------------------------------------------------------------------

_DUMMY_HASHES: dict[str, str] = {}


def hash_password(password: str) -> str:
    """scrypt by default; PASSWORD_HASH_METHOD exists so the test suite can use a cheap one."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


def normalize_email(email: str) -> str:
    return email.strip().lower()


def user_by_session_token(token: str) -> User | None:
    if not token:
        return None
    return db.session.scalar(
        select(User)
        .options(selectinload(User.memberships).selectinload(Membership.school))
        .where(User.session_token == token)
    )


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(email: str, password: str) -> User | None:
    user = user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)  # same work either way: no user enumeration
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _new_user(name: str, email: str, password: str) -> User:
    email = normalize_email(email)
    if user_by_email(email) is not None:
        raise ServiceError(
            _l("Er bestaat al een account met dit e-mailadres. Log in of vraag een nieuw wachtwoord aan."),
            status=409,
            field="email",
        )
    user = User(name=name.strip(), email=email, password_hash=hash_password(password))
    db.session.add(user)
    return user


def create_user(name: str, email: str, password: str) -> User:
    user = _new_user(name, email, password)
    _commit_or_conflict()
    return user


def set_password(user: User, password: str) -> None:
    """New password; every other session of this user is logged out."""
    user.password_hash = hash_password(password)
    user.session_token = new_token()
    db.session.commit()


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="lobscan.password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token, so a link stops working once the password has changed (single use).
    return user.password_hash[-16:]


def make_reset_token(user: User, secret_key: str) -> str:
    return _reset_serializer(secret_key).dumps([user.id, _password_fingerprint(user)])


def user_for_reset_token(token: str, secret_key: str, max_age: int) -> User | None:
    try:
        user_id, fingerprint = _reset_serializer(secret_key).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not hmac.compare_digest(str(fingerprint), _password_fingerprint(user)):
        return None
    return user


def remember_school(user: User, school_id: int) -> Membership:
    """The user's chosen school; it sticks across logins. Not a member: 404 for the caller."""
    membership = next((m for m in user.memberships if m.school_id == school_id), None)
    if membership is None:
        raise ServiceError(_l("Deze school is niet gevonden."), status=404)
    if user.last_school_id != school_id:
        user.last_school_id = school_id
        db.session.commit()
    return membership


def _commit_or_conflict() -> None:
    try:
        db.session.commit()
    except IntegrityError as error:  # a concurrent request won the race
        db.session.rollback()
        raise ServiceError(
            _l("Dit is intussen al door iemand anders vastgelegd. Laad de pagina opnieuw."),
            status=409,
        ) from error


# --- schools -----------------------------------------------------------------------------------


def register_school(
    school_name: str, user_name: str, email: str, password: str, today: dt.date
) -> tuple[School, User]:
    """A new school with its first admin, a first team and that team's current cycle."""
    user = _new_user(user_name, email, password)
    school = School(name=school_name.strip())
    db.session.add(school)
    db.session.flush()
    db.session.add(Membership(school_id=school.id, user=user, role=Role.ADMIN.value))
    db.session.flush()
    user.last_school_id = school.id
    team = _add_team(school.id, str(_l("Mijn team")), today)
    audit.record(school.id, user.id, "school.registered", school, school=school.name)
    audit.record(school.id, user.id, "team.created", team, team=team.name)
    _commit_or_conflict()
    return school, user


# --- members -----------------------------------------------------------------------------------


def list_members(school_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            scoped(Membership, school_id)
            .options(selectinload(Membership.user))
            .join(User)
            .order_by(func.lower(User.name), User.id)
        )
    )


def _admin_count(school_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.school_id == school_id, Membership.role == Role.ADMIN.value)
    ) or 0


def _last_admin_error() -> ServiceError:
    return ServiceError(
        _l("Dit is de laatste beheerder van de school. Maak eerst iemand anders beheerder."),
        status=409,
    )


def change_role(school_id: int, actor_id: int, membership_id: int, role: str) -> Membership:
    if role not in {r.value for r in Role}:
        raise ServiceError(_l("Kies een geldige rol."), field="role")
    membership = get_in_school(Membership, school_id, membership_id)
    old = membership.role
    if old == role:
        return membership
    if old == Role.ADMIN.value and _admin_count(school_id) <= 1:
        raise _last_admin_error()
    membership.role = role
    audit.record(school_id, actor_id, "member.role_changed", membership,
                 member=membership.user.name, old=old, new=role)
    db.session.commit()
    return membership


def remove_member(school_id: int, actor_id: int, membership_id: int) -> None:
    membership = get_in_school(Membership, school_id, membership_id)
    if membership.role == Role.ADMIN.value and _admin_count(school_id) <= 1:
        raise _last_admin_error()
    user = membership.user
    audit.record(school_id, actor_id, "member.removed", membership, member=user.name)
    if user.last_school_id == school_id:
        user.last_school_id = None
    for team_member in db.session.scalars(scoped(TeamMember, school_id).where(
            TeamMember.user_id == user.id)):
        db.session.delete(team_member)
    db.session.delete(membership)
    db.session.commit()


# --- staff invitations -------------------------------------------------------------------------


def list_invitations(school_id: int) -> list[StaffInvitation]:
    return list(
        db.session.scalars(
            scoped(StaffInvitation, school_id)
            .options(selectinload(StaffInvitation.accepted_by))
            .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc())
            .limit(200)
        )
    )


def create_invitation(
    school_id: int, actor_id: int, actor_role: str, role: str, label: str, now: dt.datetime,
    days: int,
) -> StaffInvitation:
    if role not in {r.value for r in invitable_roles(actor_role)}:
        raise ServiceError(_l("Deze rol mag jij niet uitdelen."), status=403, field="role")
    invitation = StaffInvitation(
        school_id=school_id,
        role=role,
        label=label.strip(),
        created_by_id=actor_id,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(school_id, actor_id, "invite.created", invitation, role=role,
                 label=invitation.label)
    db.session.commit()
    return invitation


def revoke_invitation(school_id: int, actor_id: int, invitation_id: int,
                      now: dt.datetime) -> StaffInvitation:
    invitation = get_in_school(StaffInvitation, school_id, invitation_id)
    if invitation.status(now) != "open":
        raise ServiceError(_l("Deze uitnodiging is al gebruikt, verlopen of ingetrokken."),
                           status=409)
    invitation.revoked_at = now
    audit.record(school_id, actor_id, "invite.revoked", invitation, role=invitation.role,
                 label=invitation.label)
    db.session.commit()
    return invitation


def invitation_by_token(token: str) -> StaffInvitation | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(StaffInvitation).where(StaffInvitation.token == token))


def accept_invitation(invitation: StaffInvitation, user: User, now: dt.datetime) -> Membership:
    """Join the school of `invitation`. A link works once; an existing member keeps their role."""
    if invitation.status(now) != "open":
        raise ServiceError(_l("Deze uitnodiging is al gebruikt, verlopen of ingetrokken. "
                              "Vraag om een nieuwe link."), status=410)
    existing = db.session.scalar(
        select(Membership).where(Membership.school_id == invitation.school_id,
                                 Membership.user_id == user.id)
    )
    if existing is not None:
        raise ServiceError(_l("Je bent al lid van deze school."), status=409)
    membership = Membership(school_id=invitation.school_id, user=user, role=invitation.role)
    db.session.add(membership)
    invitation.accepted_at = now
    invitation.accepted_by = user
    user.last_school_id = invitation.school_id
    db.session.flush()
    audit.record(invitation.school_id, user.id, "member.joined", membership,
                 member=user.name, role=invitation.role)
    _commit_or_conflict()
    return membership


def register_and_accept(invitation: StaffInvitation, name: str, email: str, password: str,
                        now: dt.datetime) -> User:
    if invitation.status(now) != "open":
        raise ServiceError(_l("Deze uitnodiging is al gebruikt, verlopen of ingetrokken. "
                              "Vraag om een nieuwe link."), status=410)
    user = _new_user(name, email, password)
    db.session.flush()
    accept_invitation(invitation, user, now)
    return user


# --- teams and cycles --------------------------------------------------------------------------


def school_year(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The Dutch school year containing `day`: 1 August to 31 July, named "2026-2027"."""
    start_year = day.year if day.month >= 8 else day.year - 1
    return (
        f"{start_year}-{start_year + 1}",
        dt.date(start_year, 8, 1),
        dt.date(start_year + 1, 7, 31),
    )


def _add_team(school_id: int, name: str, today: dt.date) -> Team:
    team = Team(school_id=school_id, name=name.strip())
    db.session.add(team)
    db.session.flush()
    cycle_name, starts, ends = school_year(today)
    db.session.add(Cycle(school_id=school_id, team=team, name=cycle_name, starts_on=starts,
                         ends_on=ends))
    db.session.flush()
    return team


def _check_unique_team_name(school_id: int, name: str, exclude_id: int | None = None) -> None:
    query = scoped(Team, school_id).where(func.lower(Team.name) == name.strip().lower())
    if exclude_id is not None:
        query = query.where(Team.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ServiceError(_l("Er is al een team met deze naam."), status=409, field="name")


def list_teams(school_id: int) -> list[Team]:
    return list(
        db.session.scalars(
            scoped(Team, school_id)
            .options(selectinload(Team.cycles))
            .order_by(Team.archived_at.is_not(None), func.lower(Team.name), Team.id)
        )
    )


def create_team(school_id: int, actor_id: int, name: str, today: dt.date) -> Team:
    _check_unique_team_name(school_id, name)
    team = _add_team(school_id, name, today)
    audit.record(school_id, actor_id, "team.created", team, team=team.name)
    db.session.commit()
    return team


def rename_team(school_id: int, actor_id: int, team_id: int, name: str) -> Team:
    team = get_in_school(Team, school_id, team_id)
    name = name.strip()
    if name == team.name:
        return team
    _check_unique_team_name(school_id, name, exclude_id=team.id)
    audit.record(school_id, actor_id, "team.renamed", team, old=team.name, new=name)
    team.name = name
    db.session.commit()
    return team


def set_team_archived(school_id: int, actor_id: int, team_id: int, archived: bool,
                      now: dt.datetime) -> Team:
    team = get_in_school(Team, school_id, team_id)
    if team.archived == archived:
        return team
    team.archived_at = now if archived else None
    audit.record(school_id, actor_id, "team.archived" if archived else "team.restored", team,
                 team=team.name)
    db.session.commit()
    return team


def start_next_cycle(school_id: int, actor_id: int, team_id: int) -> Cycle:
    """The school year after the team's latest cycle."""
    team = get_in_school(Team, school_id, team_id)
    if team.archived:
        raise ServiceError(_l("Een gearchiveerd team krijgt geen nieuwe cyclus."), status=409)
    latest = team.current_cycle
    day = latest.ends_on + dt.timedelta(days=1) if latest else dt.date.today()
    name, starts, ends = school_year(day)
    cycle = Cycle(school_id=school_id, team=team, name=name, starts_on=starts, ends_on=ends)
    db.session.add(cycle)
    db.session.flush()
    audit.record(school_id, actor_id, "cycle.started", cycle, cycle=name, team=team.name)
    _commit_or_conflict()
    return cycle



# --- team members ------------------------------------------------------------------------------


def team_members(school_id: int, team_id: int) -> list[TeamMember]:
    return list(db.session.scalars(
        scoped(TeamMember, school_id)
        .options(selectinload(TeamMember.user))
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
        .order_by(func.lower(User.name), User.id)
    ))


def add_team_member(school_id: int, actor_id: int, team_id: int, user_id: int) -> TeamMember:
    team = get_in_school(Team, school_id, team_id)
    membership = db.session.scalar(select(Membership).where(
        Membership.school_id == school_id, Membership.user_id == user_id))
    if membership is None:
        raise ServiceError(_l("Kies een collega van deze school."), status=422, field="user_id")
    exists_already = db.session.scalar(scoped(TeamMember, school_id).where(
        TeamMember.team_id == team.id, TeamMember.user_id == user_id))
    if exists_already is not None:
        raise ServiceError(_l("Deze collega hoort al bij het team."), status=409,
                           field="user_id")
    member = TeamMember(school_id=school_id, team_id=team.id, user_id=user_id)
    db.session.add(member)
    db.session.flush()
    audit.record(school_id, actor_id, "team.member_added", member, team=team.name,
                 member=membership.user.name)
    _commit_or_conflict()
    return member


def remove_team_member(school_id: int, actor_id: int, team_member_id: int) -> Team:
    member = get_in_school(TeamMember, school_id, team_member_id)
    team = member.team
    audit.record(school_id, actor_id, "team.member_removed", member, team=team.name,
                 member=member.user.name)
    db.session.delete(member)
    db.session.commit()
    return team


def can_see_team(school_id: int, user_id: int, role: str | None, team_id: int) -> bool:
    """Admins, coordinators and management see every team; a plain member only their own."""
    if role in {Role.ADMIN.value, Role.COORDINATOR.value, Role.MANAGEMENT.value}:
        return True
    if role != Role.MEMBER.value:
        return False
    return db.session.scalar(scoped(TeamMember, school_id).where(
        TeamMember.team_id == team_id, TeamMember.user_id == user_id)) is not None
