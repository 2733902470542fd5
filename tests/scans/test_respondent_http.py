"""HTTP tests of the respondent flow: invite link, start, autosave, sections, overview, finish.

Every bad request answers a clear Dutch page or message with a 4xx, never a 500, and writes
nothing: the respondent and answer rows are compared before and after.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lobscan.core.db import utcnow
from tests.scans.conftest import text

TOTAL = 66  # statements in the built-in LOB-scan


def autosave(client, token: str, statement_id, value, csrf: bool = True):
    return client.post(f"/r/{token}/antwoord",
                       {"statement": str(statement_id), f"s{statement_id}": str(value)},
                       htmx=True, csrf=csrf)


def forms_in(response) -> int:
    return len(re.findall(r"<form\b", text(response)))


def assert_dutch_error(response, status: int, *phrases: str) -> None:
    assert response.status_code == status, (response.status_code, text(response)[:500])
    body = text(response)
    assert "Traceback" not in body
    for phrase in phrases:
        assert phrase in body, f"{phrase!r} not in the {status} answer"


# --- the invite link ------------------------------------------------------------------------------


def test_unknown_invite_token_is_a_dutch_404_and_writes_nothing(client, scan, rows):
    before = rows()
    page = client.get("/s/bestaat-niet-" + "x" * 20)
    assert_dutch_error(page, 404, "Niet gevonden", "Deze pagina bestaat niet")

    post = client.post("/s/bestaat-niet", {"name": "Ans", "role": "docent"})
    assert_dutch_error(post, 404, "Niet gevonden")
    too_long = client.get("/s/" + "a" * 300)
    assert_dutch_error(too_long, 404, "Niet gevonden")
    assert rows() == before


def test_intro_explains_the_scan_and_asks_name_and_role(client, scan):
    page = client.get(f"/s/{scan['token']}")
    assert page.status_code == 200
    body = text(page)
    assert "LOB-scan test" in body
    assert "66 stellingen in 11 onderdelen" in body
    assert "Wie ziet wat" in body and "met je naam en rol" in body
    assert 'name="name"' in body
    for role in ("docent", "mentor", "decaan", "management", "ondersteuning", "anders"):
        assert f'value="{role}"' in body
    assert "Ga verder waar je was" not in body


def test_a_replaced_link_stops_at_once_but_started_respondents_go_on(
        client, make_client, school, scan, start, rows, answers_of, sections_of):
    first_statement = sections_of(scan)[0][0]
    respondent_client, resume = start(scan)
    assert autosave(respondent_client, resume, first_statement, 2).status_code == 200

    client.login(school.admin_email)
    replaced = client.post(f"/scans/{scan['id']}/replace-link")
    assert replaced.status_code == 303
    scan_page = text(client.get(f"/scans/{scan['id']}"))
    new_token = re.search(r"/s/([A-Za-z0-9_\-]+)", scan_page).group(1)
    assert new_token != scan["token"]

    before = rows()
    stranger = make_client()
    assert_dutch_error(stranger.get(f"/s/{scan['token']}"), 404, "Niet gevonden")
    assert_dutch_error(stranger.post(f"/s/{scan['token']}", {"name": "Bob", "role": "mentor"}),
                       404, "Niet gevonden")
    assert rows() == before

    # The new link works for newcomers ...
    assert stranger.get(f"/s/{new_token}").status_code == 200
    _, newcomer = start({**scan, "token": new_token}, name="Bob", client=stranger)
    assert newcomer != resume
    # ... and whoever had started keeps working through their own link.
    assert respondent_client.get(f"/r/{resume}/onderdeel/1").status_code == 200
    assert autosave(respondent_client, resume, first_statement, 4).status_code == 200
    assert answers_of(resume) == {first_statement: 4}


@pytest.mark.parametrize("kind", ["draft", "opens_later"])
def test_a_scan_not_yet_open_is_explained_without_a_form(client, school, make_scan, rows, kind):
    opens_at = utcnow() + dt.timedelta(days=3) if kind == "opens_later" else None
    scan = make_scan(school.school_id, school.admin_id, open_now=False, opens_at=opens_at)
    page = client.get(f"/s/{scan['token']}")
    assert page.status_code == 200
    body = text(page)
    assert "Deze scan is nog niet geopend." in body
    if kind == "opens_later":
        assert "Hij opent op" in body
    else:
        assert "Probeer het later opnieuw met dezelfde link." in body
    assert forms_in(page) == 0

    before = rows()
    post = client.post(f"/s/{scan['token']}", {"name": "Ans", "role": "docent"})
    assert_dutch_error(post, 409, "Deze scan is nog niet geopend.")
    assert forms_in(post) == 0
    assert rows() == before


@pytest.mark.parametrize("kind", ["closed_by_hand", "closing_date_passed"])
def test_a_closed_scan_is_explained_without_a_form(client, school, make_scan, close_scan, rows,
                                                   kind):
    if kind == "closed_by_hand":
        scan = make_scan(school.school_id, school.admin_id)
        close_scan(scan, school)
    else:
        now = utcnow()
        scan = make_scan(school.school_id, school.admin_id,
                         opens_at=now - dt.timedelta(days=10), closes_at=now - dt.timedelta(days=1))
    page = client.get(f"/s/{scan['token']}")
    assert page.status_code == 200
    assert "Deze scan is gesloten." in text(page)
    assert forms_in(page) == 0

    before = rows()
    post = client.post(f"/s/{scan['token']}", {"name": "Ans", "role": "docent"})
    assert_dutch_error(post, 409, "Deze scan is gesloten.")
    assert forms_in(post) == 0
    assert rows() == before


# --- starting -------------------------------------------------------------------------------------


def test_start_in_a_named_scan_stores_name_and_role_and_sets_the_cookie(
        client, scan, rows, respondent_of):
    response = client.post(f"/s/{scan['token']}", {"name": "  Ans de Wit ", "role": "mentor"})
    assert response.status_code == 303
    resume = re.search(r"/r/([^/]+)/onderdeel/1$", response.headers["Location"]).group(1)
    assert len(resume) >= 22  # at least 128 bits
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"lobscan_r{scan['id']}={resume}")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    respondent = respondent_of(resume)
    assert (respondent.display_name, respondent.role, respondent.number) == ("Ans de Wit",
                                                                            "mentor", 1)
    assert respondent.completed_at is None
    assert len(rows()["respondents"]) == 1


def test_a_named_scan_requires_a_name(client, scan, rows):
    before = rows()
    response = client.post(f"/s/{scan['token']}", {"name": "   ", "role": "docent"})
    assert_dutch_error(response, 422, "Vul je naam in.")
    assert "<form" in text(response)  # the form comes back to fix the mistake
    assert rows() == before


def test_a_pseudonymous_scan_asks_no_name_and_stores_none(client, school, make_scan, start,
                                                          respondent_of):
    scan = make_scan(school.school_id, school.admin_id, anonymity="pseudonymous")
    page = text(client.get(f"/s/{scan['token']}"))
    assert 'name="name"' not in page
    assert "zonder naam" in page

    _, first = start(scan, name="Ans de Wit", client=client)  # a name sent anyway is dropped
    _, second = start(scan, name="", role="decaan")
    assert respondent_of(first).display_name == ""
    assert respondent_of(first).pseudonym == "R1"
    assert (respondent_of(second).pseudonym, respondent_of(second).role) == ("R2", "decaan")


def test_a_name_over_80_characters_is_refused(client, scan, start, rows, respondent_of):
    before = rows()
    response = client.post(f"/s/{scan['token']}", {"name": "A" * 81, "role": "docent"})
    assert_dutch_error(response, 422, "Gebruik maximaal 80 tekens.")
    assert rows() == before

    _, resume = start(scan, name="B" * 80)  # the limit itself is fine
    assert respondent_of(resume).display_name == "B" * 80


@pytest.mark.parametrize("role", ["directeur", "", "docent' OR 1=1"])
def test_a_role_outside_the_list_is_refused(client, scan, rows, role):
    before = rows()
    data = {"name": "Ans"}
    if role:
        data["role"] = role
    response = client.post(f"/s/{scan['token']}", data)
    assert response.status_code == 422
    body = text(response)
    assert "Kies je rol." in body or "Ongeldige keuze." in body, body[:2000]
    assert "Not a valid choice" not in body
    assert rows() == before


def test_a_request_body_over_1_mib_is_a_dutch_413_and_writes_nothing(client, scan, start, rows,
                                                                     sections_of):
    before = rows()
    huge = "x" * (1024 * 1024 + 1)
    response = client.post(f"/s/{scan['token']}", {"name": huge, "role": "docent"})
    assert_dutch_error(response, 413, "Te groot", "Wat je verstuurde is te groot.")
    assert rows() == before

    respondent_client, resume = start(scan)
    before = rows()
    statement = sections_of(scan)[0][0]
    response = respondent_client.post(
        f"/r/{resume}/antwoord", {"statement": str(statement), f"s{statement}": "3",
                                  "padding": huge}, htmx=True)
    assert_dutch_error(response, 413, "Wat je verstuurde is te groot.")
    assert rows() == before


def test_missing_csrf_token_is_a_dutch_400_everywhere_and_writes_nothing(
        client, scan, start, rows, sections_of):
    sections = sections_of(scan)
    statement = sections[0][0]
    message = "Je sessie is verlopen of het formulier is niet compleet."

    before = rows()
    response = client.post(f"/s/{scan['token']}", {"name": "Ans", "role": "docent"}, csrf=False)
    assert_dutch_error(response, 400, message)
    assert rows() == before

    respondent_client, resume = start(scan)
    before = rows()
    response = autosave(respondent_client, resume, statement, 3, csrf=False)
    assert_dutch_error(response, 400, message)
    response = respondent_client.post(f"/r/{resume}/onderdeel/1",
                                      {f"s{sid}": "3" for sid in sections[0]}, csrf=False)
    assert_dutch_error(response, 400, message)
    response = respondent_client.post(f"/r/{resume}/afronden", {}, csrf=False)
    assert_dutch_error(response, 400, message)
    assert rows() == before

    # A token of another session does not count either.
    other_client, _ = start(scan, name="Bob")
    foreign_token = other_client.csrf()
    response = respondent_client.raw.post(
        f"/r/{resume}/antwoord", data={"statement": str(statement), f"s{statement}": "3"},
        headers={"HX-Request": "true", "X-CSRFToken": foreign_token})
    assert_dutch_error(response, 400, message)


# --- answering ------------------------------------------------------------------------------------


def test_autosave_confirms_and_updates_the_progress_out_of_band(scan, start, sections_of,
                                                                answers_of):
    client, resume = start(scan)
    statement = sections_of(scan)[0][0]

    response = autosave(client, resume, statement, 4)
    assert response.status_code == 200
    body = text(response)
    assert f'id="state-{statement}"' in body
    assert "Opgeslagen" in body
    progress = re.search(r'<div id="progress"[^>]*>.*?</div>', body, re.S)
    assert progress and 'hx-swap-oob="true"' in progress.group(0)
    assert f"1 van {TOTAL} stellingen beantwoord" in progress.group(0)
    assert answers_of(resume) == {statement: 4}


def test_changing_an_answer_keeps_one_row_with_the_last_value(scan, start, sections_of, rows,
                                                              answers_of):
    client, resume = start(scan)
    statement = sections_of(scan)[0][0]
    for value in (1, 5, 2):
        assert autosave(client, resume, statement, value).status_code == 200
    assert answers_of(resume) == {statement: 2}
    assert len(rows()["answers"]) == 1
    assert f"1 van {TOTAL}" in text(autosave(client, resume, statement, 3))


def test_weet_ik_niet_stores_null_and_counts_as_answered(scan, start, sections_of, answers_of):
    client, resume = start(scan)
    first, second = sections_of(scan)[0][:2]
    autosave(client, resume, first, 4)
    response = autosave(client, resume, second, "nvt")
    assert response.status_code == 200
    assert f"2 van {TOTAL}" in text(response)
    assert answers_of(resume) == {first: 4, second: None}

    page = text(client.get(f"/r/{resume}/onderdeel/1"))
    assert re.search(rf'name="s{second}" value="nvt" checked', page)
    assert re.search(rf'name="s{first}" value="4" checked', page)


@pytest.mark.parametrize("value", ["0", "6", "abc", "", "3.5", "-1", "1e1"])
def test_a_value_outside_the_scale_is_refused_by_autosave(scan, start, sections_of, rows, value):
    client, resume = start(scan)
    statement = sections_of(scan)[0][0]
    before = rows()
    response = autosave(client, resume, statement, value)
    assert_dutch_error(response, 422, "Niet opgeslagen", "Kies een antwoord op de schaal.")
    assert rows() == before


@pytest.mark.parametrize("value", ["0", "6", "abc"])
def test_a_value_outside_the_scale_is_refused_by_the_section_post(scan, start, sections_of, rows,
                                                                  value):
    client, resume = start(scan)
    statements = sections_of(scan)[0]
    before = rows()
    data = {f"s{sid}": "3" for sid in statements}  # all fine ...
    data[f"s{statements[-1]}"] = value  # ... but one
    data["go"] = "next"
    response = client.post(f"/r/{resume}/onderdeel/1", data)
    assert_dutch_error(response, 422, "Kies een antwoord op de schaal.")
    assert "<form" in text(response)  # the section comes back to fix it
    assert rows() == before  # not even the valid ones: one section, one transaction


def test_a_statement_outside_this_scans_version_is_refused(app, scan, school, start, rows,
                                                           answers_of):
    from lobscan.extensions import db
    from lobscan.questionnaires.services import copy_for_school, statement_ids

    with app.app_context():
        copy = copy_for_school(school.school_id, school.admin_id, scan["questionnaire_id"],
                               "Eigen versie")
        foreign = min(statement_ids(copy.id))
        db.session.remove()

    client, resume = start(scan)
    before = rows()
    for statement_id in (foreign, 999_999):
        response = autosave(client, resume, statement_id, 3)
        assert_dutch_error(response, 422, "Deze stelling hoort niet bij deze scan.")
    response = client.post(f"/r/{resume}/antwoord", {"statement": "abc", "sabc": "3"},
                           htmx=True)
    assert_dutch_error(response, 422, "Deze stelling hoort niet bij deze scan.")
    response = client.post(f"/r/{resume}/antwoord", {"statement": "99999999999999999999999",
                                                     "s99999999999999999999999": "3"}, htmx=True)
    assert_dutch_error(response, 422, "Deze stelling hoort niet bij deze scan.")
    assert rows() == before

    # Without htmx the same refusal is a whole Dutch page.
    response = client.post(f"/r/{resume}/antwoord", {"statement": str(foreign),
                                                     f"s{foreign}": "3"})
    assert_dutch_error(response, 422, "Niet opgeslagen", "Deze stelling hoort niet bij deze scan.")
    assert "<html" in text(response)

    # A section POST only ever writes its own statements; smuggled fields are ignored.
    response = client.post(f"/r/{resume}/onderdeel/1", {f"s{foreign}": "3", "go": "next"})
    assert response.status_code == 303
    assert answers_of(resume) == {}


def test_a_resume_token_only_touches_its_own_answers(scan, start, sections_of, answers_of,
                                                     respondent_of):
    statement = sections_of(scan)[0][0]
    ans_client, ans = start(scan, name="Ans")
    bob_client, bob = start(scan, name="Bob")
    autosave(ans_client, ans, statement, 1)
    autosave(bob_client, bob, statement, 5)

    # Ans changes "her" answer, adding Bob's respondent id and token to the form for good measure.
    bob_id = respondent_of(bob).id
    response = ans_client.post(f"/r/{ans}/antwoord",
                               {"statement": str(statement), f"s{statement}": "3",
                                "respondent": str(bob_id), "respondent_id": str(bob_id),
                                "token": bob}, htmx=True)
    assert response.status_code == 200
    ans_client.post(f"/r/{ans}/afronden", {})

    assert answers_of(ans) == {statement: 3}
    assert answers_of(bob) == {statement: 5}
    assert respondent_of(bob).completed_at is None
    assert respondent_of(ans).completed_at is not None


@pytest.mark.parametrize(("method", "path"), [
    ("GET", ""), ("GET", "/onderdeel/1"), ("POST", "/onderdeel/1"), ("POST", "/antwoord"),
    ("GET", "/overzicht"), ("POST", "/afronden"), ("GET", "/klaar"),
])
def test_an_unknown_resume_token_is_a_dutch_404(scan, start, sections_of, rows, method, path):
    client, _ = start(scan)
    statement = sections_of(scan)[0][0]
    before = rows()
    url = f"/r/{'x' * 43}{path}"
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, {"statement": str(statement), f"s{statement}": "3"})
    assert_dutch_error(response, 404, "Niet gevonden")
    assert rows() == before


def test_a_section_number_out_of_range_is_404(scan, start):
    client, resume = start(scan)
    assert_dutch_error(client.get(f"/r/{resume}/onderdeel/0"), 404, "Niet gevonden")
    assert_dutch_error(client.get(f"/r/{resume}/onderdeel/12"), 404, "Niet gevonden")
    assert client.get(f"/r/{resume}/onderdeel/11").status_code == 200


# --- sections without JavaScript, overview, finish ------------------------------------------------


def test_a_section_post_saves_all_and_goes_where_the_button_points(scan, start, sections_of,
                                                                   answers_of):
    sections = sections_of(scan)
    client, resume = start(scan)

    page = text(client.get(f"/r/{resume}/onderdeel/1"))
    assert "onderdeel 1 van 11" in page
    assert f"0 van {TOTAL}" in page
    for sid in sections[0]:
        assert f'name="s{sid}"' in page

    values = {sid: (i % 5) + 1 for i, sid in enumerate(sections[0])}
    values[sections[0][-1]] = None
    data = {f"s{sid}": "nvt" if v is None else str(v) for sid, v in values.items()}
    response = client.post(f"/r/{resume}/onderdeel/1", {**data, "go": "next"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/r/{resume}/onderdeel/2")
    assert answers_of(resume) == values

    response = client.post(f"/r/{resume}/onderdeel/2", {f"s{sections[1][0]}": "5", "go": "prev"})
    assert response.headers["Location"].endswith(f"/r/{resume}/onderdeel/1")
    response = client.post(f"/r/{resume}/onderdeel/3", {"go": "overview"})
    assert response.headers["Location"].endswith(f"/r/{resume}/overzicht")
    response = client.post(f"/r/{resume}/onderdeel/11", {"go": "next"})
    assert response.headers["Location"].endswith(f"/r/{resume}/overzicht")
    assert answers_of(resume) == {**values, sections[1][0]: 5}

    # The page shows what was saved.
    page = text(client.get(f"/r/{resume}/onderdeel/1"))
    assert f"{len(sections[0]) + 1} van {TOTAL}" in page
    for sid, value in values.items():
        shown = "nvt" if value is None else value
        assert re.search(rf'name="s{sid}" value="{shown}" checked', page)


def test_resume_link_goes_to_the_first_section_with_open_statements(scan, start, sections_of):
    sections = sections_of(scan)
    client, resume = start(scan)
    assert client.get(f"/r/{resume}").headers["Location"].endswith("/onderdeel/1")
    client.post(f"/r/{resume}/onderdeel/1", {f"s{sid}": "4" for sid in sections[0]})
    client.post(f"/r/{resume}/onderdeel/2", {f"s{sid}": "4" for sid in sections[1][:-1]})
    assert client.get(f"/r/{resume}").headers["Location"].endswith("/onderdeel/2")
    for number, statements in enumerate(sections, start=1):
        client.post(f"/r/{resume}/onderdeel/{number}", {f"s{sid}": "nvt" for sid in statements})
    assert client.get(f"/r/{resume}").headers["Location"].endswith("/overzicht")


def test_overview_shows_what_is_still_open_and_finishing_completes(scan, start, sections_of,
                                                                   respondent_of):
    sections = sections_of(scan)
    client, resume = start(scan)
    client.post(f"/r/{resume}/onderdeel/1", {f"s{sid}": "3" for sid in sections[0]})
    client.post(f"/r/{resume}/onderdeel/2", {f"s{sections[1][0]}": "3"})

    page = text(client.get(f"/r/{resume}/overzicht"))
    assert f"{len(sections[0]) + 1} van {TOTAL}" in page
    assert page.count("klaar") >= 1
    assert f"nog {len(sections[1]) - 1} open" in page
    assert page.count(f"nog {len(sections[2])} open") >= 9  # sections 3..11 untouched
    assert "Je kunt ook afronden met open stellingen" in page
    assert "Afronden" in page

    response = client.post(f"/r/{resume}/afronden", {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/r/{resume}/klaar")
    assert respondent_of(resume).completed_at is not None

    thanks = text(client.get(f"/r/{resume}/klaar"))
    assert "Bedankt voor het invullen!" in thanks
    assert f"/r/{resume}" in thanks and 'id="resume-link"' in thanks

    # Finishing twice keeps the first moment.
    first = respondent_of(resume).completed_at
    client.post(f"/r/{resume}/afronden", {})
    assert respondent_of(resume).completed_at == first


def test_after_finishing_the_resume_link_still_changes_answers_while_open(
        scan, start, sections_of, answers_of, respondent_of, make_client):
    statement = sections_of(scan)[0][0]
    client, resume = start(scan)
    autosave(client, resume, statement, 2)
    client.post(f"/r/{resume}/afronden", {})

    other_device = make_client()  # the personal link works without the cookie too
    assert other_device.get(f"/r/{resume}").status_code == 302
    assert other_device.get(f"/r/{resume}/onderdeel/1").status_code == 200
    assert autosave(other_device, resume, statement, 5).status_code == 200
    assert answers_of(resume) == {statement: 5}
    assert respondent_of(resume).completed_at is not None


def test_after_closing_every_change_is_refused_in_dutch(scan, school, start, sections_of, rows,
                                                        close_scan, make_client):
    sections = sections_of(scan)
    statement = sections[0][0]
    client, resume = start(scan)
    autosave(client, resume, statement, 2)
    close_scan(scan, school)
    before = rows()

    response = autosave(client, resume, statement, 5)
    assert_dutch_error(response, 409, "Niet opgeslagen", "Deze scan is gesloten.")
    response = client.post(f"/r/{resume}/onderdeel/1", {f"s{statement}": "5", "go": "next"})
    assert_dutch_error(response, 409, "Deze scan is gesloten.")
    assert forms_in(response) == 0
    response = client.post(f"/r/{resume}/afronden", {})
    assert_dutch_error(response, 409, "Deze scan is gesloten.")
    response = client.post(f"/s/{scan['token']}", {"name": "Laat", "role": "docent"})
    assert_dutch_error(response, 409, "Deze scan is gesloten.")
    assert rows() == before

    # Reading stays possible, without a form to change anything.
    section = client.get(f"/r/{resume}/onderdeel/1")
    assert "Deze scan is gesloten." in text(section) and forms_in(section) == 0
    overview = client.get(f"/r/{resume}/overzicht")
    assert overview.status_code == 200
    assert "Je antwoorden zijn bewaard." in text(overview) and forms_in(overview) == 0

    # Reopened, the same link works again.
    close_scan(scan, school, state="open")
    assert autosave(client, resume, statement, 5).status_code == 200


def test_the_cookie_brings_a_respondent_back_to_where_they_were(client, make_client, scan, start,
                                                                school, make_scan):
    _, resume = start(scan, client=client)
    page = text(client.get(f"/s/{scan['token']}"))
    assert "Ga verder waar je was" in page
    assert f'href="/r/{resume}"' in page
    assert "<form" in page  # someone else on this device can still start

    assert "Ga verder waar je was" not in text(make_client().get(f"/s/{scan['token']}"))

    # A cookie only counts for its own scan, even if it is copied under another scan's name.
    other = make_scan(school.school_id, school.admin_id, name="Andere scan")
    stranger = make_client()
    stranger.raw.set_cookie(f"lobscan_r{other['id']}", resume)
    assert "Ga verder waar je was" not in text(stranger.get(f"/s/{other['token']}"))
