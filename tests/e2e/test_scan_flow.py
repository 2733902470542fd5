"""The respondent flow of a scan in a real browser: several respondents at once, the keyboard on a
phone-sized screen, leaving and coming back, live counts for the coordinator, JavaScript off, a
failing network, and accessibility (axe-core)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_no_serious_a11y

MOBILE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
SECTIONS = 11
STATEMENTS = 66
SAVE_TIMEOUT = 10_000
LIVE_TIMEOUT = 12_000  # the coordinator's panel polls every 5 s

SECTION_URL = re.compile(r"/r/[\w-]+/onderdeel/(\d+)$")


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def school(make_school):
    school_id, user_id = make_school("De Horizon", "coordinator@horizon.nl")
    return {"id": school_id, "user_id": user_id, "email": "coordinator@horizon.nl"}


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres", exact=True).fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/teams$"))


def start(page: Page, token: str, role: str = "docent", name: str | None = None) -> str:
    """Open the invite link, fill in the intro and start; returns the respondent's resume token."""
    page.goto(f"/s/{token}")
    expect(page.get_by_role("button", name="Begin met de scan")).to_be_visible()
    if name is not None:
        page.get_by_label("Je naam", exact=True).fill(name)
    page.get_by_role("radio", name=role, exact=True).check()
    page.get_by_role("button", name="Begin met de scan").click()
    expect(page).to_have_url(SECTION_URL)
    assert page.url.endswith("/onderdeel/1")
    return re.search(r"/r/([\w-]+)/", page.url).group(1)


def statements(page: Page) -> Locator:
    return page.locator("fieldset.statement[data-autosave]")


def state_line(fieldset: Locator) -> Locator:
    return fieldset.locator(".save-state")


def answer(fieldset: Locator, value: str, wait: bool = True) -> None:
    """Pick a value (1..5 or "nvt") on one statement and wait for the autosave."""
    fieldset.locator(f"input[type=radio][value='{value}']").check()
    if wait:
        expect(state_line(fieldset)).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)


def progress(page: Page) -> Locator:
    return page.locator("#progress")


def expect_progress(page: Page, answered: int) -> None:
    expect(progress(page)).to_contain_text(f"{answered} van {STATEMENTS} stellingen beantwoord",
                                           timeout=SAVE_TIMEOUT)


def statement_id(fieldset: Locator) -> int:
    return int(fieldset.get_attribute("id").removeprefix("st-"))


def stored_answers(app, resume_token: str) -> dict[int, int | None]:
    """The answers in the database, read with the service behind `flask lobscan answers`."""
    from lobscan.extensions import db
    from lobscan.scans import services

    with app.app_context():
        try:
            respondent = services.respondent_for_token(resume_token)
            assert respondent is not None
            return services.answers_of(respondent)
        finally:
            db.session.remove()


def respondent_row(app, resume_token: str):
    from lobscan.extensions import db
    from lobscan.scans import services

    with app.app_context():
        try:
            respondent = services.respondent_for_token(resume_token)
            return {"name": respondent.display_name, "role": respondent.role,
                    "completed": respondent.completed_at is not None}
        finally:
            db.session.remove()


def section_number(page: Page) -> int:
    return int(SECTION_URL.search(page.url).group(1))


def next_section(page: Page) -> None:
    number = section_number(page)
    page.get_by_role("button", name="Volgende →").click()
    expect(page).to_have_url(re.compile(rf"/onderdeel/{number + 1}$"))


def fill_section(page: Page, values: list[str], every: int = 1) -> int:
    """Answer every `every`-th statement of the current section with the values in turn."""
    items = statements(page)
    picked = range(0, items.count(), every)
    number = section_number(page)
    for index in picked:  # one after the other, without waiting: the saves overlap
        answer(items.nth(index), values[(index + number) % len(values)], wait=False)
    for index in picked:
        expect(state_line(items.nth(index))).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)
    return len(picked)


