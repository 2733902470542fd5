"""HTTP tests: staff invitation links, from making one to joining with it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lobscan.accounts import services
from lobscan.accounts.models import Membership, StaffInvitation, User
from lobscan.core.db import utcnow
from lobscan.core.models import Event
from lobscan.extensions import db
from tests.conftest import PASSWORD

JOIN_LINK = re.compile(r'value="(https?://[^"]+/join/([^"]+))"')


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def school(make_school):
    school_id, _ = make_school()
    return school_id


@pytest.fixture
def invitation(app):
    """invitation(token) -> (role, status) of the stored invitation."""

    def get(token: str):
        with app.app_context():
            row = db.session.scalar(select(StaffInvitation).where(StaffInvitation.token == token))
            result = (row.role, row.status()) if row else None
            db.session.remove()
            return result

    return get


@pytest.fixture
def make_invitation(app, school):
    """make_invitation(role, days_ago=0, revoked=False, days=14) -> token, made by the admin."""

    def make(role="member", days_ago=0, revoked=False, days=14) -> str:
        with app.app_context():
            admin = services.user_by_email("admin@school.nl")
            now = utcnow() - dt.timedelta(days=days_ago)
            created = services.create_invitation(school, admin.id, "admin", role, "", now, days)
            if revoked:
                services.revoke_invitation(school, admin.id, created.id, now)
            token = created.token
            db.session.remove()
            return token

    return make


@pytest.fixture
def memberships_of(app):
    def get(email: str) -> list[tuple[int, str]]:
        with app.app_context():
            rows = db.session.execute(
                select(Membership.school_id, Membership.role).join(User)
                .where(User.email == email).order_by(Membership.school_id)
            ).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    return get


def role_options(page: str) -> list[str]:
    select_html = page[page.index('<select'):page.index('</select>')]
    return re.findall(r'<option[^>]*value="([^"]+)"', select_html)


# --- making links -------------------------------------------------------------------------------


def test_admin_makes_an_invitation_link(client, school, invitation, count):
    client.login("admin@school.nl")
    page = text(client.get("/invitations"))
    assert "Collega's uitnodigen" in page
    assert "Nog geen uitnodigingen." in page
    assert sorted(role_options(page)) == ["admin", "coordinator", "management", "member"]

    response = client.post("/invitations", {"role": "coordinator", "label": "Bert"})

    assert response.status_code == 201
    page = text(response)
    assert "Uitnodiging gemaakt" in page
    assert "Stuur deze link aan je collega (als coördinator):" in page
    link, token = JOIN_LINK.search(page).groups()
    assert link.endswith(f"/join/{token}")
    assert len(token) >= 22
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert invitation(token) == ("coordinator", "open")
    assert "Bert" in page and "open tot" in page
    assert count(Event) == 3  # registered, first team, invitation


def test_invitation_links_are_unique(client, school, count):
    client.login("admin@school.nl")
    tokens = {JOIN_LINK.search(text(client.post("/invitations", {"role": "member"}))).group(2)
              for _ in range(5)}
    assert len(tokens) == 5
    assert count(StaffInvitation) == 5


def test_make_an_invitation_with_htmx(client, school):
    client.login("admin@school.nl")
    response = client.post("/invitations", {"role": "member", "label": ""}, htmx=True)
    assert response.status_code == 201
    page = text(response)
    assert "<html" not in page
    assert re.match(r'\s*<div[^>]*id="invitations"', page)
    assert "Stuur deze link aan je collega (als teamlid):" in page


def test_a_coordinator_makes_links_but_not_for_admins(client, school, add_member, count):
    add_member(school, "coord@school.nl", "coordinator")
    client.login("coord@school.nl")

    page = text(client.get("/invitations"))
    assert sorted(role_options(page)) == ["coordinator", "management", "member"]
    assert client.post("/invitations", {"role": "management"}).status_code == 201
    assert count(StaffInvitation) == 1
    events = count(Event)

    forced = client.post("/invitations", {"role": "admin"})

    assert forced.status_code == 422
    page = text(forced)
    assert "Verbeter de velden met een melding." in page
    assert "Uitnodiging gemaakt" not in page
    assert count(StaffInvitation) == 1
    assert count(Event) == events


def test_an_unknown_role_is_refused(client, school, count):
    client.login("admin@school.nl")
    response = client.post("/invitations", {"role": "superuser"})
    assert response.status_code == 422
    assert count(StaffInvitation) == 0


def test_a_too_long_label_is_refused(client, school, count):
    client.login("admin@school.nl")
    response = client.post("/invitations", {"role": "member", "label": "x" * 121})
    assert response.status_code == 422
    assert "Gebruik maximaal 120 tekens." in text(response)
    assert count(StaffInvitation) == 0


@pytest.mark.parametrize("role", ["member", "management"])
def test_members_and_management_cannot_invite(client, school, add_member, count, role):
    add_member(school, "lid@school.nl", role)
    client.login("lid@school.nl")
    page = client.get("/invitations")
    assert page.status_code == 403
    assert "Geen toegang" in text(page)
    assert "Uitnodigen" not in text(client.get("/teams"))  # not in the menu
    assert client.post("/invitations", {"role": "member"}).status_code == 403
    assert count(StaffInvitation) == 0


def test_revoke_an_invitation(client, school, make_invitation, invitation, app):
    token = make_invitation()
    client.login("admin@school.nl")
    with app.app_context():
        invitation_id = db.session.scalar(select(StaffInvitation.id))
        db.session.remove()

    response = client.post(f"/invitations/{invitation_id}/revoke")

    assert response.status_code == 303
    page = text(client.get("/invitations"))
    assert "De uitnodiging is ingetrokken; de link werkt niet meer." in page
    assert "ingetrokken" in page
    assert f"/join/{token}" not in page  # the link is no longer offered
    assert invitation(token) == ("member", "revoked")

    again = client.post(f"/invitations/{invitation_id}/revoke")
    assert again.status_code == 303
    assert "al gebruikt, verlopen of ingetrokken" in text(client.get("/invitations"))


def test_the_list_shows_every_state(client, school, make_invitation, make_client):
    make_invitation("member", revoked=True)
    make_invitation("coordinator", days_ago=20)
    used = make_invitation("management")
    make_client().post(f"/join/{used}", {"new-name": "Dirk", "new-email": "dirk@school.nl",
                                          "new-password": PASSWORD})
    make_invitation("member")
    client.login("admin@school.nl")
    page = text(client.get("/invitations"))
    assert "ingetrokken" in page
    assert "verlopen" in page
    assert "gebruikt door Dirk" in page
    assert "open tot" in page


def test_an_invitation_of_another_school_cannot_be_revoked(client, school, make_school, app,
                                                           add_member):
    other, _ = make_school("Andere school", "beheer@andere.nl")
    with app.app_context():
        actor = services.user_by_email("beheer@andere.nl")
        foreign = services.create_invitation(other, actor.id, "admin", "member", "", utcnow(), 14)
        foreign_id, token = foreign.id, foreign.token
        db.session.remove()
    client.login("admin@school.nl")
    assert client.post(f"/invitations/{foreign_id}/revoke").status_code == 404
    assert token not in text(client.get("/invitations"))
    assert client.get(f"/join/{token}").status_code == 200  # still open


# --- joining ------------------------------------------------------------------------------------


def test_join_with_a_new_account(client, school, make_invitation, invitation, memberships_of,
                                 count):
    token = make_invitation("coordinator")
    page = client.get(f"/join/{token}")
    assert page.status_code == 200
    assert "Je bent uitgenodigd voor Testschool" in text(page)
    assert "Je wordt lid als coördinator." in text(page)

    response = client.post(f"/join/{token}", {"new-name": "Bert Bakker",
                                              "new-email": "Bert@School.nl",
                                              "new-password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/start")
    teams = text(client.get("/teams"))
    assert "Welkom bij Testschool!" in teams
    assert "Bert Bakker" in teams
    assert memberships_of("bert@school.nl") == [(school, "coordinator")]
    assert invitation(token) == ("coordinator", "accepted")
    assert count(User) == 2


def test_join_with_bad_fields_is_422_and_writes_nothing(client, school, make_invitation,
                                                       invitation, count):
    token = make_invitation()
    response = client.post(f"/join/{token}", {"new-name": "", "new-email": "geen-adres",
                                              "new-password": "kort"})
    assert response.status_code == 422
    page = text(response)
    assert "Vul dit veld in." in page
    assert "Vul een geldig e-mailadres in." in page
    assert "Kies een wachtwoord van 10 tot 128 tekens." in page
    assert count(User) == 1
    assert invitation(token) == ("member", "open")


def test_join_with_the_email_of_an_existing_account_is_409(client, school, make_invitation,
                                                          invitation, count):
    token = make_invitation()
    response = client.post(f"/join/{token}", {"new-name": "Anna", "new-email": "admin@school.nl",
                                              "new-password": "iets-anders-123"})
    assert response.status_code == 409
    assert "Er bestaat al een account met dit e-mailadres" in text(response)
    assert count(User) == 1
    assert invitation(token) == ("member", "open")


def test_join_as_a_logged_in_user_of_another_school(client, school, make_school,
                                                    make_invitation, invitation,
                                                    memberships_of):
    other, _ = make_school("Andere school", "bert@andere.nl")
    token = make_invitation("management")
    client.login("bert@andere.nl")

    page = text(client.get(f"/join/{token}"))
    assert "Je bent ingelogd als Anna Admin (bert@andere.nl)." in page
    assert "Word lid van Testschool" in page

    response = client.post(f"/join/{token}")

    assert response.status_code == 303
    assert "Testschool" in text(client.get("/teams"))  # the new school is the current one
    assert set(memberships_of("bert@andere.nl")) == {(school, "management"), (other, "admin")}
    assert invitation(token) == ("management", "accepted")


def test_login_from_the_join_page_comes_back_to_it(client, school, make_school,
                                                   make_invitation):
    make_school("Andere school", "bert@andere.nl")
    token = make_invitation()
    page = text(client.get(f"/join/{token}"))
    assert f"/login?next=/join/{token}" in page
    login = client.post(f"/login?next=/join/{token}", {"email": "bert@andere.nl",
                                                       "password": PASSWORD})
    assert login.headers["Location"] == f"/join/{token}"


def test_an_existing_member_cannot_join_again(client, school, make_invitation, invitation,
                                              memberships_of):
    token = make_invitation("management")
    client.login("admin@school.nl")

    response = client.post(f"/join/{token}")

    assert response.status_code == 409
    assert "Je bent al lid van deze school." in text(response)
    assert memberships_of("admin@school.nl") == [(school, "admin")]
    assert invitation(token) == ("management", "open")


@pytest.mark.parametrize("state", ["revoked", "expired", "used"])
def test_a_closed_link_is_410_in_dutch(client, make_client, school, make_invitation, count,
                                       state):
    if state == "revoked":
        token = make_invitation(revoked=True)
    elif state == "expired":
        token = make_invitation(days_ago=15, days=14)
    else:
        token = make_invitation()
        first = make_client().post(f"/join/{token}", {"new-name": "Eerste",
                                                      "new-email": "eerste@school.nl",
                                                      "new-password": PASSWORD})
        assert first.status_code == 303
    users = count(User)

    page = client.get(f"/join/{token}")
    assert page.status_code == 410
    assert "Deze uitnodiging is niet meer geldig" in text(page)
    assert '<html lang="nl">' in text(page)

    response = client.post(f"/join/{token}", {"new-name": "Tweede",
                                              "new-email": "tweede@school.nl",
                                              "new-password": PASSWORD})
    assert response.status_code == 410
    assert count(User) == users


def test_an_unknown_link_is_404(client, school, make_invitation):
    token = make_invitation()
    for bad in ("zomaar-iets", token[:-1], token + "x", "x" * 80):
        response = client.get(f"/join/{bad}")
        assert response.status_code == 404, bad
        assert "Niet gevonden" in text(response)


def test_join_needs_the_csrf_token(client, school, make_invitation, invitation, count):
    token = make_invitation()
    response = client.post(f"/join/{token}", {"new-name": "Bert", "new-email": "bert@school.nl",
                                              "new-password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert count(User) == 1
    assert invitation(token) == ("member", "open")
