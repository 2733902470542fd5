"""The results page of a scan in a real browser: the web with a line per respondent and a thick
average, the green/red table agreeing with its numbers, live updates while the scan is open,
print emulation, the htmx chart controls with the state in the URL, and accessibility (axe-core)
on a desktop and on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_serious_a11y
from tests.e2e.test_scan_flow import (
    DESKTOP,
    LIVE_TIMEOUT,
    MOBILE,
    answer,
    login,
    no_horizontal_scroll,
    start,
    statements,
)

# (name, role, a function statement index -> value or None (weet ik niet) or "skip", complete)
TEAM = [
    ("Anna de Vries", "docent", lambda i: 1 + (i * 7) % 5, True),
    ("Bram Bakker", "mentor", lambda i: 5 - (i * 3) % 5, True),
    ("Chris Jansen", "docent", lambda i: None if i % 6 == 0 else 2 + i % 3, True),
    ("Dewi Smit", "management", lambda i: 4 if i < 30 else "skip", False),
]
DUTCH_DECIMAL = re.compile(r"(\d+),(\d)")


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def school(make_school):
    school_id, user_id = make_school("De Horizon", "coordinator@horizon.nl")
    return {"id": school_id, "user_id": user_id, "email": "coordinator@horizon.nl"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def statement_ids(app, scan_id: int, section: int | None = None) -> list[int]:
    """The scan's statement ids in order; with `section` (1, 2, ...), only that section's."""
    from sqlalchemy import select

    from lobscan.extensions import db
    from lobscan.questionnaires.models import Section, Statement
    from lobscan.scans.models import Scan

    with app.app_context():
        scan = db.session.get(Scan, scan_id)
        query = (select(Statement.id)
                 .join(Section, Section.id == Statement.section_id)
                 .where(Statement.questionnaire_id == scan.questionnaire_id)
                 .order_by(Section.position, Statement.position))
        if section is not None:
            position = db.session.scalars(
                select(Section.position).where(Section.questionnaire_id == scan.questionnaire_id)
                .order_by(Section.position)).all()[section - 1]
            query = query.where(Section.position == position)
        ids = list(db.session.scalars(query))
        db.session.remove()
        return ids


def add_respondent(app, scan_id: int, name: str, role: str, value_of, complete: bool = True
                   ) -> int:
    """A respondent who answers through the services, as the respondent pages would."""
    from lobscan.extensions import db
    from lobscan.scans import services
    from lobscan.scans.models import Scan

    ids = statement_ids(app, scan_id)
    with app.app_context():
        scan = db.session.get(Scan, scan_id)
        respondent = services.start_respondent(scan, name=name, role=role, now=_now())
        values = {}
        for index, statement_id in enumerate(ids):
            value = value_of(index)
            if value != "skip":
                values[statement_id] = value
        services.save_answers(respondent, values, _now())
        if complete:
            services.finish(respondent, _now())
        respondent_id = respondent.id
        db.session.remove()
        return respondent_id


def change_answers(app, respondent_id: int, values: dict[int, int | None]) -> None:
    from lobscan.extensions import db
    from lobscan.scans import services
    from lobscan.scans.models import Respondent

    with app.app_context():
        services.save_answers(db.session.get(Respondent, respondent_id), values, _now())
        db.session.remove()


def seeded_scan(app, school, make_scan, team=TEAM, **options) -> dict:
    scan = make_scan(school["id"], school["user_id"], **options)
    scan["respondents"] = [add_respondent(app, scan["id"], *member) for member in team]
    return scan


def results_page(new_context, school, scan, viewport=DESKTOP, query: str = "") -> Page:
    page = new_context(viewport=viewport).new_page()
    login(page, school["email"])
    page.goto(f"/scans/{scan['id']}/results{query}")
    expect(page.locator("figure#web svg.radar")).to_be_visible()
    return page


def series_indexes(page: Page) -> list[int]:
    """The indexes N of pygal's series groups (g.serie-N) in the web that draw a line."""
    return page.evaluate("""() => {
        const found = new Set();
        for (const path of document.querySelectorAll("figure#web svg.radar path.line.reactive")) {
            const group = path.closest("g[class*='serie-']");
            const match = group && group.getAttribute("class").match(/\\bserie-(\\d+)\\b/);
            if (match) found.add(Number(match[1]));
        }
        return [...found].sort((a, b) => a - b);
    }""")


