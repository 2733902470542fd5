"""The accounts area in a real browser: registering, logging in, inviting, htmx, keyboard,
small screens and accessibility (axe-core)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import serious_a11y_violations

MOBILE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


# --- helpers -----------------------------------------------------------------------------------


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres", exact=True).fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/teams$"))


def nav_link(page: Page, name: str):
    """A link in the main menu."""
    return page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=name,
                                                                         exact=True)


def mark_page(page: Page) -> None:
    """A flag on window that a full page load would wipe out."""
    page.evaluate("window.__lobscanNoReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__lobscanNoReload === true"), "the page was reloaded"


def create_invitation_in_ui(page: Page, role_label: str, label: str = "") -> str:
    nav_link(page, "Uitnodigen").click()
    expect(page.get_by_role("heading", name="Collega's uitnodigen")).to_be_visible()
    page.get_by_label("Rol", exact=True).select_option(label=role_label)
    if label:
        page.get_by_label("Voor wie (optioneel)").fill(label)
    page.get_by_role("button", name="Maak uitnodigingslink").click()
    created = page.locator("#created-link")
    expect(created).to_have_value(re.compile(r"^http://.+/join/[\w-]{20,}$"))
    return created.input_value()


# --- a) registering, logging out and in --------------------------------------------------------


def test_register_a_school_then_log_out_and_in_again(page: Page):
    page.goto("/")
    page.get_by_text("Registreer je school", exact=True).click()
    expect(page.get_by_role("heading", name="Registreer je school")).to_be_visible()
    page.get_by_label("Naam van de school", exact=True).fill("Het Baken")
    page.get_by_label("Je naam", exact=True).fill("Piet Decaan")
    page.get_by_label("E-mailadres", exact=True).fill("piet@baken.nl")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="School registreren").click()

    expect(page).to_have_url(re.compile(r"/teams$"))
    expect(page.get_by_role("heading", name="Teams", level=1)).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Het Baken")
    expect(page.get_by_role("link", name="Mijn team")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Het Baken is aangemaakt")

    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("Je bent uitgelogd.")
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)

    page.goto("/teams")  # logged out: the login page, with the way back remembered
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mailadres", exact=True).fill("piet@baken.nl")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/teams$"))
    expect(page.get_by_role("banner")).to_contain_text("Het Baken")
    expect(page.get_by_role("link", name="Mijn team")).to_be_visible()


def test_a_wrong_password_shows_a_message_at_the_form(page: Page, make_school):
    make_school("Het Baken", "piet@baken.nl")
    page.goto("/login")
    page.get_by_label("E-mailadres", exact=True).fill("piet@baken.nl")
    page.get_by_label("Wachtwoord", exact=True).fill("niet-het-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_contain_text("horen niet bij elkaar")
    expect(page).to_have_url(re.compile(r"/login$"))


# --- b) inviting a colleague, and the htmx paths -----------------------------------------------


def test_invite_a_colleague_who_joins_with_a_new_account(page: Page, browser: Browser,
                                                         browser_context_args: dict,
                                                         make_school):
    make_school("Het Baken", "piet@baken.nl", "Piet Decaan")
    login(page, "piet@baken.nl")
    link = create_invitation_in_ui(page, "coördinator", "Carla")
    invitation = page.locator("#invitation-list li", has_text="Carla")
    expect(invitation).to_contain_text("coördinator")
    expect(invitation).to_contain_text("open tot")

    colleague_context = browser.new_context(**browser_context_args)
    try:
        colleague = colleague_context.new_page()
        colleague.goto(link)
        expect(colleague.get_by_role("heading", level=1)).to_have_text(
            "Je bent uitgenodigd voor Het Baken")
        expect(colleague.get_by_text("Je wordt lid als coördinator.")).to_be_visible()
        colleague.get_by_label("Je naam", exact=True).fill("Carla Collega")
        colleague.get_by_label("E-mailadres", exact=True).fill("carla@baken.nl")
        colleague.get_by_label("Wachtwoord", exact=True).fill("nog-een-goed-wachtwoord")
        colleague.get_by_role("button", name="Account maken en lid worden").click()
        expect(colleague).to_have_url(re.compile(r"/teams$"))
        expect(colleague.get_by_role("status")).to_contain_text("Welkom bij Het Baken!")
        expect(colleague.get_by_role("banner")).to_contain_text("Carla Collega")
        expect(colleague.get_by_role("link", name="Mijn team")).to_be_visible()
        # A coordinator may invite too, but not see the activity log.
        nav = colleague.get_by_role("navigation", name="Hoofdmenu")
        expect(nav.get_by_role("link", name="Uitnodigen")).to_be_visible()
        expect(nav.get_by_role("link", name="Activiteit")).to_have_count(0)
    finally:
        colleague_context.close()

    nav_link(page, "Leden").click()
    page.reload()
    row = page.locator("li.member", has_text="Carla Collega")
    expect(row).to_contain_text("carla@baken.nl")
    expect(row).to_contain_text("Rol: coördinator")

    # The link worked once: the admin's list now says who used it, and it cannot be used again.
    nav_link(page, "Uitnodigen").click()
    expect(page.locator("#invitation-list li", has_text="Carla")).to_contain_text(
        "gebruikt door Carla Collega")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Deze uitnodiging is niet meer geldig")


def test_create_a_team_without_a_full_reload(page: Page, make_school):
    make_school("Het Baken", "piet@baken.nl")
    login(page, "piet@baken.nl")
    mark_page(page)

    name_field = page.get_by_label("Naam van het team", exact=True)
    name_field.fill("Havo 4")
    page.get_by_role("button", name="Team toevoegen").click()

    teams = page.locator("#team-list")
    expect(teams.get_by_role("link", name="Havo 4")).to_be_visible()
    expect(teams.get_by_role("link", name="Mijn team")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Team Havo 4 is aangemaakt.")
    expect(page.get_by_label("Naam van het team", exact=True)).to_have_value("")
    assert_not_reloaded(page)

    # The same name again: the message appears at the field, still without a reload.
    page.get_by_label("Naam van het team", exact=True).fill("havo 4")
    page.get_by_role("button", name="Team toevoegen").click()
    expect(page.locator(".field-error")).to_contain_text("Er is al een team met deze naam.")
    expect(page.get_by_label("Naam van het team", exact=True)).to_have_attribute(
        "aria-invalid", "true")
    assert_not_reloaded(page)

    page.reload()  # a plain page shows the same state
    expect(page.locator("#team-list").get_by_role("link")).to_have_count(2)
    page.locator("#team-list").get_by_role("link", name="Havo 4").click()
    expect(page.get_by_role("heading", name="Havo 4", level=1)).to_be_visible()


def test_change_a_members_role_without_a_full_reload(page: Page, make_school, add_member):
    school_id, _ = make_school("Het Baken", "piet@baken.nl")
    add_member(school_id, "carla@baken.nl", "member", name="Carla Collega")
    login(page, "piet@baken.nl")
    nav_link(page, "Leden").click()
    expect(page.get_by_role("heading", name="Leden van Het Baken")).to_be_visible()
    mark_page(page)

    row = page.locator("li.member", has_text="Carla Collega")
    expect(row).to_contain_text("Rol: teamlid")
    row.get_by_label("Rol van Carla Collega").select_option(label="schoolleiding")
    row.get_by_role("button", name="Rol wijzigen").click()

    expect(row).to_contain_text("Rol: schoolleiding")
    expect(page.get_by_role("status")).to_contain_text("De rol van Carla Collega is gewijzigd.")
    assert_not_reloaded(page)

    page.reload()
    expect(page.locator("li.member", has_text="Carla Collega")).to_contain_text(
        "Rol: schoolleiding")


# --- c) keyboard -------------------------------------------------------------------------------


def _focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "",
                text: (el.innerText || "").trim(),
                outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
            };
        }"""
    )


