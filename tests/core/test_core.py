"""HTTP tests of the core: health check, security headers, CSRF, error pages, activity, CLI."""

from __future__ import annotations

import json
import re

import pytest

from lobscan import create_app
from lobscan.accounts.models import Membership, School, Team, User
from lobscan.core import audit
from lobscan.core.models import Event
from lobscan.extensions import db
from tests.conftest import PASSWORD


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def other_app(database_url):
    """make(extra_config) -> a separate app instance, for routes or settings the shared app
    must not get. Its engine is disposed afterwards."""
    made = []

    def make(**config):
        overrides = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                     "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": "",
                     "MAIL_OUTBOX": [], "SERVER_NAME": None}
        overrides.update(config)
        new = create_app(overrides)
        made.append(new)
        return new

    yield make
    for new in made:
        with new.app_context():
            db.session.remove()
            db.engine.dispose()


# --- health check -------------------------------------------------------------------------------


def test_healthz_is_ok_with_a_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_without_a_database(other_app):
    broken = other_app(SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/x.db")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_healthz_is_not_rate_limited(client):
    for _ in range(15):
        assert client.get("/healthz").status_code == 200


# --- security headers and cookies ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login", "/register", "/bestaat-niet"])
def test_pages_carry_the_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert "Strict-Transport-Security" not in response.headers  # plain http in tests


def test_https_deployments_send_hsts(other_app):
    secure = other_app(PREFERRED_URL_SCHEME="https")
    response = secure.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_static_files_may_be_cached_but_keep_nosniff(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_pages_work_under_the_csp(client, make_school):
    """No inline script or style, nothing from another host: the CSP would block it."""
    make_school()
    pages = [client.get("/login"), client.get("/register")]
    client.login("admin@school.nl")
    pages += [client.get(url) for url in ("/teams", "/members", "/invitations", "/activity")]
    for response in pages:
        page = text(response)
        assert response.status_code == 200
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
        assert " style=" not in page
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page)  # no inline event handlers
        assert not re.search(r'(src|href)="(https?:)?//', page)


def test_form_fields_have_no_stray_none_attributes(client):
    page = text(client.get("/register"))
    assert '="None"' not in page
    assert page.count("autofocus") == 1


def test_session_cookie_is_httponly_and_samesite_lax(client, make_school):
    make_school()
    response = client.post("/login", {"email": "admin@school.nl", "password": PASSWORD,
                                      "remember": "y"})
    assert response.status_code == 303
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        cookie = cookies[name]
        assert "HttpOnly" in cookie, name
        assert "SameSite=Lax" in cookie, name


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_csrf_token_is_a_dutch_400_and_writes_nothing(client, count):
    response = client.post("/register", {"school_name": "Zonder token", "name": "Piet",
                                         "email": "piet@school.nl",
                                         "password": "lang-genoeg-ww"}, csrf=False)
    assert response.status_code == 400
    page = text(response)
    assert '<html lang="nl">' in page
    assert "Ongeldig verzoek" in page
    assert "Je sessie is verlopen of het formulier is niet compleet." in page
    assert (count(School), count(User), count(Event)) == (0, 0, 0)


def test_a_wrong_csrf_token_is_refused(client, count):
    response = client.raw.post("/register", data={
        "school_name": "Vals token", "name": "Piet", "email": "piet@school.nl",
        "password": "lang-genoeg-ww", "csrf_token": "vals"})
    assert response.status_code == 400
    assert count(School) == 0


def test_an_htmx_post_without_csrf_token_gets_a_message_not_a_page(client, make_school, count):
    make_school()
    client.login("admin@school.nl")
    response = client.post("/teams", {"name": "Zonder token"}, htmx=True, csrf=False)
    assert response.status_code == 400
    page = text(response)
    assert "<html" not in page
    assert "Je sessie is verlopen" in page
    assert count(Team) == 1


def test_the_csrf_token_in_the_htmx_header_is_accepted(client, make_school, count):
    make_school()
    client.login("admin@school.nl")
    assert client.post("/teams", {"name": "Met token"}, htmx=True).status_code == 201
    assert count(Team) == 2


# --- error pages --------------------------------------------------------------------------------


def test_404_is_dutch_and_inside_the_layout(client):
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    page = text(response)
    assert '<html lang="nl">' in page
    assert "<title>Niet gevonden · lobscan</title>" in page
    assert "Deze pagina bestaat niet, of je hebt er geen toegang toe." in page
    assert "<header" in page and "<footer" in page and '<main id="main"' in page
    assert "Naar de startpagina" in page
    assert "Not Found" not in page


def test_404_for_htmx_is_only_the_message(client):
    response = client.get("/bestaat-niet", htmx=True)
    assert response.status_code == 404
    page = text(response)
    assert "<html" not in page
    assert "Deze pagina bestaat niet" in page


def test_405_is_dutch(client):
    response = client.raw.delete("/login")
    assert response.status_code == 405
    assert "Niet toegestaan" in text(response)


def test_an_exception_gives_a_dutch_500_without_traceback(other_app):
    app = other_app()

    @app.get("/kapot")
    def kapot():
        raise RuntimeError("geheime interne details")

    test_client = app.test_client()
    response = test_client.get("/kapot")
    assert response.status_code == 500
    page = text(response)
    assert '<html lang="nl">' in page
    assert "Er ging iets mis" in page
    assert "je gegevens zijn veilig" in page
    assert "Traceback" not in page
    assert "geheime interne details" not in page
    assert "RuntimeError" not in page

    partial = test_client.get("/kapot", headers={"HX-Request": "true"})
    assert partial.status_code == 500
    assert "<html" not in text(partial)
    assert "Er ging aan onze kant iets mis." in text(partial)
    assert "geheime interne details" not in text(partial)


# --- activity -----------------------------------------------------------------------------------


def test_activity_lists_events_in_dutch_for_an_admin(client, make_school, add_member):
    school, _ = make_school("Het Baken", "admin@school.nl")
    client.login("admin@school.nl")
    client.post("/teams", {"name": "Team B"})
    client.post("/invitations", {"role": "coordinator", "label": "Bert"})

    response = client.get("/activity")

    assert response.status_code == 200
    page = text(response)
    assert "Activiteit in Het Baken" in page
    assert "registreerde de school Het Baken" in page
    assert "maakte team Mijn team aan" in page
    assert "maakte team Team B aan" in page
    assert "maakte een uitnodiging als coördinator (voor Bert)" in page
    assert "Anna Admin" in page
    # newest first
    assert page.index("uitnodiging") < page.index("Team B") < page.index("registreerde")


def test_activity_shows_only_the_own_school(client, make_school):
    make_school("Het Baken", "admin@school.nl")
    make_school("Andere school", "beheer@andere.nl")
    client.login("admin@school.nl")
    page = text(client.get("/activity"))
    assert "Andere school" not in page


def test_activity_pages_through_many_events(client, make_school, app):
    school, user = make_school()
    with app.app_context():
        for n in range(60):
            audit.record(school, user, "team.created", None, team=f"Team {n:02d}")
        db.session.commit()
        db.session.remove()
    client.login("admin@school.nl")

    first = text(client.get("/activity"))
    assert "Pagina 1 van 2" in first
    assert "maakte team Team 59 aan" in first
    assert "registreerde de school" not in first

    second = client.get("/activity?page=2")
    assert second.status_code == 200
    assert "Pagina 2 van 2" in text(second)
    assert "registreerde de school" in text(second)
    assert client.get("/activity?page=abc").status_code == 200
    assert client.get("/activity?page=-5").status_code == 200


def test_management_may_read_the_activity(client, make_school, add_member):
    school, _ = make_school()
    add_member(school, "leiding@school.nl", "management")
    client.login("leiding@school.nl")
    assert client.get("/activity").status_code == 200
    assert "Activiteit" in text(client.get("/teams"))  # in the menu


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_other_roles_get_403_on_activity(client, make_school, add_member, role):
    school, _ = make_school()
    add_member(school, "lid@school.nl", role)
    client.login("lid@school.nl")
    response = client.get("/activity")
    assert response.status_code == 403
    page = text(response)
    assert "Geen toegang" in page
    assert "registreerde de school" not in page
    assert 'href="/activity"' not in text(client.get("/teams"))


def test_activity_needs_a_login(client):
    response = client.get("/activity")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- the demo command ---------------------------------------------------------------------------


def run_demo(app, *args):
    result = app.test_cli_runner().invoke(args=["lobscan", "demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_json_gives_school_login_and_teams(app, client):
    data = json.loads(run_demo(app, "--json"))

    assert data["school"]["name"] == "Demoschool De Horizon"
    assert isinstance(data["school"]["id"], int)
    assert data["login"] == {"email": "demo@lobscan.example",
                             "password": app.config["DEMO_PASSWORD"]}
    names = [t["name"] for t in data["teams"]]
    assert sorted(names) == sorted(["Team onderbouw havo/vwo", "Team vmbo bovenbouw",
                                    "Afdeling mbo Zorg & Welzijn"])
    assert all(re.fullmatch(r"\d{4}-\d{4}", t["cycle"]) for t in data["teams"])

    login = client.post("/login", data["login"])
    assert login.status_code == 303
    page = text(client.get("/teams"))
    assert "Demoschool De Horizon" in page
    assert "Afdeling mbo Zorg &amp; Welzijn" in page
    assert "Mijn team" not in page


def test_demo_is_idempotent(app, count, client):
    first = json.loads(run_demo(app, "--json"))
    counts = [count(m) for m in (School, User, Membership, Team)]
    # someone changed the demo password in between: the demo restores it
    with app.app_context():
        from lobscan.accounts import services

        services.set_password(services.user_by_email("demo@lobscan.example"), "iets-heel-anders")
        db.session.remove()

    summary = run_demo(app)  # the readable form, for people
    second = json.loads(run_demo(app, "--json"))

    assert "Demoschool: Demoschool De Horizon" in summary
    assert "Inloggen:   demo@lobscan.example" in summary
    assert "Team vmbo bovenbouw" in summary
    assert second == first
    assert [count(m) for m in (School, User, Membership, Team)] == counts == [1, 1, 1, 3]
    assert client.post("/login", second["login"]).status_code == 303