def line_width(page: Page, index: int) -> float:
    width = page.evaluate("""(index) => {
        const path = document.querySelector(
            `figure#web svg.radar g.serie-${index} path.line.reactive`);
        return getComputedStyle(path).strokeWidth;
    }""", index)
    return float(width.removesuffix("px"))


def expect_series(page: Page, count: int, timeout: int = 5_000) -> None:
    lines = page.locator("figure#web svg.radar g.series:has(path.line.reactive)")
    expect(lines).to_have_count(count, timeout=timeout)
    assert series_indexes(page) == list(range(count))


def parse_dutch(text: str) -> float | None:
    match = DUTCH_DECIMAL.search(text)
    return None if match is None else float(f"{match.group(1)}.{match.group(2)}")


def table(page: Page) -> dict:
    """The score table as shown: rows of (label, [(visible text, data-mark, classes)]), and the
    group-average row."""
    return page.evaluate("""() => {
        const visible = (cell) => [...cell.querySelectorAll("*")]
            .filter((e) => e.classList.contains("visually-hidden"))
            .reduce((text, e) => text.replace(e.textContent, ""), cell.textContent).trim();
        const rows = [...document.querySelectorAll("table.scores tbody tr")].map((tr) => ({
            label: tr.querySelector("th").textContent.trim(),
            cells: [...tr.querySelectorAll("td")].map((td) => ({
                text: visible(td), hidden: td.querySelector(".visually-hidden")?.textContent || "",
                mark: td.dataset.mark, classes: td.className,
                colour: getComputedStyle(td).color})),
        }));
        const mean = [...document.querySelectorAll("table.scores tfoot tr.group-mean td")]
            .map((td) => td.textContent.trim());
        return {rows, mean};
    }""")


def no_reload_flag(page: Page) -> None:
    page.evaluate("window.__lobscanNoReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__lobscanNoReload === true"), "the page was reloaded"


# --- a) the web: a thin line per respondent and a thick average --------------------------------


def test_the_web_has_a_line_per_respondent_and_a_thicker_average(new_context, school, make_scan,
                                                                  app):
    scan = seeded_scan(app, school, make_scan)
    page = results_page(new_context, school, scan)
    svg = page.locator("figure#web svg.radar")

    respondents = len(TEAM)
    expect_series(page, respondents + 1)  # every respondent, then the group average
    legend = svg.locator("g.legends").text_content()
    for name, *_ in TEAM:
        assert name in legend
    assert "Groepsgemiddelde" in legend

    average = line_width(page, respondents)
    for index in range(respondents):
        thin = line_width(page, index)
        assert thin > 0
        assert average >= 2 * thin, f"average {average}px vs respondent {index} {thin}px"

    # Eleven axes, the scale fixed at 1..5, and no script in the chart (the CSP holds).
    assert svg.locator("g.axis.x g.guides").count() == 11
    assert svg.locator("script").count() == 0
    assert svg.get_attribute("role") == "img"
    assert svg.get_attribute("aria-label")


def test_a_large_team_keeps_the_web_readable(new_context, school, make_scan, app):
    """Past 40 lines a legend entry per respondent would push the web out of the picture: the
    legend goes (the caption explains the lines) and the thin lines lose their dots."""
    team = [(f"Collega {n}", ("docent", "mentor", "decaan")[n % 3],
             lambda i, n=n: 1 + (i + n) % 5, True) for n in range(1, 42)]
    scan = seeded_scan(app, school, make_scan, team=team)
    page = results_page(new_context, school, scan)
    expect_series(page, 41 + 1)
    svg = page.locator("figure#web svg.radar")
    expect(svg.locator("g.legends")).to_have_count(0)
    expect(page.locator("figure#web figcaption")).to_contain_text("Dikke lijn: groepsgemiddelde")
    assert line_width(page, 41) >= 2 * line_width(page, 0)
    assert svg.locator("g.serie-0 .dot").count() == 0
    assert svg.locator("g.serie-41 .dot").count() > 0
    plot = svg.locator("g.plot").first.bounding_box()
    box = svg.bounding_box()
    assert plot["height"] >= 0.6 * box["height"], (plot, box)