def test_the_login_form_works_with_the_keyboard_and_shows_focus(page: Page, make_school):
    make_school("Het Baken", "piet@baken.nl")
    page.goto("/login")
    # Start the tab order at the page heading, before the form (as a reader would arrive).
    page.get_by_role("heading", name="Inloggen").click()

    seen: list[dict] = []
    for _ in range(10):
        page.keyboard.press("Tab")
        focused = _focused(page)
        seen.append(focused)
        if focused["tag"] == "button" and focused["text"] == "Inloggen":
            break

    def position(predicate) -> int:
        for index, element in enumerate(seen):
            if predicate(element):
                return index
        pytest.fail(f"Tab never reached the element; focus went through {seen}")

    email = position(lambda e: e["id"] == "email")
    password = position(lambda e: e["id"] == "password")
    submit = position(lambda e: e["tag"] == "button" and e["text"] == "Inloggen")
    assert email < password < submit
    for element in (seen[email], seen[password], seen[submit]):
        assert element["outlineStyle"] != "none", f"no visible focus outline on {element}"
        assert element["outlineWidth"] not in {"0px", ""}, f"zero-width outline on {element}"

    # And the form submits from the keyboard.
    page.keyboard.press("Shift+Tab")
    while _focused(page)["id"] != "email":
        page.keyboard.press("Shift+Tab")
    page.keyboard.type("piet@baken.nl")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/teams$"))


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(page: Page):
    page.goto("/")  # a page without an autofocused field
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