def finish(page: Page) -> str:
    """From the overview: finish and return the personal link from the thank-you page."""
    expect(page).to_have_url(re.compile(r"/overzicht$"))
    page.get_by_role("button", name="Afronden").click()
    expect(page).to_have_url(re.compile(r"/klaar$"))
    expect(page.get_by_role("heading", name="Bedankt voor het invullen!")).to_be_visible()
    link = page.locator("input#resume-link")
    expect(link).to_have_value(re.compile(r"^http://.+/r/[\w-]{20,}$"))
    return link.input_value()


def no_horizontal_scroll(page: Page) -> None:
    page.wait_for_load_state("load")  # a stylesheet may still be arriving on a busy machine
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways: {width}px on a {viewport}px screen"


def focused(page: Page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "",
                value: e.value || "", text: (e.textContent || "").trim(),
                checked: !!e.checked, id: e.id || ""};
    }""")


def tab_until(page: Page, wanted, shift: bool = False, limit: int = 60) -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches `wanted(info)`."""
    key = "Shift+Tab" if shift else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        if wanted(info):
            return info
    raise AssertionError(f"{key} never reached the wanted element; last focus: {info}")


# --- a) three respondents at once --------------------------------------------------------------


def test_three_respondents_in_separate_contexts_fill_in_the_scan(new_context, school, make_scan,
                                                                  app):
    scan = make_scan(school["id"], school["user_id"])
    contexts = [new_context(viewport=DESKTOP) for _ in range(3)]
    pages = [context.new_page() for context in contexts]
    names = ["Ans Docent", "Bram Mentor", "Cor Decaan"]
    roles = ["docent", "mentor / coach", "decaan / LOB-coördinator"]
    tokens = [start(page, scan["token"], role, name)
              for page, name, role in zip(pages, names, roles, strict=True)]
    assert len(set(tokens)) == 3

    # They work side by side: every one answers on section 1 before anyone moves on.
    for page in pages:
        expect_progress(page, 0)
    totals = [0, 0, 0]
    for section in range(1, SECTIONS + 1):
        for i, page in enumerate(pages):
            if i == 0:
                totals[i] += fill_section(page, ["4", "5", "3", "nvt", "2"])
            elif section <= 3:
                totals[i] += fill_section(page, ["2", "3", "1"], every=i + 1)
            else:
                continue
            expect_progress(page, totals[i])
            if section < SECTIONS:
                next_section(page)
            else:
                page.get_by_role("button", name="Naar het overzicht →").click()

    # The first one answered everything: the overview shows every section done.
    first = pages[0]
    expect(first.locator(".section-overview .badge")).to_have_text(["✓ klaar"] * SECTIONS)
    link = finish(first)
    assert link.endswith(f"/r/{tokens[0]}")

    # The second goes back a section and finishes with open statements.
    second = pages[1]
    second.get_by_role("button", name="← Vorige").click()
    expect(second).to_have_url(re.compile(r"/onderdeel/3$"))
    second.get_by_role("button", name="Overzicht van alle onderdelen").click()
    expect(second.get_by_text("Je kunt ook afronden met open stellingen")).to_be_visible()
    finish(second)

    # The third stops halfway without finishing.
    stored = [stored_answers(app, token) for token in tokens]
    assert [len(s) for s in stored] == totals
    assert totals[0] == STATEMENTS
    assert None in stored[0].values()  # "weet ik niet" is stored as empty
    assert [respondent_row(app, token)["completed"] for token in tokens] == [True, True, False]
    assert [respondent_row(app, token)["name"] for token in tokens] == names
    assert [respondent_row(app, token)["role"] for token in tokens] == [
        "docent", "mentor", "decaan"]


# --- b) only the keyboard, on a phone-sized screen ---------------------------------------------