def test_a_previous_scan_adds_a_second_thick_line(new_context, school, make_scan, app):
    seeded_scan(app, school, make_scan, team=TEAM[:2], name="Vorig jaar")
    scan = seeded_scan(app, school, make_scan, team=TEAM[:3], name="Dit jaar")
    page = results_page(new_context, school, scan)
    expect_series(page, 3 + 2)
    respondent, average, previous = line_width(page, 0), line_width(page, 3), line_width(page, 4)
    assert average >= 2 * respondent and previous >= 2 * respondent
    dash = page.evaluate("""() => getComputedStyle(document.querySelector(
        "figure#web svg.radar g.serie-4 path.line.reactive")).strokeDasharray""")
    assert dash not in ("", "none")
    expect(page.locator("table.scores tfoot tr.difference")).to_be_visible()


# --- b) the table's marks agree with its numbers ----------------------------------------------


def test_the_marks_in_the_table_match_the_numbers(new_context, school, make_scan, app):
    scan = seeded_scan(app, school, make_scan)
    page = results_page(new_context, school, scan)
    shown = table(page)
    means = [parse_dutch(text) for text in shown["mean"]]
    assert len(means) == 11 and all(m is not None for m in means)
    assert [row["label"].split(" (")[0] for row in shown["rows"]] == [m[0] for m in TEAM]

    data = page.request.get(f"/scans/{scan['id']}/results.json").json()
    keys = [s["key"] for s in data["sections"]]
    marked = {"above": 0, "below": 0}
    for row, respondent in zip(shown["rows"], data["respondents"], strict=True):
        assert len(row["cells"]) == 11
        for cell, mean, key in zip(row["cells"], means, keys, strict=True):
            number = parse_dutch(cell["text"])
            mark = cell["mark"]
            where = f"{row['label']} / {key}: {cell}"
            # The sign, the data-mark, the class and the screen-reader text say the same.
            if number is None:
                assert mark == "" and "–" in cell["text"] and "geen score" in cell["hidden"], where
                continue
            sign = {"above": "▲", "below": "▼", "equal": "="}[mark]
            assert cell["text"].endswith(sign), where
            assert f"mark-{mark}" in cell["classes"], where
            if mark != "equal":
                assert ("boven" if mark == "above" else "onder") in cell["hidden"], where
                marked[mark] += 1
            # ... and agree with the numbers shown (rounded, so a tie on screen can go either way).
            if number > mean:
                assert mark == "above", where
            elif number < mean:
                assert mark == "below", where
            # ... and with the unrounded numbers of the JSON.
            assert mark == (respondent["marks"][key] or ""), where
            assert round(respondent["scores"][key], 1) == pytest.approx(number), where
    assert marked["above"] and marked["below"]

    # Green above, red below: the colours differ, and neither is the plain text colour.
    colours = {c["mark"]: c["colour"] for row in shown["rows"] for c in row["cells"] if c["mark"]}
    plain = page.evaluate("getComputedStyle(document.querySelector('table.scores th')).color")
    assert colours["above"] != colours["below"]
    assert plain not in (colours["above"], colours["below"])

    # The respondent who did not finish is marked.
    unfinished = page.locator("table.scores tbody tr").nth(3).locator("th")
    expect(unfinished).to_contain_text("nog niet afgerond")
    expect(page.locator("table.scores tbody tr").nth(0).locator("th")).not_to_contain_text(
        "nog niet afgerond")


# --- c) live: new answers appear without a reload ---------------------------------------------