# --- d) small screens --------------------------------------------------------------------------


def _seed_a_busy_school(make_school, add_member, app) -> int:
    """Long names and addresses: the things that push a narrow page sideways."""
    from lobscan.accounts import services
    from lobscan.core.db import utcnow
    from lobscan.extensions import db

    school_id, admin_id = make_school(
        "Regionaal Opleidingencentrum Noordoost-Nederland, locatie Zuiderpoort",
        "beheerder.van.de.school@regionaal-opleidingencentrum-noordoost.nl",
        "Annemarie van der Heijden-Vermeulen")
    add_member(school_id, "christiaan.vandenberghe-oudshoorn@regionaal-opleidingencentrum.nl",
               "coordinator", name="Christiaan van den Berghe-Oudshoorn")
    add_member(school_id, "m@x.nl", "management", name="Mo")
    with app.app_context():
        services.create_team(school_id, admin_id,
                             "Beroepsgerichte leerweg bouwen, wonen en interieur leerjaar 3",
                             utcnow().date())
        services.create_invitation(school_id, admin_id, "admin", "member",
                                   "Loopbaanbegeleider van de bovenbouw havo en vwo", utcnow(),
                                   14)
        db.session.remove()
    return school_id


def _horizontal_overflow(page: Page) -> dict:
    # Measure the laid-out page: on a busy machine a stylesheet can still be arriving.
    page.wait_for_load_state("load")
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                     + (el.className && typeof el.className === "string"
                        ? "." + el.className.trim().split(/\\s+/).join(".") : ""));
            return {scrollWidth: document.documentElement.scrollWidth, wide};
        }"""
    )


def test_pages_fit_a_375_pixel_screen(page: Page, app, make_school, add_member):
    _seed_a_busy_school(make_school, add_member, app)
    page.set_viewport_size(MOBILE)
    login(page, "beheerder.van.de.school@regionaal-opleidingencentrum-noordoost.nl")

    problems = []
    for name, path in [("teams", "/teams"), ("leden", "/members"),
                       ("uitnodigingen", "/invitations"), ("activiteit", "/activity")]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        result = _horizontal_overflow(page)
        if result["scrollWidth"] > MOBILE["width"]:
            problems.append(f"{name}: scrollWidth {result['scrollWidth']}, "
                            f"too wide: {result['wide']}")
    page.goto("/teams")
    page.get_by_role("link", name=re.compile("^Beroepsgerichte leerweg")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Beroepsgerichte leerweg")
    result = _horizontal_overflow(page)
    if result["scrollWidth"] > MOBILE["width"]:
        problems.append(f"team: scrollWidth {result['scrollWidth']}, too wide: {result['wide']}")
    assert not problems, "horizontal scroll at 375 px:\n  " + "\n  ".join(problems)


# --- e) accessibility --------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "375px"])
def test_no_serious_accessibility_violations(page: Page, app, make_school, add_member,
                                             viewport):
    from lobscan.accounts import services
    from lobscan.core.db import utcnow
    from lobscan.extensions import db

    school_id, admin_id = make_school("Het Baken", "piet@baken.nl", "Piet Decaan")
    add_member(school_id, "carla@baken.nl", "coordinator", name="Carla Collega")
    with app.app_context():
        token = services.create_invitation(school_id, admin_id, "admin", "member", "Bas",
                                           utcnow(), 14).token
        db.session.remove()
    page.set_viewport_size(viewport)

    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        lines = serious_a11y_violations(page)
        if lines:
            found[name] = lines

    # Logged out.
    page.goto("/")
    check("home")
    page.goto("/register")
    check("registreren")
    page.get_by_role("button", name="School registreren").click()  # empty: every field errs
    expect(page.locator(".field-error").first).to_be_visible()
    check("registreren met fouten")
    page.goto("/login")
    check("inloggen")
    page.goto(f"/join/{token}")
    check("uitnodiging (join)")

    # Logged in as the admin.
    login(page, "piet@baken.nl")
    check("teams")
    page.locator("#team-list").get_by_role("link", name="Mijn team").click()
    check("team")
    nav_link(page, "Leden").click()
    check("leden")
    create_invitation_in_ui(page, "teamlid", "Daan")
    check("uitnodigingen met nieuwe link")
    nav_link(page, "Activiteit").click()
    check("activiteit")
    page.goto(f"/join/{token}")
    check("uitnodiging (ingelogd)")
    response = page.goto("/teams/999999")
    assert response is not None and response.status == 404
    check("404")

    assert not found, "serious or critical accessibility violations:\n" + "\n".join(
        f"- {name}:\n    " + "\n    ".join(lines) for name, lines in found.items())
