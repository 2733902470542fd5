"""A coordinator's setup in the browser: the school's own questionnaire version, and a new scan
that uses it. The pages also pass axe-core, at desktop width and at 375 px."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import serious_a11y_violations

MOBILE = {"width": 375, "height": 812}


def login(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Teams", level=1)).to_be_visible()


def test_admin_makes_an_own_version_edits_it_and_starts_a_scan_with_it(page: Page, make_school):
    make_school("Het Baken", "admin@baken.nl")
    login(page, "admin@baken.nl")
    violations = []

    page.get_by_role("link", name="Vragenlijsten").click()
    page.get_by_role("link", name="LOB-scan", exact=True).click()
    expect(page.get_by_role("heading", name="Visie en beleid", exact=False).first).to_be_visible()
    violations += serious_a11y_violations(page)
    page.get_by_text("Eigen versie maken voor je school").click()
    page.get_by_label("Naam van de eigen versie").fill("LOB-scan Het Baken")
    page.get_by_role("button", name="Kopie maken").click()
    expect(page.get_by_role("heading", name="Bewerken: LOB-scan Het Baken")).to_be_visible()
    violations += serious_a11y_violations(page)

    section = page.locator("#section-visie-en-beleid")
    section.get_by_label("Nieuwe stelling").fill("Wij bespreken LOB elk jaar met de ouderraad.")
    section.get_by_role("button", name="Stelling toevoegen").click()
    expect(page.locator("#section-visie-en-beleid textarea").filter(
        has_text="Wij bespreken LOB elk jaar met de ouderraad.")).to_have_count(1)
    expect(page.get_by_text("Opgeslagen.")).to_be_visible()

    # A new scan for the first team, with the school's own version.
    page.get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="Mijn team").click()
    page.get_by_role("link", name="Nieuwe scan").click()
    violations += serious_a11y_violations(page)
    page.get_by_label("Naam van de scan").fill("Startmeting")
    page.get_by_label("Vragenlijst").select_option(label="LOB-scan Het Baken (versie 1)")
    page.get_by_role("button", name="Scan aanmaken").click()
    expect(page.get_by_role("heading", name="Startmeting")).to_be_visible()
    expect(page.get_by_text("LOB-scan Het Baken")).to_be_visible()
    link = page.locator("#scan-link").input_value()

    # The respondent meets the added statement in the first section.
    respondent = page.context.browser.new_context(base_url=page.url.split("/scans")[0])
    r = respondent.new_page()
    r.goto(link)
    r.get_by_label("Je naam").fill("Bo")
    r.get_by_label("docent", exact=True).check()
    r.get_by_role("button", name="Begin met de scan").click()
    expect(r.get_by_text("Wij bespreken LOB elk jaar met de ouderraad.")).to_be_visible()
    respondent.close()
    assert not violations, "\n".join(violations)


def test_setup_pages_fit_and_pass_axe_on_a_phone(page: Page, make_school):
    make_school("Het Baken", "admin@baken.nl")
    page.set_viewport_size(MOBILE)
    login(page, "admin@baken.nl")
    page.goto("/questionnaires")
    page.get_by_role("link", name="LOB-scan", exact=True).click()
    page.get_by_text("Eigen versie maken voor je school").click()
    page.get_by_role("button", name="Kopie maken").click()
    expect(page.get_by_role("heading", name=re.compile("^Bewerken"))).to_be_visible()
    problems = []
    for path in (None, "/questionnaires", "/teams"):
        if path:
            page.goto(path)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > MOBILE["width"]:
            problems.append(f"{page.url}: {width}px wide")
        problems += serious_a11y_violations(page)
    page.get_by_role("link", name="Mijn team").click()
    page.get_by_role("link", name="Nieuwe scan").click()
    page.wait_for_load_state("load")
    if page.evaluate("document.documentElement.scrollWidth") > MOBILE["width"]:
        problems.append("new scan page too wide")
    problems += serious_a11y_violations(page)
    assert not problems, "\n".join(problems)