def test_a_new_answer_appears_on_an_open_results_page_without_a_reload(new_context, school,
                                                                       make_scan, app):
    scan = seeded_scan(app, school, make_scan, team=TEAM[:2])
    page = results_page(new_context, school, scan)
    rows = page.locator("table.scores tbody tr")
    expect(rows).to_have_count(2)
    expect_series(page, 3)
    expect(page.locator("#results-body")).to_have_attribute("hx-trigger", re.compile("every 5s"))
    no_reload_flag(page)

    # A third respondent answers one statement in the respondent UI, in another browser context.
    respondent = new_context(viewport=DESKTOP).new_page()
    start(respondent, scan["token"], "ondersteuning", "Eva Respondent")
    answer(statements(respondent).nth(0), "5")
    expect(rows).to_have_count(3, timeout=LIVE_TIMEOUT)
    expect(rows.nth(2).locator("th")).to_contain_text("Eva Respondent")
    expect(rows.nth(2).locator("th")).to_contain_text("nog niet afgerond")
    expect(rows.nth(2).locator("td").first).to_contain_text("5,0")
    expect_series(page, 4)
    assert_not_reloaded(page)

    # A changed answer (through the services) changes a number in place.
    first = rows.nth(0).locator("td").first
    before = first.inner_text()
    section_one = statement_ids(app, scan["id"], section=1)
    change_answers(app, scan["respondents"][0], {statement_id: 5 for statement_id in section_one})
    expect(first).to_contain_text("5,0", timeout=LIVE_TIMEOUT)
    assert first.inner_text() != before
    assert_not_reloaded(page)


def test_a_closed_scan_does_not_poll(new_context, school, make_scan, app):
    scan = seeded_scan(app, school, make_scan, team=TEAM[:2])
    from lobscan.extensions import db
    from lobscan.scans.models import Scan

    with app.app_context():
        db.session.get(Scan, scan["id"]).closes_at = _now() - dt.timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    page = results_page(new_context, school, scan)
    expect(page.locator("#results-body")).not_to_have_attribute("hx-trigger", re.compile("."))
    expect(page.locator("table.scores tbody tr")).to_have_count(2)


# --- d) print -----------------------------------------------------------------------------------


