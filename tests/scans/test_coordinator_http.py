"""HTTP tests of the coordinator's side: create a scan, share its link, follow it live, close,
reopen and replace the link; roles and other schools."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from lobscan.core.models import Event
from lobscan.extensions import db
from lobscan.scans.models import Invitation, Scan
from tests.scans.conftest import text


@pytest.fixture
def admin(client, school):
    client.login(school.admin_email)
    return client


@pytest.fixture
def team(app, school) -> dict:
    from lobscan.accounts.models import Team
    from lobscan.questionnaires.services import default_questionnaire

    with app.app_context():
        found = db.session.scalar(select(Team).where(Team.school_id == school.school_id))
        result = {"id": found.id, "name": found.name, "cycle_id": found.current_cycle.id,
                  "cycle": found.current_cycle.name,
                  "questionnaire_id": default_questionnaire().id}
        db.session.remove()
        return result


@pytest.fixture
def scans_in_db(app):
    def get() -> list[tuple]:
        with app.app_context():
            rows = db.session.execute(
                select(Scan.id, Scan.name, Scan.state, Scan.anonymity, Scan.questionnaire_id,
                       Scan.cycle_id, Scan.opens_at, Scan.closes_at).order_by(Scan.id)).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    return get


@pytest.fixture
def events(app):
    def get(kind_prefix: str = "scan.") -> list[tuple[str, int | None, dict]]:
        with app.app_context():
            rows = db.session.execute(
                select(Event.kind, Event.subject_id, Event.data)
                .where(Event.kind.startswith(kind_prefix)).order_by(Event.id)).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    return get


@pytest.fixture
def invitations(app):
    def get(scan_id: int) -> list[tuple[str, bool]]:
        with app.app_context():
            rows = db.session.execute(
                select(Invitation.token, Invitation.revoked_at.is_not(None))
                .where(Invitation.scan_id == scan_id).order_by(Invitation.id)).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    return get


def form_data(team: dict, **changes) -> dict:
    data = {"name": "LOB-scan najaar", "questionnaire_id": str(team["questionnaire_id"]),
            "cycle_id": str(team["cycle_id"]), "anonymity": "named", "open_now": "y",
            "opens_at": "", "closes_at": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def live_version(body: str) -> str:
    match = re.search(r'hx-get="/scans/\d+/live\?v=([^"]+)"', body)
    assert match, "the live panel does not poll"
    return match.group(1)


def count(body: str, which: str) -> int:
    return int(re.search(rf'data-count="{which}">(\d+)<', body).group(1))


# --- create ---------------------------------------------------------------------------------------


def test_the_new_scan_page_offers_questionnaire_cycle_and_anonymity(admin, team):
    response = admin.get(f"/teams/{team['id']}/scans/new")
    assert response.status_code == 200
    page = text(response)
    assert f"Nieuwe scan voor {team['name']}" in page
    assert f'value="LOB-scan {team["cycle"]}"' in page  # a sensible default name
    assert f'<option selected value="{team["questionnaire_id"]}">LOB-scan</option>' in page \
        or re.search(rf'<option[^>]*value="{team["questionnaire_id"]}"[^>]*>LOB-scan<', page)
    assert team["cycle"] in page
    assert "Met naam" in page and "Met pseudoniem" in page


def test_creating_a_scan_pins_the_version_makes_a_link_and_is_recorded(
        admin, team, scans_in_db, events, invitations):
    response = admin.post(f"/teams/{team['id']}/scans/new",
                          form_data(team, name="  LOB-scan najaar  ", anonymity="pseudonymous"))
    assert response.status_code == 303
    [scan] = scans_in_db()
    scan_id, name, state, anonymity, questionnaire_id, cycle_id, opens_at, closes_at = scan
    assert response.headers["Location"].endswith(f"/scans/{scan_id}")
    assert (name, state, anonymity) == ("LOB-scan najaar", "open", "pseudonymous")
    assert (questionnaire_id, cycle_id) == (team["questionnaire_id"], team["cycle_id"])
    [(token, revoked)] = invitations(scan_id)
    assert len(token) >= 22 and not revoked  # ≥ 128 bits
    assert events() == [("scan.created", scan_id, {"scan": "LOB-scan najaar",
                                                   "team": team["name"]})]

    page = text(admin.get(f"/scans/{scan_id}"))
    assert "De scan is aangemaakt. Deel de link met je team." in page
    assert "met pseudoniemen" in page

    team_page = text(admin.get(f"/teams/{team['id']}"))
    assert f'href="/scans/{scan_id}"' in team_page and "LOB-scan najaar" in team_page


def test_dates_are_school_time_and_a_later_opening_waits(admin, team, scans_in_db):
    response = admin.post(f"/teams/{team['id']}/scans/new",
                          form_data(team, open_now=None, opens_at="2099-01-10T09:00",
                                    closes_at="2099-07-01T17:30"))
    assert response.status_code == 303
    [(scan_id, _, state, _, _, _, opens_at, closes_at)] = scans_in_db()
    assert state == "draft"
    # Amsterdam is UTC+1 in January and UTC+2 in July.
    assert opens_at == dt.datetime(2099, 1, 10, 8, 0, tzinfo=dt.UTC)
    assert closes_at == dt.datetime(2099, 7, 1, 15, 30, tzinfo=dt.UTC)

    page = text(admin.get(f"/scans/{scan_id}"))
    assert "nog niet open" in page
    assert "hx-get" not in re.search(r'<section id="scan-live".*?>', page, re.S).group(0)
    assert "Nu openen" in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Vul dit veld in."),
    ({"name": "   "}, "Vul dit veld in."),
    ({"name": "x" * 121}, "Gebruik maximaal 120 tekens."),
    ({"opens_at": "2099-03-01T09:00", "closes_at": "2099-02-01T09:00"},
     "De sluitdatum moet na de openingsdatum liggen."),
    ({"opens_at": "2099-03-01T09:00", "closes_at": "2099-03-01T09:00"},
     "De sluitdatum moet na de openingsdatum liggen."),
    ({"opens_at": "morgen"}, None),
    ({"anonymity": "geheim"}, None),
    ({"questionnaire_id": "999999"}, None),
    ({"cycle_id": "999999"}, None),
])
def test_invalid_scan_forms_are_refused_and_write_nothing(admin, team, scans_in_db, events,
                                                          changes, message):
    response = admin.post(f"/teams/{team['id']}/scans/new", form_data(team, **changes))
    assert response.status_code == 422
    page = text(response)
    assert "<form" in page and "Scan aanmaken" in page
    if message:
        assert message in page
    assert 'class="field-error"' in page or 'class="form-errors"' in page
    assert "Not a valid" not in page  # no English from WTForms
    assert scans_in_db() == [] and events() == []


def test_another_schools_questionnaire_copy_cannot_be_chosen(app, admin, team, make_school,
                                                             scans_in_db):
    from lobscan.questionnaires.services import copy_for_school

    other_school, other_admin = make_school("Andere school", "ander@school.nl")
    with app.app_context():
        copy_id = copy_for_school(other_school, other_admin, team["questionnaire_id"],
                                  "Geheim").id
        db.session.remove()
    assert "Geheim" not in text(admin.get(f"/teams/{team['id']}/scans/new"))
    response = admin.post(f"/teams/{team['id']}/scans/new",
                          form_data(team, questionnaire_id=str(copy_id)))
    assert response.status_code == 422
    assert scans_in_db() == []


def test_an_archived_team_gets_no_new_scan(admin, team, scans_in_db):
    assert admin.post(f"/teams/{team['id']}/archive").status_code == 303
    response = admin.post(f"/teams/{team['id']}/scans/new", form_data(team))
    assert response.status_code == 409
    assert "Een gearchiveerd team krijgt geen nieuwe scan." in text(response)
    assert scans_in_db() == []


@pytest.mark.parametrize("role", ["member", "management"])
def test_members_and_management_cannot_create_or_manage_scans(
        make_client, school, team, add_member, make_scan, scans_in_db, invitations, events, role):
    scan = make_scan(school.school_id, school.admin_id)
    add_member(school.school_id, "lid@school.nl", role)
    member = make_client()
    member.login("lid@school.nl")
    before = scans_in_db(), invitations(scan["id"]), events()

    assert member.get(f"/teams/{team['id']}/scans/new").status_code == 403
    response = member.post(f"/teams/{team['id']}/scans/new", form_data(team))
    assert response.status_code == 403
    assert "Geen toegang" in text(response)
    for action in ("close", "open", "replace-link"):
        response = member.post(f"/scans/{scan['id']}/{action}")
        assert response.status_code == 403, action
    assert (scans_in_db(), invitations(scan["id"]), events()) == before

    # Reading is fine (a plain member once they are in the scan's team): they see the link and
    # the counts, not the buttons.
    if role == "member":
        assert member.get(f"/scans/{scan['id']}").status_code == 403
        from lobscan.accounts import services as accounts

        with member.raw.application.app_context():
            user = accounts.user_by_email("lid@school.nl")
            accounts.add_team_member(school.school_id, school.admin_id, team["id"], user.id)
    page = member.get(f"/scans/{scan['id']}")
    assert page.status_code == 200
    assert scan["token"] in text(page)
    assert "Scan sluiten" not in text(page) and "Nieuwe link maken" not in text(page)
    assert "Nieuwe scan" not in text(member.get(f"/teams/{team['id']}"))


def test_a_coordinator_can_create_and_manage_scans(make_client, school, team, add_member,
                                                   scans_in_db):
    add_member(school.school_id, "coord@school.nl", "coordinator")
    coordinator = make_client()
    coordinator.login("coord@school.nl")
    assert coordinator.post(f"/teams/{team['id']}/scans/new",
                            form_data(team)).status_code == 303
    [scan] = scans_in_db()
    assert coordinator.post(f"/scans/{scan[0]}/close").status_code == 303
    assert scans_in_db()[0][2] == "closed"


def test_logged_out_visitors_are_sent_to_the_login(client, school, scan):
    for url in (f"/scans/{scan['id']}", f"/scans/{scan['id']}/live",
                f"/teams/{scan['team_id']}/scans/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


# --- the scan page ----------------------------------------------------------------------------------


def test_the_scan_page_shows_the_invite_link_copy_button_and_an_inline_qr(app, admin, scan):
    from lobscan.core.qr import qr_svg

    response = admin.get(f"/scans/{scan['id']}")
    assert response.status_code == 200
    page = text(response)
    # A full link (on BASE_URL when configured, else this host) that a phone can open.
    link = re.search(rf'id="scan-link"[^>]*value="(https?://[^"/]+/s/{scan["token"]})"',
                     page).group(1)
    assert 'data-copy="#scan-link"' in page and "Kopieer link" in page
    assert re.search(r'<svg role="img" aria-label="QR-code van de uitnodigingslink"', page)
    with app.test_request_context():
        assert str(qr_svg(link, title="QR-code van de uitnodigingslink")) in page  # this link
    assert "<img" not in page.split("<main", 1)[1]  # inline, nothing loaded from elsewhere
    assert count(page, "started") == 0 and count(page, "completed") == 0
    assert "Scan sluiten" in page and "Nieuwe link maken" in page


def test_the_live_panel_counts_and_answers_204_while_nothing_changes(admin, scan, start):
    url = f"/scans/{scan['id']}/live"
    first = admin.get(url, htmx=True)
    assert first.status_code == 200
    body = text(first)
    assert body.lstrip().startswith('<section id="scan-live"') and "<html" not in body
    version = live_version(body)
    assert (count(body, "started"), count(body, "completed")) == (0, 0)

    unchanged = admin.get(f"{url}?v={version}", htmx=True)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""

    respondent, resume = start(scan)
    changed = admin.get(f"{url}?v={version}", htmx=True)
    assert changed.status_code == 200
    body = text(changed)
    assert (count(body, "started"), count(body, "completed")) == (1, 0)
    version = live_version(body)
    assert admin.get(f"{url}?v={version}", htmx=True).status_code == 204

    respondent.post(f"/r/{resume}/afronden", {})
    body = text(admin.get(f"{url}?v={version}", htmx=True))
    assert (count(body, "started"), count(body, "completed")) == (1, 1)

    # Without htmx the same URL is the whole page (a reload shows the same state).
    whole = admin.get(url)
    assert whole.status_code == 200 and "<html" in text(whole)
    assert count(text(whole), "completed") == 1


def test_closing_stops_the_polling_and_changes_the_version(admin, scan):
    url = f"/scans/{scan['id']}/live"
    version = live_version(text(admin.get(url, htmx=True)))
    admin.post(f"/scans/{scan['id']}/close")
    body = text(admin.get(f"{url}?v={version}", htmx=True))
    assert "gesloten" in body
    assert "hx-get" not in body  # a closed scan does not poll any more


# --- close, reopen, replace the link ---------------------------------------------------------------


def test_close_reopen_and_open_are_recorded(admin, school, scan, make_scan, scans_in_db, events):
    response = admin.post(f"/scans/{scan['id']}/close")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/scans/{scan['id']}")
    page = text(admin.get(f"/scans/{scan['id']}"))
    assert "De scan is gesloten. Respondenten kunnen niets meer wijzigen." in page
    assert "Heropenen" in page and "Scan sluiten" not in page
    assert scans_in_db()[0][2] == "closed"

    response = admin.post(f"/scans/{scan['id']}/open", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith(f"/scans/{scan['id']}")
    assert scans_in_db()[0][2] == "open"

    draft = make_scan(school.school_id, school.admin_id, name="Later", open_now=False)
    admin.post(f"/scans/{draft['id']}/open")
    assert scans_in_db()[1][2] == "open"

    kinds = [(kind, subject) for kind, subject, _ in events() if kind != "scan.created"]
    assert kinds == [("scan.closed", scan["id"]), ("scan.reopened", scan["id"]),
                          ("scan.opened", draft["id"])]
    activity = text(admin.get("/activity"))
    assert "sloot scan LOB-scan test" in activity
    assert "heropende scan LOB-scan test" in activity


def test_reopening_lifts_a_closing_date_that_has_passed(admin, school, make_scan, client):
    from lobscan.core.db import utcnow

    now = utcnow()
    scan = make_scan(school.school_id, school.admin_id, opens_at=now - dt.timedelta(days=5),
                     closes_at=now - dt.timedelta(hours=1))
    assert "gesloten" in text(admin.get(f"/scans/{scan['id']}/live", htmx=True))
    admin.post(f"/scans/{scan['id']}/open")
    body = text(admin.get(f"/scans/{scan['id']}/live", htmx=True))
    assert 'status-open' in body
    assert client.get(f"/s/{scan['token']}").status_code == 200
    assert "<form" in text(client.get(f"/s/{scan['token']}"))


def test_replacing_the_link_revokes_the_old_one_and_is_recorded(admin, scan, invitations, events):
    response = admin.post(f"/scans/{scan['id']}/replace-link")
    assert response.status_code == 303
    (old, old_revoked), (new, new_revoked) = invitations(scan["id"])
    assert old == scan["token"] and old_revoked and not new_revoked and new != old

    page = text(admin.get(f"/scans/{scan['id']}"))
    assert "De oude link werkt niet meer" in page
    assert f"/s/{new}" in page and f"/s/{old}" not in page
    assert events()[-1][:2] == ("scan.link_replaced", scan["id"])
    assert "maakte een nieuwe uitnodigingslink voor scan LOB-scan test" in text(
        admin.get("/activity"))


@pytest.mark.parametrize("action", ["close", "open", "replace-link"])
def test_scan_actions_without_csrf_are_refused(admin, scan, invitations, scans_in_db, action):
    before = scans_in_db(), invitations(scan["id"])
    response = admin.post(f"/scans/{scan['id']}/{action}", csrf=False)
    assert response.status_code == 400
    assert "Je sessie is verlopen" in text(response)
    assert (scans_in_db(), invitations(scan["id"])) == before


# --- another school -----------------------------------------------------------------------------------


def test_another_schools_scan_is_404_and_unchanged(make_client, make_school, school, scan,
                                                   scans_in_db, invitations, team):
    make_school("Andere school", "ander@school.nl")
    other = make_client()
    other.login("ander@school.nl")
    before = scans_in_db(), invitations(scan["id"])
    for url in (f"/scans/{scan['id']}", f"/scans/{scan['id']}/live",
                f"/teams/{team['id']}/scans/new"):
        response = other.get(url)
        assert response.status_code == 404, url
        assert scan["token"] not in text(response)
        assert other.get(url, htmx=True).status_code == 404, url
    for action in ("close", "open", "replace-link"):
        assert other.post(f"/scans/{scan['id']}/{action}").status_code == 404, action
    assert other.post(f"/teams/{team['id']}/scans/new", form_data(team)).status_code == 404
    assert (scans_in_db(), invitations(scan["id"])) == before


def test_counts_only_count_this_scan(admin, school, make_scan, start, app):
    scan = make_scan(school.school_id, school.admin_id)
    other = make_scan(school.school_id, school.admin_id, name="Andere scan")
    start(other)
    start(other, name="Bob")
    start(scan)
    body = text(admin.get(f"/scans/{scan['id']}/live", htmx=True))
    assert (count(body, "started"), count(body, "completed")) == (1, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scan)) == 2
