"""HTTP tests: teams and cycles, as whole pages and as htmx partials."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lobscan.accounts import services
from lobscan.accounts.models import Cycle
from lobscan.core.models import Event
from lobscan.extensions import db


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def school(make_school):
    """(school_id, team_id of "Mijn team") for Testschool; its admin is admin@school.nl."""
    school_id, _ = make_school()
    return school_id


@pytest.fixture
def teams_of(app):
    def get(school_id: int) -> list[tuple[int, str, bool, list[str]]]:
        with app.app_context():
            result = [(t.id, t.name, t.archived, [c.name for c in t.cycles])
                      for t in services.list_teams(school_id)]
            db.session.remove()
            return result

    return get


@pytest.fixture
def admin(client, school):
    client.login("admin@school.nl")
    return client


def first_team(teams_of, school_id) -> int:
    return teams_of(school_id)[0][0]


THIS_YEAR = services.school_year(dt.date.today())[0]


# --- list and create ----------------------------------------------------------------------------


def test_teams_page_lists_the_teams_with_their_cycle(admin, school):
    response = admin.get("/teams")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Teams</h1>" in page
    assert "Mijn team" in page
    assert "Cyclus 2026-2027" in page
    assert "Team toevoegen" in page


def test_create_team_as_a_whole_page(admin, school, teams_of):
    response = admin.post("/teams", {"name": "  Team vmbo bovenbouw "})

    assert response.status_code == 201
    page = text(response)
    assert page.lstrip().startswith("<!doctype html>")
    assert "Team Team vmbo bovenbouw is aangemaakt." in page
    assert "Team vmbo bovenbouw" in page
    assert [t[1] for t in teams_of(school)] == ["Mijn team", "Team vmbo bovenbouw"]
    new = teams_of(school)[1]
    assert new[3] == [THIS_YEAR]


def test_create_team_with_htmx_answers_the_partial_and_out_of_band_flash(admin, school,
                                                                         teams_of):
    response = admin.post("/teams", {"name": "Afdeling Zorg"}, htmx=True)

    assert response.status_code == 201
    page = text(response)
    assert "<html" not in page
    assert 'id="team-section"' in page
    assert "Afdeling Zorg" in page and "Mijn team" in page
    assert 'id="flashes"' in page
    assert 'hx-swap-oob="true"' in page
    assert "Team Afdeling Zorg is aangemaakt." in page
    # the form is empty again, ready for the next team
    assert 'value="Afdeling Zorg"' not in page
    assert len(teams_of(school)) == 2
    # the flash was shown once, not again on the next page
    assert "is aangemaakt" not in text(admin.get("/teams"))


@pytest.mark.parametrize("name", ["Mijn team", "MIJN TEAM", "  mijn team  "])
def test_a_duplicate_team_name_is_409_in_dutch(admin, school, teams_of, count, name):
    events = count(Event)
    response = admin.post("/teams", {"name": name})
    assert response.status_code == 409
    assert "Er is al een team met deze naam." in text(response)
    assert len(teams_of(school)) == 1
    assert count(Event) == events

    partial = admin.post("/teams", {"name": name}, htmx=True)
    assert partial.status_code == 409
    assert "<html" not in text(partial)
    assert "Er is al een team met deze naam." in text(partial)


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_team_name_is_422(admin, school, teams_of, name):
    response = admin.post("/teams", {"name": name})
    assert response.status_code == 422
    assert "Vul dit veld in." in text(response)
    assert len(teams_of(school)) == 1


def test_a_too_long_team_name_is_422(admin, school, teams_of):
    response = admin.post("/teams", {"name": "T" * 121}, htmx=True)
    assert response.status_code == 422
    assert "Gebruik maximaal 120 tekens." in text(response)
    assert len(teams_of(school)) == 1


def test_the_same_team_name_may_exist_in_another_school(admin, school, make_school, teams_of):
    other, _ = make_school("Andere school", "beheer@andere.nl")
    assert admin.post("/teams", {"name": "Team A"}).status_code == 201
    assert [t[1] for t in teams_of(other)] == ["Mijn team"]


# --- one team -----------------------------------------------------------------------------------


def test_team_page_shows_name_and_cycles(admin, school, teams_of):
    team_id = first_team(teams_of, school)
    page = text(admin.get(f"/teams/{team_id}"))
    assert "<h1>Mijn team</h1>" in page
    assert "2026-2027" in page
    assert "huidige cyclus" in page
    assert "1 augustus 2026" in page and "31 juli 2027" in page
    assert "Start de volgende cyclus" in page


def test_rename_team_as_a_whole_page(admin, school, teams_of):
    team_id = first_team(teams_of, school)
    response = admin.post(f"/teams/{team_id}/rename", {"name": "Team havo 4"})
    assert response.status_code == 200
    page = text(response)
    assert "<html" in page
    assert "<h1>Team havo 4</h1>" in page
    assert "De naam is opgeslagen." in page
    assert teams_of(school)[0][1] == "Team havo 4"


def test_rename_team_with_htmx_answers_the_name_partial(admin, school, teams_of):
    team_id = first_team(teams_of, school)
    response = admin.post(f"/teams/{team_id}/rename", {"name": "Team havo 5"}, htmx=True)
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert 'id="team-name"' in page
    assert "<h1>Team havo 5</h1>" in page
    assert re.search(r'<div id="flashes"[^>]*hx-swap-oob="true"', page)
    assert "De naam is opgeslagen." in page
    assert teams_of(school)[0][1] == "Team havo 5"


def test_rename_to_an_existing_name_is_409_and_keeps_the_old_name(admin, school, teams_of):
    admin.post("/teams", {"name": "Team B"})
    team_id = next(t[0] for t in teams_of(school) if t[1] == "Mijn team")

    response = admin.post(f"/teams/{team_id}/rename", {"name": "team b"}, htmx=True)

    assert response.status_code == 409
    page = text(response)
    assert "Er is al een team met deze naam." in page
    assert "<h1>Mijn team</h1>" in page
    assert sorted(t[1] for t in teams_of(school)) == ["Mijn team", "Team B"]


def test_rename_to_an_empty_name_is_422(admin, school, teams_of):
    team_id = first_team(teams_of, school)
    response = admin.post(f"/teams/{team_id}/rename", {"name": "  "})
    assert response.status_code == 422
    assert "Vul dit veld in." in text(response)
    assert teams_of(school)[0][1] == "Mijn team"


def test_archive_and_restore_a_team(admin, school, teams_of):
    team_id = first_team(teams_of, school)

    response = admin.post(f"/teams/{team_id}/archive")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/teams/{team_id}")
    page = text(admin.get(f"/teams/{team_id}"))
    assert "Team Mijn team staat in het archief." in page
    assert "Dit team staat in het archief." in page
    assert "Terughalen uit het archief" in page
    assert "Start de volgende cyclus" not in page
    assert teams_of(school)[0][2] is True
    assert "gearchiveerd" in text(admin.get("/teams"))

    response = admin.post(f"/teams/{team_id}/restore", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith(f"/teams/{team_id}")
    page = text(admin.get(f"/teams/{team_id}"))
    assert "Team Mijn team is terug uit het archief." in page
    assert "Team archiveren" in page
    assert teams_of(school)[0][2] is False


def test_start_the_next_cycle(admin, school, teams_of):
    team_id = first_team(teams_of, school)

    response = admin.post(f"/teams/{team_id}/cycles")

    assert response.status_code == 303
    page = text(admin.get(f"/teams/{team_id}"))
    assert "Cyclus 2027-2028 is gestart." in page
    assert page.index("2027-2028") < page.index("huidige cyclus") < page.index("2026-2027")
    assert teams_of(school)[0][3] == ["2027-2028", "2026-2027"]
    assert "Cyclus 2027-2028" in text(admin.get("/teams"))


def test_an_archived_team_gets_no_new_cycle(admin, school, teams_of, count):
    team_id = first_team(teams_of, school)
    admin.post(f"/teams/{team_id}/archive")

    response = admin.post(f"/teams/{team_id}/cycles")

    assert response.status_code == 409
    assert "Een gearchiveerd team krijgt geen nieuwe cyclus." in text(response)
    assert count(Cycle) == 1

    # from a stale page with htmx: the page reloads and shows why, no page inside the button
    stale = admin.post(f"/teams/{team_id}/cycles", htmx=True)
    assert "<html" not in text(stale)
    assert stale.headers["HX-Redirect"].endswith(f"/teams/{team_id}")
    assert "Een gearchiveerd team krijgt geen nieuwe cyclus." in text(admin.get(f"/teams/{team_id}"))
    assert count(Cycle) == 1


def test_team_posts_need_the_csrf_token(admin, school, teams_of):
    team_id = first_team(teams_of, school)
    for url in ("/teams", f"/teams/{team_id}/rename", f"/teams/{team_id}/archive",
                f"/teams/{team_id}/cycles"):
        response = admin.post(url, {"name": "Zonder token"}, csrf=False)
        assert response.status_code == 400, url
    assert teams_of(school) == [(team_id, "Mijn team", False, ["2026-2027"])]


def test_a_team_of_another_school_is_404(admin, school, make_school, teams_of):
    other, _ = make_school("Andere school", "beheer@andere.nl")
    foreign = first_team(teams_of, other)
    assert admin.get(f"/teams/{foreign}").status_code == 404
    for url in (f"/teams/{foreign}/rename", f"/teams/{foreign}/archive",
                f"/teams/{foreign}/restore", f"/teams/{foreign}/cycles"):
        assert admin.post(url, {"name": "Overgenomen"}).status_code == 404, url
    assert teams_of(other) == [(foreign, "Mijn team", False, ["2026-2027"])]
    assert admin.get("/teams/999999").status_code == 404


# --- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "management"])
def test_members_and_management_can_view_but_not_change(client, school, add_member, teams_of,
                                                        count, role):
    add_member(school, "collega@school.nl", role)
    client.login("collega@school.nl")
    team_id = first_team(teams_of, school)

    overview = client.get("/teams")
    assert overview.status_code == 200
    assert "Mijn team" in text(overview)
    assert "Team toevoegen" not in text(overview)
    detail = client.get(f"/teams/{team_id}")
    assert detail.status_code == 200
    assert "Naam wijzigen" not in text(detail)
    assert "Start de volgende cyclus" not in text(detail)
    assert "Team archiveren" not in text(detail)

    events = count(Event)
    for url in ("/teams", f"/teams/{team_id}/rename", f"/teams/{team_id}/archive",
                f"/teams/{team_id}/restore", f"/teams/{team_id}/cycles"):
        response = client.post(url, {"name": "Nieuw"})
        assert response.status_code == 403, url
        assert "Geen toegang" in text(response)
    htmx = client.post("/teams", {"name": "Nieuw"}, htmx=True)
    assert htmx.status_code == 403
    assert "<html" not in text(htmx)
    assert teams_of(school) == [(team_id, "Mijn team", False, ["2026-2027"])]
    assert count(Event) == events


def test_a_coordinator_manages_teams(client, school, add_member, teams_of):
    add_member(school, "coord@school.nl", "coordinator")
    client.login("coord@school.nl")
    assert client.post("/teams", {"name": "Team C"}).status_code == 201
    team_id = first_team(teams_of, school)
    assert client.post(f"/teams/{team_id}/cycles").status_code == 303
    assert client.post(f"/teams/{team_id}/archive").status_code == 303


def test_teams_need_a_login(client, school):
    response = client.get("/teams")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/teams", {"name": "Anoniem"}).status_code == 302


def test_team_events_show_on_the_activity_page(admin, school, teams_of, app):
    team_id = first_team(teams_of, school)
    admin.post("/teams", {"name": "Team B"})
    admin.post(f"/teams/{team_id}/rename", {"name": "Team A"})
    admin.post(f"/teams/{team_id}/archive")
    admin.post(f"/teams/{team_id}/restore")
    admin.post(f"/teams/{team_id}/cycles")
    with app.app_context():
        kinds = list(db.session.scalars(select(Event.kind).where(Event.school_id == school)
                                        .order_by(Event.id)))
        db.session.remove()
    assert kinds == ["school.registered", "team.created", "team.created", "team.renamed",
                     "team.archived", "team.restored", "cycle.started"]
    page = text(admin.get("/activity"))
    assert "hernoemde team Mijn team naar Team A" in page
    assert "startte cyclus 2027-2028 voor team Team A" in page
    assert "archiveerde team Team A" in page
    assert "haalde team Team A terug uit het archief" in page
