"""HTTP tests: registration, login, logout, password reset and choosing a school."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lobscan.accounts.models import Cycle, Membership, School, Team, User
from lobscan.core.models import Event
from lobscan.extensions import db
from tests.conftest import PASSWORD

MODELS = (School, User, Membership, Team, Cycle, Event)


@pytest.fixture
def rows(app):
    """rows() -> the number of rows in every accounts table."""

    def count() -> tuple[int, ...]:
        with app.app_context():
            result = tuple(db.session.scalar(select(func.count()).select_from(m)) for m in MODELS)
            db.session.remove()
            return result

    return count


@pytest.fixture
def user_row(app):
    def get(email: str) -> User | None:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            db.session.expunge_all()
            db.session.remove()
            return user

    return get


def text(response) -> str:
    return response.get_data(as_text=True)


GOOD = {"school_name": "Het Baken", "name": "Piet Jansen", "email": "piet@baken.nl",
        "password": "lang-genoeg-ww"}


# --- registration -------------------------------------------------------------------------------


def test_register_page_is_dutch(client):
    response = client.get("/register")
    assert response.status_code == 200
    page = text(response)
    assert "Registreer je school" in page
    assert 'name="csrf_token"' in page


def test_register_logs_in_and_lands_on_the_teams_of_the_new_school(client, rows):
    response = client.post("/register", GOOD)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/teams")
    page = text(client.get("/teams"))
    assert "Het Baken" in page
    assert "Mijn team" in page
    assert "Piet Jansen" in page  # logged in: name in the header
    assert "Welkom! Je school Het Baken is aangemaakt" in page
    assert rows() == (1, 1, 1, 1, 1, 2)


def test_register_when_logged_in_goes_to_the_dashboard(client, make_school):
    make_school()
    client.login("admin@school.nl")
    response = client.get("/register")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/start")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("school_name", "", "Vul dit veld in."),
        ("school_name", "   ", "Vul dit veld in."),
        ("name", "", "Vul dit veld in."),
        ("email", "", "Vul dit veld in."),
        ("password", "", "Vul dit veld in."),
        ("school_name", "S" * 121, "Gebruik maximaal 120 tekens."),
        ("name", "N" * 121, "Gebruik maximaal 120 tekens."),
        ("email", "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".nl",
         "Gebruik maximaal 254 tekens."),
        ("email", "geen-e-mailadres", "Vul een geldig e-mailadres in."),
        ("email", "piet@", "Vul een geldig e-mailadres in."),
        ("password", "kort-9-tk", "Kies een wachtwoord van 10 tot 128 tekens."),
        ("password", "x" * 129, "Kies een wachtwoord van 10 tot 128 tekens."),
    ],
)
def test_register_with_a_bad_field_shows_a_dutch_message_and_writes_nothing(
        client, rows, field, value, message):
    response = client.post("/register", {**GOOD, field: value})

    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "Verbeter de velden met een melding." in page
    assert 'aria-invalid="true"' in page
    assert rows() == (0, 0, 0, 0, 0, 0)
    # still logged out
    assert client.get("/teams").status_code == 302


def test_register_with_120_characters_is_fine(client, rows):
    response = client.post("/register", {**GOOD, "school_name": "S" * 120, "name": "N" * 120})
    assert response.status_code == 303
    assert rows()[0] == 1


def test_register_with_a_known_email_is_409_and_writes_nothing(client, make_school, rows):
    make_school("Eerste school", "piet@baken.nl")
    before = rows()

    response = client.post("/register", {**GOOD, "email": "PIET@baken.nl"})

    assert response.status_code == 409
    assert "Er bestaat al een account met dit e-mailadres" in text(response)
    assert rows() == before
    assert client.get("/teams").status_code == 302


# --- login and logout ---------------------------------------------------------------------------


def test_login_success_goes_to_the_school(client, make_school):
    make_school("Het Baken", "admin@school.nl")
    response = client.post("/login", {"email": " Admin@School.nl ", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/start")
    follow = client.get("/start")
    assert follow.status_code == 302 and follow.headers["Location"].endswith("/teams")
    assert "Het Baken" in text(client.get("/teams"))


def test_login_with_a_wrong_password_is_401_in_dutch(client, make_school):
    make_school()
    response = client.post("/login", {"email": "admin@school.nl", "password": "fout-wachtwoord"})
    assert response.status_code == 401
    assert "Dit e-mailadres en wachtwoord horen niet bij elkaar." in text(response)
    assert client.get("/teams").status_code == 302


def test_login_with_an_unknown_email_gives_the_same_answer(client):
    response = client.post("/login", {"email": "niemand@school.nl", "password": PASSWORD})
    assert response.status_code == 401
    assert "horen niet bij elkaar" in text(response)


def test_login_with_empty_fields_is_422(client):
    response = client.post("/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "Vul dit veld in." in text(response)


def test_login_follows_a_local_next(client, make_school):
    make_school()
    response = client.post("/login?next=/members", {"email": "admin@school.nl",
                                                    "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/members"


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "https://evil.example/teams", "/\\evil.example",
     "javascript:alert(1)", "evil.example", "///evil.example", "/\t/evil.example",
     "/\n/evil.example", "http:/evil.example"],
)
def test_login_does_not_redirect_to_another_site(client, make_school, target):
    make_school()
    response = client.raw.post("/login", query_string={"next": target},
                               data={"email": "admin@school.nl", "password": PASSWORD,
                                     "csrf_token": client.csrf()})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.endswith("/start")
    assert "evil" not in location


def test_a_protected_page_sends_you_to_login_and_back(client, make_school):
    make_school()
    response = client.get("/members")
    assert response.status_code == 302
    assert "/login?next=/members" in response.headers["Location"]
    login = client.post("/login?next=/members", {"email": "admin@school.nl",
                                                 "password": PASSWORD})
    assert login.headers["Location"] == "/members"
    assert client.get("/members").status_code == 200


def test_the_eleventh_bad_login_within_a_minute_is_429(client, make_school):
    make_school()
    bad = {"email": "admin@school.nl", "password": "fout-wachtwoord"}
    for _ in range(10):
        assert client.post("/login", bad).status_code == 401

    response = client.post("/login", bad)

    assert response.status_code == 429
    page = text(response)
    assert "Te veel pogingen" in page
    assert "Wacht even" in page
    assert '<html lang="nl">' in page
    # even the right password is held back now
    assert client.post("/login", {**bad, "password": PASSWORD}).status_code == 429


def test_logout_is_post_only(client, make_school):
    make_school()
    client.login("admin@school.nl")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Niet toegestaan" in text(response)
    assert client.get("/teams").status_code == 200  # still logged in


def test_logout_ends_the_session(client, make_school):
    make_school()
    client.login("admin@school.nl")
    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")
    assert "Je bent uitgelogd." in text(client.get("/login"))
    assert client.get("/teams").status_code == 302


def test_logout_without_csrf_token_is_refused(client, make_school):
    make_school()
    client.login("admin@school.nl")
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/teams").status_code == 200


def test_a_password_change_logs_out_other_sessions(client, make_client, make_school, app):
    make_school()
    client.login("admin@school.nl")
    other = make_client()
    other.login("admin@school.nl")
    from lobscan.accounts import services

    with app.app_context():
        services.set_password(services.user_by_email("admin@school.nl"), "nieuw-wachtwoord-1")
        db.session.remove()

    assert client.get("/teams").status_code == 302
    assert other.get("/teams").status_code == 302


# --- password reset -----------------------------------------------------------------------------

LINK = re.compile(r"https?://[^\s]+/password/reset/([^\s/]+)")


def request_reset(client, outbox, email="admin@school.nl") -> str:
    response = client.post("/password/forgot", {"email": email})
    assert response.status_code == 200
    assert len(outbox) == 1
    body = outbox[0].get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_forgot_password_sends_one_mail_with_a_link(client, make_school, outbox):
    make_school()
    response = client.post("/password/forgot", {"email": "Admin@School.nl"})
    assert response.status_code == 200
    assert "Kijk in je e-mail" in text(response)
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail["To"] == "admin@school.nl"
    assert mail["Subject"] == "Nieuw wachtwoord voor lobscan"
    body = mail.get_content()
    assert "Hallo Anna Admin" in body
    assert "60 minuten geldig" in body
    assert LINK.search(body)


def test_forgot_password_for_an_unknown_email_looks_the_same_and_sends_nothing(
        client, make_school, outbox):
    make_school()
    known = text(client.post("/password/forgot", {"email": "admin@school.nl"}))
    outbox.clear()
    response = client.post("/password/forgot", {"email": "niemand@school.nl"})
    assert response.status_code == 200
    unknown = text(response)
    assert outbox == []
    assert "Kijk in je e-mail" in unknown
    assert "niemand@school.nl" in unknown

    def same(page, email):
        return re.sub(r'"[A-Za-z0-9._-]{40,}"', '"TOKEN"', page.replace(email, "EMAIL"))

    assert same(known, "admin@school.nl") == same(unknown, "niemand@school.nl")


def test_forgot_password_with_a_bad_email_is_422(client, outbox):
    response = client.post("/password/forgot", {"email": "geen-adres"})
    assert response.status_code == 422
    assert "Vul een geldig e-mailadres in." in text(response)
    assert outbox == []


def test_password_reset_full_flow(client, make_client, make_school, outbox):
    make_school()
    token = request_reset(client, outbox)

    form = client.get(f"/password/reset/{token}")
    assert form.status_code == 200
    assert "Kies een nieuw wachtwoord" in text(form)

    mismatch = client.post(f"/password/reset/{token}",
                           {"password": "nieuw-wachtwoord-1", "confirm": "iets-anders-12"})
    assert mismatch.status_code == 422
    assert "De wachtwoorden zijn niet gelijk." in text(mismatch)
    short = client.post(f"/password/reset/{token}", {"password": "kort", "confirm": "kort"})
    assert short.status_code == 422
    assert "Kies een wachtwoord van 10 tot 128 tekens." in text(short)

    done = client.post(f"/password/reset/{token}",
                       {"password": "nieuw-wachtwoord-1", "confirm": "nieuw-wachtwoord-1"})
    assert done.status_code == 303
    assert "Je wachtwoord is gewijzigd. Je bent ingelogd." in text(client.get("/teams"))

    fresh = make_client()
    assert fresh.post("/login", {"email": "admin@school.nl",
                                 "password": PASSWORD}).status_code == 401
    assert fresh.post("/login", {"email": "admin@school.nl",
                                 "password": "nieuw-wachtwoord-1"}).status_code == 303

    again = fresh.get(f"/password/reset/{token}")
    assert again.status_code == 410
    assert "Deze link werkt niet meer" in text(again)
    reuse = make_client().post(f"/password/reset/{token}",
                               {"password": "derde-wachtwoord", "confirm": "derde-wachtwoord"})
    assert reuse.status_code == 410
    assert fresh.post("/logout").status_code == 303
    assert fresh.post("/login", {"email": "admin@school.nl",
                                 "password": "derde-wachtwoord"}).status_code == 401


def test_a_tampered_reset_link_is_410(client, make_school, outbox):
    make_school()
    token = request_reset(client, outbox)
    tampered = token[:2] + ("A" if token[2] != "A" else "B") + token[3:]
    response = client.get(f"/password/reset/{tampered}")
    assert response.status_code == 410
    assert "Nieuwe link aanvragen" in text(response)
    assert client.get("/password/reset/zomaar-iets").status_code == 410


def test_an_expired_reset_link_is_410(client, make_school, outbox, app):
    make_school()
    token = request_reset(client, outbox)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        assert client.get(f"/password/reset/{token}").status_code == 410
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    assert client.get(f"/password/reset/{token}").status_code == 200


# --- several schools ----------------------------------------------------------------------------


@pytest.fixture
def two_schools(make_school, add_member):
    """Carl belongs to two schools and has never chosen one."""
    alpha, _ = make_school("Alfa College", "beheer@alfa.nl")
    beta, _ = make_school("Beta Lyceum", "beheer@beta.nl")
    add_member(alpha, "carl@school.nl", "member", name="Carl")
    add_member(beta, "carl@school.nl", "coordinator", name="Carl")
    return alpha, beta


def test_a_user_in_two_schools_picks_one_and_the_choice_sticks(client, two_schools, user_row):
    alpha, beta = two_schools
    client.login("carl@school.nl")

    start = client.get("/start")
    assert start.status_code == 302
    assert "/schools" in start.headers["Location"]
    page = text(client.get("/schools"))
    assert "Kies je school" in page
    assert "Alfa College" in page and "Beta Lyceum" in page
    assert "als teamlid" in page and "als coördinator" in page

    chosen = client.post(f"/schools/{beta}/choose")
    assert chosen.status_code == 303
    teams = text(client.get("/teams"))
    assert "Beta Lyceum" in teams
    assert user_row("carl@school.nl").last_school_id == beta

    client.post("/logout")
    client.login("carl@school.nl")
    again = text(client.get("/teams"))
    assert "Beta Lyceum" in again
    assert "Alfa College" not in again

    client.post(f"/schools/{alpha}/choose")
    assert "Alfa College" in text(client.get("/teams"))
    assert user_row("carl@school.nl").last_school_id == alpha


def test_choosing_a_school_you_are_not_a_member_of_is_404(client, two_schools, make_school,
                                                          user_row):
    alpha, _ = two_schools
    other, _ = make_school("Andere school", "beheer@andere.nl")
    client.login("carl@school.nl")
    client.post(f"/schools/{alpha}/choose")

    response = client.post(f"/schools/{other}/choose")

    assert response.status_code == 404
    assert "Niet gevonden" in text(response)
    assert "Andere school" not in text(client.get("/teams"))
    assert user_row("carl@school.nl").last_school_id == alpha
    assert client.post("/schools/999999/choose").status_code == 404


def test_choosing_a_school_needs_the_csrf_token(client, two_schools, user_row):
    alpha, _ = two_schools
    client.login("carl@school.nl")
    assert client.post(f"/schools/{alpha}/choose", csrf=False).status_code == 400
    assert user_row("carl@school.nl").last_school_id is None


def test_choose_school_follows_only_a_local_next(client, two_schools):
    alpha, beta = two_schools
    client.login("carl@school.nl")
    local = client.post(f"/schools/{alpha}/choose?next=/members")
    assert local.headers["Location"] == "/members"
    foreign = client.post(f"/schools/{beta}/choose?next=//evil.example/")
    assert foreign.headers["Location"].endswith("/start")


def test_a_user_without_school_sees_an_explanation(client, add_member, make_school, app):
    school, _ = make_school()
    add_member(school, "weg@school.nl", "member")
    from lobscan.accounts import services

    with app.app_context():
        user = services.user_by_email("weg@school.nl")
        db.session.delete(user.memberships[0])
        db.session.commit()
        db.session.remove()
    client.login("weg@school.nl")
    assert client.get("/teams").status_code == 302
    page = text(client.get("/schools"))
    assert "geen lid van een school" in page
