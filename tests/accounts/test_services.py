"""Unit tests of lobscan.accounts.services: the rules, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lobscan.accounts import services
from lobscan.accounts.models import (
    Cycle,
    Membership,
    School,
    StaffInvitation,
    Team,
    User,
)
from lobscan.accounts.services import ServiceError
from lobscan.core import audit
from lobscan.core.db import utcnow
from lobscan.core.models import Event
from lobscan.extensions import db
from tests.conftest import PASSWORD

SECRET = "reset-secret-for-tests"
NOW = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("app_ctx")

# Every kind of change the accounts area makes; each has a Dutch sentence in audit.DESCRIPTIONS.
ACCOUNT_EVENT_KINDS = {
    "school.registered", "member.joined", "member.role_changed", "member.removed",
    "invite.created", "invite.revoked", "team.created", "team.renamed", "team.archived",
    "team.restored", "cycle.started",
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def kinds(school_id: int) -> list[str]:
    return list(db.session.scalars(
        select(Event.kind).where(Event.school_id == school_id).order_by(Event.id)))


def register(name="Testschool", email="admin@school.nl", today=dt.date(2026, 10, 1)):
    return services.register_school(name, "Anna Admin", email, PASSWORD, today)


def member(school_id: int, email: str, role: str) -> Membership:
    user = services.user_by_email(email) or services.create_user(
        email.split("@")[0].title(), email, PASSWORD)
    membership = Membership(school_id=school_id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def admin_membership(school: School, user: User) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.school_id == school.id,
                                                      Membership.user_id == user.id))


# --- school year and registration ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name", "starts", "ends"),
    [
        (dt.date(2026, 10, 1), "2026-2027", dt.date(2026, 8, 1), dt.date(2027, 7, 31)),
        (dt.date(2026, 3, 1), "2025-2026", dt.date(2025, 8, 1), dt.date(2026, 7, 31)),
        (dt.date(2026, 8, 1), "2026-2027", dt.date(2026, 8, 1), dt.date(2027, 7, 31)),
        (dt.date(2026, 7, 31), "2025-2026", dt.date(2025, 8, 1), dt.date(2026, 7, 31)),
    ],
)
def test_school_year_runs_from_august_to_july(day, name, starts, ends):
    assert services.school_year(day) == (name, starts, ends)


def test_register_school_creates_school_admin_team_and_current_cycle():
    school, user = register("  Het Baken  ", "  Anna@School.NL ")

    assert school.name == "Het Baken"
    assert user.email == "anna@school.nl"
    assert user.last_school_id == school.id
    assert user.password_hash != PASSWORD
    assert services.authenticate("anna@school.nl", PASSWORD).id == user.id

    membership = admin_membership(school, user)
    assert membership.role == "admin"
    teams = services.list_teams(school.id)
    assert [t.name for t in teams] == ["Mijn team"]
    cycle = teams[0].current_cycle
    assert (cycle.name, cycle.starts_on, cycle.ends_on) == (
        "2026-2027", dt.date(2026, 8, 1), dt.date(2027, 7, 31))
    assert cycle.school_id == school.id
    assert kinds(school.id) == ["school.registered", "team.created"]
    assert (count(School), count(User), count(Membership), count(Team), count(Cycle)) == (
        1, 1, 1, 1, 1)


def test_register_school_in_spring_gets_the_running_school_year():
    school, _ = register(today=dt.date(2026, 3, 1))
    assert services.list_teams(school.id)[0].current_cycle.name == "2025-2026"


def test_register_with_a_known_email_is_refused_and_writes_nothing():
    register("Eerste school", "anna@school.nl")
    before = [count(m) for m in (School, User, Membership, Team, Cycle, Event)]

    with pytest.raises(ServiceError) as caught:
        register("Tweede school", "ANNA@school.nl ")

    assert caught.value.status == 409
    assert caught.value.field == "email"
    assert "al een account" in str(caught.value.message)
    db.session.rollback()
    assert [count(m) for m in (School, User, Membership, Team, Cycle, Event)] == before
    assert db.session.scalar(select(School).where(School.name == "Tweede school")) is None


def test_authenticate_refuses_wrong_password_and_unknown_user():
    register()
    assert services.authenticate("admin@school.nl", "verkeerd-wachtwoord") is None
    assert services.authenticate("niemand@school.nl", PASSWORD) is None
    assert services.authenticate("ADMIN@school.nl", PASSWORD) is not None


# --- members ------------------------------------------------------------------------------------


def test_change_role_records_an_event():
    school, admin = register()
    colleague = member(school.id, "bert@school.nl", "member")

    services.change_role(school.id, admin.id, colleague.id, "coordinator")

    db.session.expire_all()
    assert db.session.get(Membership, colleague.id).role == "coordinator"
    event = db.session.scalar(select(Event).where(Event.kind == "member.role_changed"))
    assert event.actor_id == admin.id
    assert event.data == {"member": "Bert", "old": "member", "new": "coordinator"}
    assert audit.describe(event) == "wijzigde de rol van Bert van teamlid naar coördinator"


def test_change_role_refuses_an_unknown_role():
    school, admin = register()
    colleague = member(school.id, "bert@school.nl", "member")
    with pytest.raises(ServiceError):
        services.change_role(school.id, admin.id, colleague.id, "superuser")
    db.session.rollback()
    assert db.session.get(Membership, colleague.id).role == "member"


def test_the_last_admin_cannot_be_demoted_or_removed():
    school, admin = register()
    own = admin_membership(school, admin)
    member(school.id, "bert@school.nl", "coordinator")
    events_before = count(Event)

    with pytest.raises(ServiceError) as demote:
        services.change_role(school.id, admin.id, own.id, "coordinator")
    assert demote.value.status == 409
    assert "laatste beheerder" in str(demote.value.message)
    db.session.rollback()

    with pytest.raises(ServiceError) as remove:
        services.remove_member(school.id, admin.id, own.id)
    assert remove.value.status == 409
    db.session.rollback()

    assert db.session.get(Membership, own.id).role == "admin"
    assert count(Event) == events_before


def test_an_admin_may_step_down_when_another_admin_remains():
    school, admin = register()
    own = admin_membership(school, admin)
    other = member(school.id, "bert@school.nl", "admin")

    services.change_role(school.id, admin.id, own.id, "member")
    assert db.session.get(Membership, own.id).role == "member"
    # now Bert is the last admin
    with pytest.raises(ServiceError):
        services.remove_member(school.id, admin.id, other.id)


def test_remove_member_deletes_membership_and_forgets_the_chosen_school():
    school, admin = register()
    colleague = member(school.id, "bert@school.nl", "member")
    bert = services.user_by_email("bert@school.nl")
    bert.last_school_id = school.id
    db.session.commit()

    services.remove_member(school.id, admin.id, colleague.id)

    db.session.expire_all()
    assert db.session.get(Membership, colleague.id) is None
    assert services.user_by_email("bert@school.nl").last_school_id is None  # user itself remains
    assert kinds(school.id)[-1] == "member.removed"


def test_members_of_another_school_are_not_found():
    school, admin = register()
    other_school, _ = register("Andere school", "beheer@andere.nl")
    outsider = member(other_school.id, "carl@andere.nl", "member")

    from werkzeug.exceptions import NotFound

    with pytest.raises(NotFound):
        services.change_role(school.id, admin.id, outsider.id, "admin")
    with pytest.raises(NotFound):
        services.remove_member(school.id, admin.id, outsider.id)
    assert db.session.get(Membership, outsider.id).role == "member"
    assert [m.user.email for m in services.list_members(school.id)] == ["admin@school.nl"]


def test_remember_school_requires_membership():
    school, admin = register()
    other_school, _ = register("Andere school", "beheer@andere.nl")
    with pytest.raises(ServiceError) as caught:
        services.remember_school(admin, other_school.id)
    assert caught.value.status == 404
    member(other_school.id, "admin@school.nl", "member")
    db.session.refresh(admin)
    services.remember_school(admin, other_school.id)
    db.session.expire_all()
    assert db.session.get(User, admin.id).last_school_id == other_school.id


# --- teams and cycles ---------------------------------------------------------------------------


def test_create_team_gets_a_current_cycle_and_an_event():
    school, admin = register()
    team = services.create_team(school.id, admin.id, "  Team vmbo  ", dt.date(2027, 2, 1))
    assert team.name == "Team vmbo"
    assert team.current_cycle.name == "2026-2027"
    assert kinds(school.id)[-1] == "team.created"


def test_team_names_are_unique_per_school_ignoring_case():
    school, admin = register()
    with pytest.raises(ServiceError) as caught:
        services.create_team(school.id, admin.id, "MIJN TEAM", dt.date(2026, 10, 1))
    assert caught.value.status == 409
    db.session.rollback()
    assert count(Team) == 1

    other_school, other_admin = register("Andere school", "beheer@andere.nl")
    services.create_team(other_school.id, other_admin.id, "Team A", dt.date(2026, 10, 1))
    services.create_team(school.id, admin.id, "Team A", dt.date(2026, 10, 1))  # other school
    assert count(Team) == 4


def test_rename_team_checks_uniqueness_but_allows_a_change_of_case():
    school, admin = register()
    team = services.list_teams(school.id)[0]
    services.create_team(school.id, admin.id, "Team B", dt.date(2026, 10, 1))

    with pytest.raises(ServiceError) as caught:
        services.rename_team(school.id, admin.id, team.id, "team b")
    assert caught.value.status == 409
    db.session.rollback()

    services.rename_team(school.id, admin.id, team.id, "MIJN team")
    assert db.session.get(Team, team.id).name == "MIJN team"
    event = db.session.scalar(select(Event).where(Event.kind == "team.renamed"))
    assert event.data == {"old": "Mijn team", "new": "MIJN team"}


def test_archive_and_restore_write_events_and_are_idempotent():
    school, admin = register()
    team = services.list_teams(school.id)[0]

    services.set_team_archived(school.id, admin.id, team.id, True, NOW)
    assert db.session.get(Team, team.id).archived
    services.set_team_archived(school.id, admin.id, team.id, True, NOW)  # no second event
    services.set_team_archived(school.id, admin.id, team.id, False, NOW)
    assert not db.session.get(Team, team.id).archived
    assert kinds(school.id)[2:] == ["team.archived", "team.restored"]


def test_archived_teams_are_listed_last():
    school, admin = register()
    first = services.list_teams(school.id)[0]
    services.create_team(school.id, admin.id, "Zeta", dt.date(2026, 10, 1))
    services.set_team_archived(school.id, admin.id, first.id, True, NOW)
    assert [t.name for t in services.list_teams(school.id)] == ["Zeta", "Mijn team"]


def test_start_next_cycle_names_the_next_school_year():
    school, admin = register()
    team = services.list_teams(school.id)[0]

    cycle = services.start_next_cycle(school.id, admin.id, team.id)
    assert (cycle.name, cycle.starts_on, cycle.ends_on) == (
        "2027-2028", dt.date(2027, 8, 1), dt.date(2028, 7, 31))
    again = services.start_next_cycle(school.id, admin.id, team.id)
    assert again.name == "2028-2029"

    db.session.expire_all()
    team = db.session.get(Team, team.id)
    assert [c.name for c in team.cycles] == ["2028-2029", "2027-2028", "2026-2027"]
    assert team.current_cycle.name == "2028-2029"
    event = db.session.scalars(select(Event).where(Event.kind == "cycle.started")).first()
    assert event.data == {"cycle": "2027-2028", "team": "Mijn team"}


def test_an_archived_team_gets_no_new_cycle():
    school, admin = register()
    team = services.list_teams(school.id)[0]
    services.set_team_archived(school.id, admin.id, team.id, True, NOW)

    with pytest.raises(ServiceError) as caught:
        services.start_next_cycle(school.id, admin.id, team.id)
    assert caught.value.status == 409
    assert "gearchiveerd" in str(caught.value.message)
    db.session.rollback()
    assert count(Cycle) == 1
    assert "cycle.started" not in kinds(school.id)


# --- staff invitations --------------------------------------------------------------------------


def invite(school, actor, role="member", actor_role="admin", now=NOW, days=14, label=""):
    return services.create_invitation(school.id, actor.id, actor_role, role, label, now, days)


def test_create_invitation_has_an_unguessable_token_and_an_event():
    school, admin = register()
    invitation = invite(school, admin, "coordinator", label=" Bert ")
    other = invite(school, admin)

    assert len(invitation.token) >= 22
    assert invitation.token != other.token
    assert invitation.label == "Bert"
    assert invitation.expires_at == NOW + dt.timedelta(days=14)
    assert invitation.status(NOW) == "open"
    event = db.session.scalar(select(Event).where(Event.kind == "invite.created"))
    assert event.data == {"role": "coordinator", "label": "Bert"}
    assert audit.describe(event) == "maakte een uitnodiging als coördinator (voor Bert)"


@pytest.mark.parametrize("role", ["admin", "coordinator", "member", "management"])
def test_an_admin_may_invite_every_role(role):
    school, admin = register()
    assert invite(school, admin, role).role == role


@pytest.mark.parametrize("role", ["coordinator", "member", "management"])
def test_a_coordinator_may_invite_every_role_but_admin(role):
    school, admin = register()
    assert invite(school, admin, role, actor_role="coordinator").role == role


def test_a_coordinator_cannot_invite_an_admin():
    school, admin = register()
    with pytest.raises(ServiceError) as caught:
        invite(school, admin, "admin", actor_role="coordinator")
    assert caught.value.status == 403
    db.session.rollback()
    assert count(StaffInvitation) == 0
    assert "invite.created" not in kinds(school.id)


def test_invitation_status_open_expired_revoked_accepted():
    school, admin = register()
    invitation = invite(school, admin, days=14)
    assert invitation.status(NOW + dt.timedelta(days=13)) == "open"
    assert invitation.status(NOW + dt.timedelta(days=14)) == "expired"

    revoked = invite(school, admin)
    services.revoke_invitation(school.id, admin.id, revoked.id, NOW + dt.timedelta(hours=1))
    assert revoked.status(NOW + dt.timedelta(hours=2)) == "revoked"
    assert kinds(school.id)[-1] == "invite.revoked"

    accepted = invite(school, admin)
    bert = services.create_user("Bert", "bert@school.nl", PASSWORD)
    services.accept_invitation(accepted, bert, NOW + dt.timedelta(hours=1))
    assert accepted.status(NOW + dt.timedelta(hours=2)) == "accepted"
    # accepted wins over expiry: the history shows who used it
    assert accepted.status(NOW + dt.timedelta(days=30)) == "accepted"


def test_only_open_invitations_can_be_revoked():
    school, admin = register()
    invitation = invite(school, admin)
    services.revoke_invitation(school.id, admin.id, invitation.id, NOW)
    with pytest.raises(ServiceError) as caught:
        services.revoke_invitation(school.id, admin.id, invitation.id, NOW)
    assert caught.value.status == 409
    db.session.rollback()

    expired = invite(school, admin, days=1)
    with pytest.raises(ServiceError):
        services.revoke_invitation(school.id, admin.id, expired.id, NOW + dt.timedelta(days=2))
    db.session.rollback()
    assert kinds(school.id).count("invite.revoked") == 1


def test_accept_invitation_makes_a_member_with_the_invited_role():
    school, admin = register()
    invitation = invite(school, admin, "management")
    bert = services.create_user("Bert", "bert@school.nl", PASSWORD)

    membership = services.accept_invitation(invitation, bert, NOW)

    assert (membership.school_id, membership.user_id, membership.role) == (
        school.id, bert.id, "management")
    assert invitation.accepted_by_id == bert.id
    assert bert.last_school_id == school.id
    event = db.session.scalar(select(Event).where(Event.kind == "member.joined"))
    assert event.actor_id == bert.id
    assert audit.describe(event) == "Bert werd lid als schoolleiding"


def test_an_invitation_works_only_once():
    school, admin = register()
    invitation = invite(school, admin)
    bert = services.create_user("Bert", "bert@school.nl", PASSWORD)
    carl = services.create_user("Carl", "carl@school.nl", PASSWORD)
    services.accept_invitation(invitation, bert, NOW)

    with pytest.raises(ServiceError) as caught:
        services.accept_invitation(invitation, carl, NOW)
    assert caught.value.status == 410
    db.session.rollback()
    assert db.session.scalar(select(Membership).where(Membership.user_id == carl.id)) is None


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_closed_invitations_cannot_be_accepted(state):
    school, admin = register()
    invitation = invite(school, admin, days=1)
    when = NOW + dt.timedelta(hours=1)
    if state == "revoked":
        services.revoke_invitation(school.id, admin.id, invitation.id, NOW)
    else:
        when = NOW + dt.timedelta(days=2)
    bert = services.create_user("Bert", "bert@school.nl", PASSWORD)
    with pytest.raises(ServiceError) as caught:
        services.accept_invitation(invitation, bert, when)
    assert caught.value.status == 410
    db.session.rollback()
    assert count(Membership) == 1


def test_an_existing_member_cannot_accept_and_keeps_the_role():
    school, admin = register()
    invitation = invite(school, admin, "management")

    with pytest.raises(ServiceError) as caught:
        services.accept_invitation(invitation, admin, NOW)
    assert caught.value.status == 409
    assert "al lid" in str(caught.value.message)
    db.session.rollback()
    assert admin_membership(school, admin).role == "admin"
    assert db.session.get(StaffInvitation, invitation.id).status(NOW) == "open"


def test_register_and_accept_creates_the_account_and_the_membership():
    school, admin = register()
    invitation = invite(school, admin, "coordinator")

    user = services.register_and_accept(invitation, "Bert", "Bert@School.nl", PASSWORD, NOW)

    assert user.email == "bert@school.nl"
    assert [(m.school_id, m.role) for m in user.memberships] == [(school.id, "coordinator")]
    assert invitation.status(NOW) == "accepted"


def test_register_and_accept_with_a_known_email_writes_nothing():
    school, admin = register()
    invitation = invite(school, admin)
    users_before = count(User)
    with pytest.raises(ServiceError) as caught:
        services.register_and_accept(invitation, "Dubbel", "admin@school.nl", PASSWORD, NOW)
    assert caught.value.status == 409
    db.session.rollback()
    assert count(User) == users_before
    assert db.session.get(StaffInvitation, invitation.id).status(NOW) == "open"


def test_invitation_by_token():
    school, admin = register()
    invitation = invite(school, admin)
    assert services.invitation_by_token(invitation.token).id == invitation.id
    assert services.invitation_by_token(invitation.token[:-1]) is None
    assert services.invitation_by_token("") is None
    assert services.invitation_by_token("x" * 65) is None


# --- passwords and sessions ---------------------------------------------------------------------


def test_reset_token_works_once():
    _, user = register()
    token = services.make_reset_token(user, SECRET)
    assert services.user_for_reset_token(token, SECRET, 3600).id == user.id
    assert services.user_for_reset_token(token, SECRET, 3600).id == user.id  # reading is harmless

    services.set_password(user, "een-nieuw-wachtwoord")

    assert services.user_for_reset_token(token, SECRET, 3600) is None


def test_reset_token_is_invalid_after_any_password_change():
    _, user = register()
    token = services.make_reset_token(user, SECRET)
    services.set_password(user, PASSWORD)  # even the same password gets a new hash
    assert services.user_for_reset_token(token, SECRET, 3600) is None


def test_reset_token_expires_after_max_age(monkeypatch):
    _, user = register()
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 2 * 3600)
        old_token = services.make_reset_token(user, SECRET)

    assert services.user_for_reset_token(old_token, SECRET, 3600) is None
    assert services.user_for_reset_token(old_token, SECRET, 3 * 3600).id == user.id


def test_tampered_or_foreign_reset_tokens_are_rejected():
    _, user = register()
    other = services.create_user("Bert", "bert@school.nl", PASSWORD)
    token = services.make_reset_token(user, SECRET)
    payload, rest = token.split(".", 1)
    forged = services.make_reset_token(other, SECRET).split(".", 1)[0] + "." + rest

    assert services.user_for_reset_token(forged, SECRET, 3600) is None
    flipped = token[:2] + ("A" if token[2] != "A" else "B") + token[3:]
    assert services.user_for_reset_token(flipped, SECRET, 3600) is None
    assert services.user_for_reset_token(token, "another-secret", 3600) is None
    assert services.user_for_reset_token("", SECRET, 3600) is None
    assert services.user_for_reset_token("not-a-token", SECRET, 3600) is None


def test_a_reset_token_for_a_deleted_user_is_rejected():
    user = services.create_user("Bert", "bert@school.nl", PASSWORD)
    token = services.make_reset_token(user, SECRET)
    db.session.delete(user)
    db.session.commit()
    assert services.user_for_reset_token(token, SECRET, 3600) is None


def test_set_password_rotates_the_session_token():
    _, user = register()
    old_session = user.session_token
    assert services.user_by_session_token(old_session).id == user.id

    services.set_password(user, "een-nieuw-wachtwoord")

    assert user.session_token != old_session
    assert services.user_by_session_token(old_session) is None
    assert services.user_by_session_token(user.session_token).id == user.id
    assert services.authenticate("admin@school.nl", "een-nieuw-wachtwoord") is not None
    assert services.authenticate("admin@school.nl", PASSWORD) is None
    assert services.user_by_session_token("") is None


def test_every_user_has_a_different_session_token():
    a = services.create_user("A", "a@school.nl", PASSWORD)
    b = services.create_user("B", "b@school.nl", PASSWORD)
    assert a.session_token and b.session_token and a.session_token != b.session_token
    assert len(a.session_token) >= 22


# --- the audit trail ----------------------------------------------------------------------------


def test_every_change_writes_a_describable_event():
    school, admin = register()
    team = services.list_teams(school.id)[0]
    colleague = member(school.id, "bert@school.nl", "member")
    services.create_team(school.id, admin.id, "Team B", dt.date(2026, 10, 1))
    services.rename_team(school.id, admin.id, team.id, "Team A")
    services.set_team_archived(school.id, admin.id, team.id, True, NOW)
    services.set_team_archived(school.id, admin.id, team.id, False, NOW)
    services.start_next_cycle(school.id, admin.id, team.id)
    services.change_role(school.id, admin.id, colleague.id, "coordinator")
    invitation = invite(school, admin, label="Carl")
    services.revoke_invitation(school.id, admin.id, invitation.id, NOW)
    services.register_and_accept(invite(school, admin), "Dirk", "dirk@school.nl", PASSWORD, NOW)
    services.remove_member(school.id, admin.id, colleague.id)

    events = list(db.session.scalars(select(Event).where(Event.school_id == school.id)
                                     .order_by(Event.id)))
    assert {e.kind for e in events} == ACCOUNT_EVENT_KINDS
    assert ACCOUNT_EVENT_KINDS <= set(audit.DESCRIPTIONS)
    for event in events:
        text = audit.describe(event)
        assert text != event.kind and "%(" not in text, event.kind
    # events are tenant data
    assert all(e.school_id == school.id for e in events)
    described = [audit.describe(e) for e in events]
    assert "hernoemde team Mijn team naar Team A" in described
    assert "startte cyclus 2027-2028 voor team Team A" in described
    assert "trok een uitnodiging als teamlid in (voor Carl)" in described
    assert "verwijderde Bert uit de school" in described


def test_audit_page_is_newest_first_and_per_school():
    school, admin = register()
    other, _ = register("Andere school", "beheer@andere.nl")
    services.create_team(school.id, admin.id, "Team B", dt.date(2026, 10, 1))
    events, total = audit.page(school.id, 1, per_page=2)
    assert total == 3
    assert [e.kind for e in events] == ["team.created", "team.created"]
    assert events[0].data == {"team": "Team B"}
    older, _ = audit.page(school.id, 2, per_page=2)
    assert [e.kind for e in older] == ["school.registered"]
    assert audit.page(other.id, 1)[1] == 2


def test_unknown_event_kinds_are_described_by_their_kind():
    school, admin = register()
    event = audit.record(school.id, admin.id, "something.new", None)
    assert audit.describe(event) == "something.new"


def test_utcnow_is_aware():
    assert utcnow().tzinfo is not None