def test_keyboard_only_on_a_small_screen(new_context, school, make_scan, app):
    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=MOBILE, has_touch=True).new_page()
    page.goto(f"/s/{scan['token']}")
    no_horizontal_scroll(page)

    # Name: typed after tabbing to the field.
    tab_until(page, lambda f: f["tag"] == "input" and f["type"] == "text")
    page.keyboard.type("Kim Toetsenbord")
    # Role: Tab enters the radio group on its first option; the arrow keys move the choice.
    info = tab_until(page, lambda f: f["type"] == "radio")
    assert info["value"] == "docent"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    info = focused(page)
    assert info["value"] == "mentor" and info["checked"]
    expect(page.get_by_role("radio", name="mentor / coach", exact=True)).to_be_checked()
    # One Tab leaves the group and lands on the start button.
    info = tab_until(page, lambda f: f["tag"] == "button", limit=1)
    assert info["text"] == "Begin met de scan"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/onderdeel/1$"))
    token = re.search(r"/r/([\w-]+)/", page.url).group(1)
    no_horizontal_scroll(page)

    items = statements(page)
    first, second, third = items.nth(0), items.nth(1), items.nth(2)
    first_id, second_id, third_id = (statement_id(f) for f in (first, second, third))

    # Statement 1: Tab into the group, Space picks the first point, arrows move on from there.
    info = tab_until(page, lambda f: f["type"] == "radio")
    assert info["name"] == f"s{first_id}" and info["value"] == "1"
    page.keyboard.press("Space")
    expect(state_line(first)).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert focused(page)["value"] == "4"
    expect(first.locator("input[value='4']")).to_be_checked()
    expect(state_line(first)).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)
    expect_progress(page, 1)

    # Statement 2: Tab leaves group 1 and enters group 2; ArrowLeft wraps to "weet ik niet".
    info = tab_until(page, lambda f: f["type"] == "radio", limit=1)
    assert info["name"] == f"s{second_id}"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowLeft")
    assert focused(page)["value"] == "nvt"
    expect(second.locator("input[value='nvt']")).to_be_checked()
    expect(state_line(second)).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)

    # Statement 3, then Shift+Tab back to statement 2 to change it.
    tab_until(page, lambda f: f["name"] == f"s{third_id}", limit=1)
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(third.locator("input[value='2']")).to_be_checked()
    expect(state_line(third)).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)
    info = tab_until(page, lambda f: f["name"] == f"s{second_id}", shift=True, limit=1)
    assert info["value"] == "nvt"  # focus returns to the checked option
    page.keyboard.press("ArrowUp")
    expect(second.locator("input[value='5']")).to_be_checked()
    expect(state_line(second)).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)
    expect_progress(page, 3)

    # On to the next section with Enter on "Volgende".
    info = tab_until(page, lambda f: f["tag"] == "button" and f["text"].startswith("Volgende"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/onderdeel/2$"))
    expect_progress(page, 3)
    no_horizontal_scroll(page)

    assert stored_answers(app, token) == {first_id: 4, second_id: 5, third_id: 2}
    assert respondent_row(app, token)["role"] == "mentor"


# --- c) leaving and coming back through the personal link --------------------------------------


def test_leave_and_come_back_through_the_personal_link(new_context, school, make_scan, app):
    scan = make_scan(school["id"], school["user_id"], anonymity="pseudonymous")
    context = new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"/s/{scan['token']}")
    expect(page.get_by_label("Je naam", exact=True)).to_have_count(0)  # pseudonymous: no name
    token = start(page, scan["token"], "ondersteuning")
    items = statements(page)
    first_id = statement_id(items.nth(0))
    answer(items.nth(0), "4")
    answer(items.nth(1), "3")
    page.get_by_role("button", name="Overzicht van alle onderdelen").click()
    link = finish(page)
    context.close()

    # A new device (no cookie): the personal link leads to the first section with open statements.
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(link)
    expect(page).to_have_url(re.compile(rf"/r/{token}/onderdeel/1$"))
    expect_progress(page, 2)
    first = statements(page).nth(0)
    expect(first.locator("input[value='4']")).to_be_checked()
    expect(state_line(first)).to_contain_text("Beantwoord")
    answer(first, "2")
    expect_progress(page, 2)

    page.reload()
    first = statements(page).nth(0)
    expect(first.locator("input[value='2']")).to_be_checked()
    expect(first.locator("input[value='4']")).not_to_be_checked()
    assert stored_answers(app, token)[first_id] == 2
    assert len(stored_answers(app, token)) == 2

    # The raw answers (as `flask lobscan answers` prints them) carry the new value.
    from lobscan.extensions import db
    from lobscan.scans.services import answers_csv_rows

    with app.app_context():
        rows = list(answers_csv_rows(school["id"], scan["id"]))
        db.session.remove()
    assert [row[4:] for row in rows if row[4] == first_id] == [[first_id, 2]]
    assert {row[1] for row in rows} == {"R1"}


def test_the_cookie_brings_a_respondent_back_on_the_same_device(new_context, school, make_scan):
    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=DESKTOP).new_page()
    token = start(page, scan["token"], "anders", "Lies Later")
    answer(statements(page).nth(0), "5")
    page.goto("about:blank")

    page.goto(f"/s/{scan['token']}")
    page.get_by_role("button", name="Ga verder waar je was").or_(
        page.get_by_role("link", name="Ga verder waar je was")).click()
    expect(page).to_have_url(re.compile(rf"/r/{token}/onderdeel/1$"))
    expect(statements(page).nth(0).locator("input[value='5']")).to_be_checked()