def test_print_hides_the_navigation_and_shows_the_web_and_the_table(new_context, school,
                                                                    make_scan, app):
    scan = seeded_scan(app, school, make_scan)
    page = results_page(new_context, school, scan)
    for selector in ("header nav", ".exports", ".chart-controls"):
        expect(page.locator(selector).first).to_be_visible()

    page.emulate_media(media="print")
    for selector in ("header nav", ".site-header", ".exports", ".chart-controls",
                     ".badge.no-print", "p.no-print"):
        expect(page.locator(selector).first).to_be_hidden()
    expect(page.locator("figure#web svg.radar")).to_be_visible()
    expect(page.locator("table.scores")).to_be_visible()
    expect(page.locator(".spread-list")).to_be_visible()
    expect(page.locator(".sheet-tips")).to_be_visible()
    # The tips start on a sheet of their own.
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.sheet-tips')).breakBefore") == "page"

    # A3 landscape (420 x 297 mm = 1190.55 x 841.89 pt) when the browser honours @page.
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = {(round(float(w)), round(float(h)))
             for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    assert boxes == {(1191, 842)}, boxes

    page.emulate_media(media="screen")
    expect(page.locator(".chart-controls")).to_be_visible()


# --- e) chart controls: htmx, the state in the URL ----------------------------------------------


def test_chart_controls_update_the_web_in_place_and_keep_the_state_in_the_url(new_context,
                                                                               school, make_scan,
                                                                               app):
    scan = seeded_scan(app, school, make_scan)
    page = results_page(new_context, school, scan)
    expect_series(page, 5)
    no_reload_flag(page)

    # Hide Bram: one line fewer, no reload, the URL says who is shown.
    page.get_by_role("checkbox", name="Bram Bakker").uncheck()
    expect_series(page, 4)
    assert_not_reloaded(page)
    expect(page).to_have_url(re.compile(r"filtered=1"))
    shown = set(re.findall(r"show=(\d+)", page.url))
    assert shown == {str(i) for i in scan["respondents"]} - {str(scan["respondents"][1])}
    assert "Bram Bakker" not in page.locator("figure#web g.legends").text_content()
    expect(page.get_by_role("checkbox", name="Bram Bakker")).not_to_be_checked()
    # The table still lists everyone; the exports of the web follow the choice.
    expect(page.locator("table.scores tbody tr")).to_have_count(4)
    svg_link = page.locator(".exports a", has_text="web (SVG)").get_attribute("href")
    assert "filtered=1" in svg_link and f"show={scan['respondents'][0]}" in svg_link

    page.reload()
    expect_series(page, 4)
    expect(page.get_by_role("checkbox", name="Bram Bakker")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Anna de Vries")).to_be_checked()

    # The average per role: docent, mentor, management and the group average.
    no_reload_flag(page)
    page.get_by_role("radio", name="gemiddelde per rol").check()
    expect_series(page, 3 + 1)
    assert_not_reloaded(page)
    expect(page).to_have_url(re.compile(r"mode=roles"))
    legend = page.locator("figure#web g.legends").text_content()
    assert "docent" in legend and "management" in legend and "Anna" not in legend
    expect(page.get_by_role("radio", name="gemiddelde per rol")).to_be_checked()
    expect(page.locator(".respondent-toggles")).to_have_count(0)

    page.reload()
    expect_series(page, 4)
    expect(page.get_by_role("radio", name="gemiddelde per rol")).to_be_checked()

    # Back to every respondent; the live poll keeps the chosen state.
    page.get_by_role("radio", name="per respondent").check()
    expect(page).to_have_url(re.compile(r"mode=respondents"))
    expect_series(page, 5)
    live = page.locator("#results-body").get_attribute("hx-get")
    assert "mode=respondents" in live

    # Going back in history restores the previous view.
    page.go_back()
    expect(page).to_have_url(re.compile(r"mode=roles"))
    expect_series(page, 4)


def test_a_pseudonymous_scan_shows_no_line_for_a_small_role(new_context, school, make_scan, app):
    scan = seeded_scan(app, school, make_scan, anonymity="pseudonymous")
    page = results_page(new_context, school, scan, query="?mode=roles")
    # No role has three respondents (docent 2, mentor 1, management 1): only the average.
    expect_series(page, 1)
    expect(page.locator(".chart-controls")).to_contain_text("Geen rol heeft genoeg respondenten")
    page.get_by_role("radio", name="per respondent").check()
    expect_series(page, 5)
    legend = page.locator("figure#web g.legends").text_content()
    assert "R1" in legend and "R4" in legend and "Anna" not in legend
    assert "Anna" not in page.locator("table.scores").inner_text()


# --- f) accessibility -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "375px"])
def test_results_page_is_accessible(new_context, school, make_scan, app, viewport):
    scan = seeded_scan(app, school, make_scan)
    page = results_page(new_context, school, scan, viewport=viewport)
    page.locator(".spread-list details summary").first.click()
    expect(page.locator(".spread-list details table.distribution").first).to_be_visible()
    assert_no_serious_a11y(page)

    if viewport is MOBILE:
        no_horizontal_scroll(page)
        # The wide table scrolls inside its own focusable region instead.
        region = page.locator(".table-scroll").first
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-label")

    page.get_by_role("radio", name="gemiddelde per rol").check()
    expect(page).to_have_url(re.compile(r"mode=roles"))
    expect_series(page, 4)
    assert_no_serious_a11y(page)
    if viewport is MOBILE:
        no_horizontal_scroll(page)


def test_an_empty_results_page_is_accessible(new_context, school, make_scan):
    scan = make_scan(school["id"], school["user_id"])
    page = new_context(viewport=MOBILE).new_page()
    login(page, school["email"])
    page.goto(f"/scans/{scan['id']}/results")
    expect(page.locator(".notice")).to_contain_text("Nog niemand")
    assert_no_serious_a11y(page)
    no_horizontal_scroll(page)
