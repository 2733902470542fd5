"""HTTP tests: the members page, roles and removing members."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lobscan.accounts.models import Membership
from lobscan.core.models import Event
from lobscan.extensions import db


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def school(make_school, add_member):
    """Testschool with admin Anna, member Bert and coordinator Carl."""
    school_id, _ = make_school()
    add_member(school_id, "bert@school.nl", "member", name="Bert Bakker")
    add_member(school_id, "carl@school.nl", "coordinator", name="Carl Claes")
    return school_id


@pytest.fixture
def membership(app):
    """membership(school_id, email) -> (id, role) or None."""

    def get(school_id: int, email: str):
        from lobscan.accounts.models import User

        with app.app_context():
            row = db.session.execute(
                select(Membership.id, Membership.role).join(User)
                .where(Membership.school_id == school_id, User.email == email)
            ).first()
            db.session.remove()
            return tuple(row) if row else None

    return get


@pytest.fixture
def events(app):
    def count() -> int:
        with app.app_context():
            n = db.session.scalar(select(func.count()).select_from(Event))
            db.session.remove()
            return n

    return count


@pytest.fixture
def admin(client, school):
    client.login("admin@school.nl")
    return client


def test_members_page_lists_everyone_with_their_role(admin, school, membership):
    response = admin.get("/members")
    assert response.status_code == 200
    page = text(response)
    assert "Leden van Testschool" in page
    for name, email, role in [("Anna Admin", "admin@school.nl", "beheerder"),
                              ("Bert Bakker", "bert@school.nl", "teamlid"),
                              ("Carl Claes", "carl@school.nl", "coördinator")]:
        member_id = membership(school, email)[0]
        row = page[page.index(f'id="member-{member_id}"'):]
        row = row[:row.index("</li>")]
        assert name in row and email in row and f"Rol: {role}" in row
    assert "Rol wijzigen" in page
    assert "Collega uitnodigen" in page
    # alphabetical by name
    assert page.index("Anna Admin") < page.index("Bert Bakker") < page.index("Carl Claes")


def test_members_of_another_school_are_not_listed(admin, school, make_school, add_member):
    other, _ = make_school("Andere school", "beheer@andere.nl")
    add_member(other, "vreemd@andere.nl", "member", name="Vera Vreemd")
    page = text(admin.get("/members"))
    assert "Vera Vreemd" not in page and "beheer@andere.nl" not in page


@pytest.mark.parametrize("role", ["member", "coordinator", "management"])
def test_other_roles_see_the_list_without_controls(client, school, role, add_member):
    add_member(school, "kijker@school.nl", role, name="Kijker")
    client.login("kijker@school.nl")
    response = client.get("/members")
    assert response.status_code == 200
    page = text(response)
    assert "Bert Bakker" in page
    assert "Rol wijzigen" not in page
    assert "Verwijderen" not in page


def test_admin_changes_a_role_as_a_whole_page(admin, school, membership, events):
    bert = membership(school, "bert@school.nl")[0]
    before = events()

    response = admin.post(f"/members/{bert}/role", {"role": "management"})

    assert response.status_code == 200
    page = text(response)
    assert "<html" in page
    assert "De rol van Bert Bakker is gewijzigd." in page
    assert membership(school, "bert@school.nl") == (bert, "management")
    assert events() == before + 1


def test_admin_changes_a_role_with_htmx_and_gets_the_row(admin, school, membership):
    bert = membership(school, "bert@school.nl")[0]

    response = admin.post(f"/members/{bert}/role", {"role": "coordinator"}, htmx=True)

    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert re.match(rf'\s*<li[^>]*id="member-{bert}"', page)  # the row itself, to swap
    assert "Rol: coördinator" in page
    assert '<option value="coordinator" selected>' in page
    assert 'hx-swap-oob="true"' in page
    assert "De rol van Bert Bakker is gewijzigd." in page
    assert membership(school, "bert@school.nl") == (bert, "coordinator")


@pytest.mark.parametrize("htmx", [False, True])
def test_the_last_admin_cannot_be_demoted(admin, school, membership, events, htmx):
    anna = membership(school, "admin@school.nl")[0]
    before = events()

    response = admin.post(f"/members/{anna}/role", {"role": "member"}, htmx=htmx)

    assert response.status_code == 409
    page = text(response)
    assert "Dit is de laatste beheerder van de school." in page
    assert ("<html" in page) is not htmx
    if htmx:
        assert f'id="member-{anna}"' in page
        assert "Rol: beheerder" in page
    assert membership(school, "admin@school.nl") == (anna, "admin")
    assert events() == before


@pytest.mark.parametrize("htmx", [False, True])
def test_the_last_admin_cannot_be_removed(admin, school, membership, events, htmx):
    anna = membership(school, "admin@school.nl")[0]
    before = events()

    response = admin.post(f"/members/{anna}/remove", htmx=htmx)

    if htmx:
        assert response.status_code == 409
        assert "Dit is de laatste beheerder van de school." in text(response)
        assert f'id="member-{anna}"' in text(response)
    else:
        assert response.status_code == 303
        assert "Dit is de laatste beheerder van de school." in text(admin.get("/members"))
    assert membership(school, "admin@school.nl") == (anna, "admin")
    assert events() == before


def test_an_invalid_role_is_422_and_changes_nothing(admin, school, membership):
    bert = membership(school, "bert@school.nl")[0]
    response = admin.post(f"/members/{bert}/role", {"role": "superuser"}, htmx=True)
    assert response.status_code == 422
    assert "Kies een geldige rol." in text(response)
    assert membership(school, "bert@school.nl") == (bert, "member")


def test_an_admin_can_step_down_when_another_admin_exists(admin, school, membership):
    carl = membership(school, "carl@school.nl")[0]
    anna = membership(school, "admin@school.nl")[0]
    assert admin.post(f"/members/{carl}/role", {"role": "admin"}).status_code == 200

    response = admin.post(f"/members/{anna}/role", {"role": "coordinator"}, htmx=True)

    # you lose the right to manage members: htmx loads the page anew
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith("/members")
    assert membership(school, "admin@school.nl") == (anna, "coordinator")
    page = text(admin.get("/members"))
    assert "Rol wijzigen" not in page
    assert admin.post(f"/members/{carl}/role", {"role": "member"}).status_code == 403


def test_admin_removes_a_member(admin, school, membership, events):
    bert = membership(school, "bert@school.nl")[0]
    before = events()

    response = admin.post(f"/members/{bert}/remove")

    assert response.status_code == 303
    page = text(admin.get("/members"))
    assert "Bert Bakker is uit de school verwijderd." in page
    assert f'id="member-{bert}"' not in page
    assert membership(school, "bert@school.nl") is None
    assert events() == before + 1


def test_admin_removes_a_member_with_htmx(admin, school, membership):
    carl = membership(school, "carl@school.nl")[0]
    response = admin.post(f"/members/{carl}/remove", htmx=True)
    assert response.status_code == 200
    page = text(response)
    assert f'id="member-{carl}"' not in page  # the row is swapped for nothing
    assert "<html" not in page
    assert 'hx-swap-oob="true"' in page
    assert "Carl Claes is uit de school verwijderd." in page
    assert membership(school, "carl@school.nl") is None
    # the message was shown now, not again on the next page
    assert "verwijderd" not in text(admin.get("/members"))


def test_an_admin_may_leave_when_another_admin_remains(admin, school, membership):
    carl = membership(school, "carl@school.nl")[0]
    admin.post(f"/members/{carl}/role", {"role": "admin"})
    anna = membership(school, "admin@school.nl")[0]

    response = admin.post(f"/members/{anna}/remove")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/schools")
    assert membership(school, "admin@school.nl") is None
    assert membership(school, "carl@school.nl") == (carl, "admin")
    page = admin.get("/schools")
    assert "Anna Admin is uit de school verwijderd." in text(page)
    assert "geen lid van een school" in text(page)
    assert admin.get("/teams").status_code == 302


def test_a_removed_member_loses_access(client, make_client, school, membership):
    bert_client = make_client()
    bert_client.login("bert@school.nl")
    assert bert_client.get("/teams").status_code == 200

    client.login("admin@school.nl")
    client.post(f"/members/{membership(school, 'bert@school.nl')[0]}/remove")

    response = bert_client.get("/teams")
    assert response.status_code == 302
    assert "/schools" in response.headers["Location"]


@pytest.mark.parametrize("role", ["member", "coordinator", "management"])
def test_non_admins_get_403_on_member_changes(client, school, membership, events, role,
                                              add_member):
    add_member(school, "niet-beheer@school.nl", role)
    client.login("niet-beheer@school.nl")
    bert = membership(school, "bert@school.nl")[0]
    anna = membership(school, "admin@school.nl")[0]
    before = events()

    change = client.post(f"/members/{bert}/role", {"role": "admin"})
    assert change.status_code == 403
    assert "Geen toegang" in text(change)
    assert client.post(f"/members/{anna}/remove").status_code == 403
    assert client.post(f"/members/{bert}/role", {"role": "admin"}, htmx=True).status_code == 403

    assert membership(school, "bert@school.nl") == (bert, "member")
    assert membership(school, "admin@school.nl") == (anna, "admin")
    assert events() == before


def test_a_member_of_another_school_is_404(admin, school, make_school, add_member, membership):
    other, _ = make_school("Andere school", "beheer@andere.nl")
    add_member(other, "vreemd@andere.nl", "member")
    foreign = membership(other, "vreemd@andere.nl")[0]

    assert admin.post(f"/members/{foreign}/role", {"role": "admin"}).status_code == 404
    assert admin.post(f"/members/{foreign}/remove").status_code == 404
    assert membership(other, "vreemd@andere.nl") == (foreign, "member")


def test_member_changes_need_the_csrf_token(admin, school, membership):
    bert = membership(school, "bert@school.nl")[0]
    assert admin.post(f"/members/{bert}/role", {"role": "admin"}, csrf=False).status_code == 400
    assert admin.post(f"/members/{bert}/remove", csrf=False).status_code == 400
    assert membership(school, "bert@school.nl") == (bert, "member")