# --- d) the coordinator's counts update by themselves ------------------------------------------


def test_coordinator_counts_update_without_a_reload(new_context, school, make_scan):
    scan = make_scan(school["id"], school["user_id"])
    coordinator = new_context(viewport=DESKTOP).new_page()
    login(coordinator, school["email"])
    coordinator.goto(f"/scans/{scan['id']}")
    started = coordinator.locator("dd[data-count=started]")
    completed = coordinator.locator("dd[data-count=completed]")
    expect(started).to_have_text("0")
    expect(completed).to_have_text("0")
    coordinator.evaluate("window.__lobscanNoReload = true")

    respondent = new_context(viewport=DESKTOP).new_page()
    start(respondent, scan["token"], "docent", "Rik Respondent")
    expect(started).to_have_text("1", timeout=LIVE_TIMEOUT)
    expect(completed).to_have_text("0")

    answer(statements(respondent).nth(0), "3")
    respondent.get_by_role("button", name="Overzicht van alle onderdelen").click()
    finish(respondent)
    expect(completed).to_have_text("1", timeout=LIVE_TIMEOUT)
    expect(started).to_have_text("1")
    assert coordinator.evaluate("window.__lobscanNoReload === true"), "the page was reloaded"


# --- e) JavaScript off ---------------------------------------------------------------------------


def test_without_javascript_a_section_is_submitted_with_volgende(new_context, school, make_scan,
                                                                  app):
    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    token = start(page, scan["token"], "management", "Noor Zonder-JS")
    items = statements(page)
    ids = [statement_id(items.nth(i)) for i in range(3)]
    items.nth(0).locator("input[value='5']").check()
    items.nth(1).locator("input[value='nvt']").check()
    items.nth(2).locator("input[value='1']").check()
    assert stored_answers(app, token) == {}  # nothing is sent before the submit
    next_section(page)
    expect_progress(page, 3)
    assert stored_answers(app, token) == {ids[0]: 5, ids[1]: None, ids[2]: 1}

    # Back with "Vorige": the choices are there; change one and submit again.
    page.get_by_role("button", name="← Vorige").click()
    expect(page).to_have_url(re.compile(r"/onderdeel/1$"))
    items = statements(page)
    expect(items.nth(1).locator("input[value='nvt']")).to_be_checked()
    items.nth(1).locator("input[value='2']").check()
    next_section(page)
    assert stored_answers(app, token)[ids[1]] == 2

    page.get_by_role("button", name="Overzicht van alle onderdelen").click()
    finish(page)
    assert respondent_row(app, token)["completed"]


# --- f) a failing network -------------------------------------------------------------------------


def test_autosave_failure_shows_a_message_and_a_retry(new_context, school, make_scan, app):
    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=DESKTOP).new_page()
    token = start(page, scan["token"], "docent", "Olaf Offline")
    first = statements(page).nth(0)
    first_id = statement_id(first)

    failed = []

    def abort_once(route: Route) -> None:
        failed.append(route.request.url)
        route.abort("internetdisconnected")

    page.route("**/antwoord", abort_once)
    first.locator("input[value='3']").check()
    state = state_line(first)
    expect(state).to_contain_text("Niet opgeslagen", timeout=SAVE_TIMEOUT)
    expect(state).to_be_visible()
    retry = first.get_by_role("button", name="Opnieuw proberen")
    expect(retry).to_be_visible()
    assert len(failed) == 1
    assert stored_answers(app, token) == {}

    page.unroute("**/antwoord")
    retry.click()
    expect(state).to_contain_text("Opgeslagen", timeout=SAVE_TIMEOUT)
    expect(state).not_to_contain_text("Niet opgeslagen")
    expect(retry).to_have_count(0)
    expect_progress(page, 1)
    assert stored_answers(app, token) == {first_id: 3}


