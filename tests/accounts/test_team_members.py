"""Team members: a plain member ('teamlid') sees the scans and results of their own teams only."""

from __future__ import annotations

from sqlalchemy import func, select

from lobscan.accounts.models import TeamMember
from lobscan.extensions import db


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TeamMember))


def test_coordinator_adds_and_removes_a_team_member(client, app, make_school, add_member,
                                                   make_scan):
    school_id, admin_id = make_school()
    member_id = add_member(school_id, "lid@school.nl", "member", name="Lotte Lid")
    scan = make_scan(school_id, admin_id)
    client.login("admin@school.nl")
    team_url = f"/teams/{scan['team_id']}"
    assert "Lotte Lid (lid@school.nl)" in client.get(team_url).get_data(as_text=True)

    response = client.post(f"{team_url}/members", {"user_id": member_id}, htmx=True)
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    assert 'id="team-members"' in body and "<html" not in body
    assert "Lotte Lid" in body and "hoort nu bij het team" in body
    assert _count(app) == 1

    again = client.post(f"{team_url}/members", {"user_id": member_id})
    assert again.status_code == 422  # no longer offered: "Ongeldige keuze"
    assert _count(app) == 1

    with app.app_context():
        team_member_id = db.session.scalar(select(TeamMember.id))
    removed = client.post(f"/team-members/{team_member_id}/remove", htmx=True)
    assert removed.status_code == 200
    assert "hoort niet meer bij het team" in removed.get_data(as_text=True)
    assert _count(app) == 0


def test_a_member_sees_only_the_results_of_their_own_team(client, make_client, app, make_school,
                                                          add_member, make_scan):
    school_id, admin_id = make_school()
    member_id = add_member(school_id, "lid@school.nl", "member")
    scan = make_scan(school_id, admin_id)
    member = make_client()
    member.login("lid@school.nl")
    for url in (f"/scans/{scan['id']}", f"/scans/{scan['id']}/results",
                f"/scans/{scan['id']}/results.json"):
        assert member.get(url).status_code == 403, url
    assert "Geen toegang" in member.get(f"/scans/{scan['id']}/results").get_data(as_text=True)

    client.login("admin@school.nl")
    assert client.post(f"/teams/{scan['team_id']}/members",
                       {"user_id": member_id}).status_code == 201
    for url in (f"/scans/{scan['id']}", f"/scans/{scan['id']}/results",
                f"/scans/{scan['id']}/results.json"):
        assert member.get(url).status_code == 200, url


def test_management_sees_every_team_and_a_member_cannot_manage_teams(make_client, make_school,
                                                                    add_member, make_scan):
    school_id, admin_id = make_school()
    add_member(school_id, "directie@school.nl", "management")
    other = add_member(school_id, "lid@school.nl", "member")
    scan = make_scan(school_id, admin_id)
    management = make_client()
    management.login("directie@school.nl")
    assert management.get(f"/scans/{scan['id']}/results").status_code == 200
    assert management.post(f"/teams/{scan['team_id']}/members",
                           {"user_id": other}).status_code == 403


def test_removing_someone_from_the_school_removes_their_team_places(client, app, make_school,
                                                                    add_member, make_scan):
    school_id, admin_id = make_school()
    member_id = add_member(school_id, "lid@school.nl", "member")
    scan = make_scan(school_id, admin_id)
    client.login("admin@school.nl")
    client.post(f"/teams/{scan['team_id']}/members", {"user_id": member_id})
    assert _count(app) == 1
    with app.app_context():
        from lobscan.accounts.models import Membership

        membership_id = db.session.scalar(select(Membership.id).where(
            Membership.user_id == member_id))
    assert client.post(f"/members/{membership_id}/remove").status_code == 303
    assert _count(app) == 0


def test_someone_of_another_school_cannot_be_added(client, app, make_school, add_member,
                                                   make_scan):
    school_id, admin_id = make_school()
    other_school, _ = make_school("Andere school", "admin@ander.nl")
    stranger = add_member(other_school, "vreemde@ander.nl", "member")
    scan = make_scan(school_id, admin_id)
    client.login("admin@school.nl")
    page = client.get(f"/teams/{scan['team_id']}").get_data(as_text=True)
    assert "vreemde@ander.nl" not in page
    response = client.post(f"/teams/{scan['team_id']}/members", {"user_id": stranger})
    assert response.status_code == 422
    assert _count(app) == 0