def test_autosave_rejected_by_the_server_says_why(new_context, school, make_scan, app):
    """A closed scan refuses the save: the statement says so in Dutch, no silent loss."""
    from lobscan.core.db import utcnow
    from lobscan.extensions import db
    from lobscan.scans import services

    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=DESKTOP).new_page()
    token = start(page, scan["token"], "docent", "Sam Sluiting")
    with app.app_context():
        services.set_state(school["id"], school["user_id"], scan["id"], "closed", utcnow())
        db.session.remove()
    first = statements(page).nth(0)
    first.locator("input[value='2']").check()
    expect(state_line(first)).to_contain_text("Niet opgeslagen", timeout=SAVE_TIMEOUT)
    expect(state_line(first)).to_contain_text("gesloten")
    assert stored_answers(app, token) == {}


# --- g) accessibility (axe-core) ----------------------------------------------------------------


def test_respondent_and_coordinator_pages_pass_axe(new_context, school, make_scan, app):
    from lobscan.core.db import utcnow
    from lobscan.extensions import db
    from lobscan.scans import services

    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(f"/s/{scan['token']}")
    assert_no_serious_a11y(page)  # intro

    start(page, scan["token"], "decaan / LOB-coördinator", "Ada Axe")
    answer(statements(page).nth(0), "4")
    assert_no_serious_a11y(page)  # a section, desktop, with a saved state showing
    page.set_viewport_size(MOBILE)
    page.reload()
    assert_no_serious_a11y(page)  # the same section on a phone
    no_horizontal_scroll(page)

    # A failed save with its retry button is part of the page too.
    page.route("**/antwoord", lambda route: route.abort())
    second = statements(page).nth(1)
    second.locator("input[value='1']").check()
    expect(second.get_by_role("button", name="Opnieuw proberen")).to_be_visible()
    assert_no_serious_a11y(page)
    page.unroute("**/antwoord")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Overzicht van alle onderdelen").click()
    expect(page).to_have_url(re.compile(r"/overzicht$"))
    assert_no_serious_a11y(page)  # overview
    page.set_viewport_size(MOBILE)
    assert_no_serious_a11y(page)
    no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)
    finish(page)
    assert_no_serious_a11y(page)  # thank-you page
    page.set_viewport_size(MOBILE)
    assert_no_serious_a11y(page)
    no_horizontal_scroll(page)

    coordinator = new_context(viewport=DESKTOP).new_page()
    login(coordinator, school["email"])
    coordinator.goto(f"/scans/{scan['id']}")
    expect(coordinator.locator("dd[data-count=completed]")).to_have_text("1")
    assert_no_serious_a11y(coordinator)  # coordinator's scan page
    coordinator.set_viewport_size(MOBILE)
    assert_no_serious_a11y(coordinator)
    no_horizontal_scroll(coordinator)

    with app.app_context():
        services.set_state(school["id"], school["user_id"], scan["id"], "closed", utcnow())
        db.session.remove()
    page.goto(f"/s/{scan['token']}")
    expect(page.get_by_text("Deze scan is gesloten")).to_be_visible()
    expect(page.get_by_role("button", name="Begin met de scan")).to_have_count(0)
    assert_no_serious_a11y(page)  # closed scan
    page.set_viewport_size(MOBILE)
    assert_no_serious_a11y(page)


def test_a_scan_not_yet_open_explains_itself(new_context, school, make_scan):
    scan = make_scan(school["id"], school["user_id"], open_now=False)
    page = new_context(viewport=MOBILE).new_page()
    page.goto(f"/s/{scan['token']}")
    expect(page.get_by_text("Deze scan is nog niet geopend.")).to_be_visible()
    expect(page.get_by_role("button", name="Begin met de scan")).to_have_count(0)
    assert_no_serious_a11y(page)
