"""The results page, its live refresh, the JSON, the CLI and the exports, over HTTP.

The page, the JSON, `flask lobscan results` and every export must show the same numbers: the
tests read them back from each and compare them with one another and with hand-computed values.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from babel.numbers import format_decimal

from lobscan.extensions import db
from tests.results.conftest import Person, parse_html, score_table, section

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def dutch(value: float | None) -> str:
    """One decimal with a decimal comma, as the page shows it."""
    return "–" if value is None else format_decimal(value, format="#,##0.0", locale="nl")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def admin(client, school):
    client.login("admin@school.nl")
    return client


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str) -> str:
        result = runner.invoke(args=["lobscan", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


@pytest.fixture
def scan(school, make_scan, add_people) -> dict:
    """A named, open scan. By hand (S0..S3 = the first four sections):

    Ans  (docent) S0: 3              S1: 3                                    finished
    Bram (mentor) S0: 3              S1: 3                                    finished
    Cor  (docent) S0: 3              S1: 3
    Dirk (decaan) S0: 3,3,3,3,3,4    S1: 3,3,3,3,3,2    S2: 3, 4    S3: weet ik niet
    Eva  (docent) no answers: not listed

    S0: Dirk 19/6 = 3.17 ("3,2"); mean (3+3+3+19/6)/4 = 3.042 ("3,0"): the three 3.0's
        ("3,0") are below it, Dirk above.
    S1: Dirk 17/6 = 2.83 ("2,8"); mean 2.958 ("3,0"): the 3.0's above, Dirk below.
    S2: Dirk (3+4)/2 = 3.5 ("3,5") alone: equal to the mean.
    """
    found = make_scan(*school)
    ids = add_people(found, [
        Person("Ans", "docent", {**section(0, [3]), **section(1, [3])}, finish=True),
        Person("Bram", "mentor", {**section(0, [3]), **section(1, [3])}, finish=True),
        Person("Cor", "docent", {**section(0, [3]), **section(1, [3])}),
        Person("Dirk", "decaan", {**section(0, [3, 3, 3, 3, 3, 4]),
                                  **section(1, [3, 3, 3, 3, 3, 2]), **section(2, [3, 4]),
                                  (3, 0): None}),
        Person("Eva", "docent", {}),
    ])
    return {**found, "ids": dict(zip(["Ans", "Bram", "Cor", "Dirk", "Eva"], ids, strict=True))}


def _url(scan: dict, rest: str = "") -> str:
    return f"/scans/{scan['id']}/results{rest}"


def _legend(svg_root) -> list[str]:
    """The series titles in a chart's legend, in order (the average is one of them)."""
    return [" ".join(g.text().split()) for g in svg_root.find_all("g", "legend")]


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_table_with_marks_signs_and_screen_reader_text(admin, scan):
    response = admin.get(_url(scan))
    assert response.status_code == 200
    html = response.text
    assert "<html" in html and 'id="results-body"' in html
    table = score_table(html)
    assert table["sections"][0] == "Visie en beleid" and len(table["sections"]) == 11
    assert list(table["rows"]) == ["Ans", "Bram", "Cor", "Dirk"]  # Eva answered nothing

    ans, dirk = table["rows"]["Ans"], table["rows"]["Dirk"]
    # S0: Ans 3.0 vs mean 3.042 - both "3,0" - marked below, with a sign and spoken text.
    assert table["group_mean_text"][:4] == ["3,0", "3,0", "3,5", "–"]
    cell = ans["cells"][0]
    assert cell["mark"] == "below" and "mark-below" in cell["classes"]
    assert cell["visible"] == "3,0 ▼"
    assert cell["spoken"] == "3,0 onder het groepsgemiddelde"
    # S1: Ans 3.0 vs mean 2.958 - both "3,0" - above.
    cell = ans["cells"][1]
    assert (cell["mark"], cell["visible"], cell["spoken"]) == (
        "above", "3,0 ▲", "3,0 boven het groepsgemiddelde")
    # Dirk: 3,2 above in S0, 2,8 below in S1, 3,5 equal (neutral, no colour) in S2.
    assert [c["visible"] for c in dirk["cells"][:4]] == ["3,2 ▲", "2,8 ▼", "3,5 =", "–"]
    assert dirk["cells"][2]["spoken"] == "3,5 gelijk aan het groepsgemiddelde"
    assert dirk["cells"][2]["mark"] == "equal"
    # "weet ik niet" only in S3: no score, said out loud too.
    assert (dirk["cells"][3]["mark"], dirk["cells"][3]["spoken"]) == ("", "geen score")
    # Unfinished: Cor and Dirk are marked (a sign and text), Ans and Bram not.
    for label, finished in [("Ans", True), ("Bram", True), ("Cor", False), ("Dirk", False)]:
        row = table["rows"][label]
        assert ("nog niet afgerond" in row["header_spoken"]) is not finished
        assert ("◌" in row["header_visible"]) is not finished
    assert "4 respondenten, van wie 2 de scan hebben afgerond." in html


def test_the_htmx_partial_is_only_the_results_body(admin, scan):
    response = admin.get(_url(scan), htmx=True)
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and "<head" not in html
    assert html.lstrip().startswith('<div id="results-body"')
    assert score_table(html)["rows"].keys() == {"Ans", "Bram", "Cor", "Dirk"}


def test_the_page_shows_spread_labels_and_the_distribution(admin, scan):
    html = admin.get(_url(scan)).text
    spread = parse_html(html).find("ol", "spread-list").find_all("li")
    # S0: statement 1: 3, 3, 3, 3 -> SD 0; statements 2-5: only Dirk's 3 -> 0; statement 6:
    # only Dirk's 4 -> 0: spread 0 -> weinig. S2: statement 1: 3, statement 2: 4 -> 0 -> weinig.
    summary = " ".join(spread[0].find("summary").text().split())
    assert summary == "Visie en beleid weinig spreiding (0,0)"
    # S3: only "weet ik niet": no spread, but the distribution counts it.
    s3 = spread[3]
    assert "geen antwoorden" in s3.find("summary").text()
    first = s3.find("table", "distribution").find("tbody").find("tr")
    assert [td.text() for td in first.find_all("td")] == ["0", "0", "0", "0", "0", "1", "–", "–"]


# --- the JSON and the CLI agree with each other and with the page ----------------------------


def test_json_has_exactly_the_documented_keys(admin, scan):
    response = admin.get(_url(scan, ".json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert set(data) == {"scan", "sections", "respondents"}
    assert set(data["scan"]) == {"id", "name", "scale_min", "scale_max"}
    assert data["scan"] == {"id": scan["id"], "name": "LOB-scan test", "scale_min": 1,
                            "scale_max": 5}
    assert len(data["sections"]) == 11
    for s in data["sections"]:
        assert set(s) == {"key", "title", "group_mean", "spread", "spread_label", "statements"}
        assert len(s["statements"]) == 6
        for st in s["statements"]:
            assert set(st) == {"id", "text", "mean", "sd", "counts"}
            assert set(st["counts"]) == {"1", "2", "3", "4", "5", "unknown"}
    keys = [s["key"] for s in data["sections"]]
    for r in data["respondents"]:
        assert set(r) == {"id", "label", "role", "complete", "scores", "marks"}
        assert list(r["scores"]) == keys and list(r["marks"]) == keys
        assert set(r["marks"].values()) <= {"above", "below", "equal", None}
    assert [(r["id"], r["label"], r["role"], r["complete"]) for r in data["respondents"]] == [
        (scan["ids"]["Ans"], "Ans", "docent", True), (scan["ids"]["Bram"], "Bram", "mentor", True),
        (scan["ids"]["Cor"], "Cor", "docent", False),
        (scan["ids"]["Dirk"], "Dirk", "decaan", False)]
    # The hand-computed numbers (see the fixture).
    s0, s1, s2, s3 = data["sections"][:4]
    assert s0["group_mean"] == pytest.approx(73 / 24)
    assert s1["group_mean"] == pytest.approx(71 / 24)
    assert s2["group_mean"] == pytest.approx(3.5)
    assert s3["group_mean"] is None and s3["statements"][0]["counts"]["unknown"] == 1
    dirk = data["respondents"][3]
    assert dirk["scores"][keys[0]] == pytest.approx(19 / 6)
    assert [dirk["marks"][k] for k in keys[:4]] == ["above", "below", "equal", None]


def test_json_cli_and_page_agree(admin, scan, cli):
    data = admin.get(_url(scan, ".json")).get_json()
    assert json.loads(cli("results", str(scan["id"]))) == data

    table = score_table(admin.get(_url(scan)).text)
    assert table["sections"] == [s["title"] for s in data["sections"]]
    assert list(table["rows"]) == [r["label"] for r in data["respondents"]]
    for r in data["respondents"]:
        row = table["rows"][r["label"]]
        for s, cell in zip(data["sections"], row["cells"], strict=True):
            score = r["scores"][s["key"]]
            assert cell["visible"].split()[0] == dutch(score)
            assert cell["number"] == (None if score is None else pytest.approx(score, abs=0.05))
            assert cell["mark"] == (r["marks"][s["key"]] or "")
            sign = {"above": "▲", "below": "▼", "equal": "=", None: None}[r["marks"][s["key"]]]
            assert (sign in cell["visible"]) if sign else len(cell["visible"].split()) == 1
    assert table["group_mean_text"] == [dutch(s["group_mean"]) for s in data["sections"]]


def test_json_ids_and_keys_are_those_of_flask_lobscan_answers(admin, scan, cli):
    data = admin.get(_url(scan, ".json")).get_json()
    answers = list(csv.DictReader(io.StringIO(cli("answers", str(scan["id"])))))
    # 2 + 2 + 2 + (6 + 6 + 2 + 1) answers, by hand.
    assert len(answers) == 21
    assert {int(a["respondent_id"]) for a in answers} == {r["id"] for r in data["respondents"]}
    labels = {r["id"]: r["label"] for r in data["respondents"]}
    section_of = {st["id"]: s["key"] for s in data["sections"] for st in s["statements"]}
    for a in answers:
        assert labels[int(a["respondent_id"])] == a["respondent_label"]
        assert section_of[int(a["statement_id"])] == a["section_key"]


def test_a_pseudonymous_scan_shows_pseudonyms_everywhere(client, school, make_scan, add_people,
                                                         cli):
    scan = make_scan(*school, anonymity="pseudonymous")
    add_people(scan, [Person(name, "docent", section(0, [v]))
                      for name, v in [("Ans", 2), ("Bram", 4), ("Cor", 3)]]
               + [Person("Dirk", "mentor", section(0, [5]))])
    client.login("admin@school.nl")
    data = client.get(_url(scan, ".json")).get_json()
    assert [r["label"] for r in data["respondents"]] == ["R1", "R2", "R3", "R4"]
    html = client.get(_url(scan, "?mode=roles")).text
    assert list(score_table(html)["rows"]) == ["R1", "R2", "R3", "R4"]
    for text in (html, json.dumps(data), cli("results", str(scan["id"]))):
        assert not {"Ans", "Bram", "Cor", "Dirk"} & set(re.findall(r"\w+", text))
    # Roles: three docenten get a line, the single mentor not.
    legend = _legend(parse_html(html).find("svg"))
    assert legend == ["docent", "Groepsgemiddelde"]


# --- exports ----------------------------------------------------------------------------------


def test_scores_csv_has_the_json_numbers(admin, scan):
    data = admin.get(_url(scan, ".json")).get_json()
    response = admin.get(_url(scan, "/scores.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = rows_of(response.text)
    keys = [s["key"] for s in data["sections"]]
    assert rows[0] == ["respondent_id", "respondent_label", "role", "complete", *keys]
    assert [row[:4] for row in rows[1:]] == [
        [str(scan["ids"]["Ans"]), "Ans", "docent", "ja"],
        [str(scan["ids"]["Bram"]), "Bram", "mentor", "ja"],
        [str(scan["ids"]["Cor"]), "Cor", "docent", "nee"],
        [str(scan["ids"]["Dirk"]), "Dirk", "decaan", "nee"],
        ["", "Groepsgemiddelde", "", ""]]
    for row, r in zip(rows[1:5], data["respondents"], strict=True):
        assert [None if c == "" else float(c) for c in row[4:]] == [
            None if r["scores"][k] is None else pytest.approx(r["scores"][k], abs=5e-5)
            for k in keys]
    # Dirk, by hand: 19/6 = 3.1667, 17/6 = 2.8333, 3.5, then nothing.
    assert rows[4][4:8] == ["3.1667", "2.8333", "3.5", ""]
    assert rows[5][4:7] == ["3.0417", "2.9583", "3.5"]


def test_answers_csv_is_the_raw_answers_of_the_cli(admin, scan, cli):
    response = admin.get(_url(scan, "/answers.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.text == cli("answers", str(scan["id"]))
    rows = rows_of(response.text)
    assert rows[0] == ["respondent_id", "respondent_label", "role", "section_key",
                       "statement_id", "value"]
    assert rows[1][:4] == [str(scan["ids"]["Ans"]), "Ans", "docent", "visie-en-beleid"]
    assert rows[1][5] == "3"
    # Dirk's "weet ik niet" in the fourth section: an empty value.
    assert rows[-1][:4] == [str(scan["ids"]["Dirk"]), "Dirk", "decaan", "loopbaanactiviteiten"]
    assert rows[-1][5] == ""


def test_xlsx_has_the_sheets_with_the_same_numbers(admin, scan):
    from openpyxl import load_workbook

    data = admin.get(_url(scan, ".json")).get_json()
    response = admin.get(_url(scan, ".xlsx"))
    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    try:
        assert book.sheetnames == ["Scores", "Spreiding", "Antwoorden", "Onderdelen"]
        scores = [list(row) for row in book["Scores"].iter_rows(values_only=True)]
        spread = [list(row) for row in book["Spreiding"].iter_rows(values_only=True)]
        answers = [list(row) for row in book["Antwoorden"].iter_rows(values_only=True)]
        parts = [list(row) for row in book["Onderdelen"].iter_rows(values_only=True)]
    finally:
        book.close()
    keys = [s["key"] for s in data["sections"]]
    assert scores[0] == ["respondent_id", "respondent_label", "role", "complete", *keys]
    for row, r in zip(scores[1:5], data["respondents"], strict=True):
        assert row[:4] == [r["id"], r["label"], r["role"], "ja" if r["complete"] else "nee"]
        assert row[4:] == [None if r["scores"][k] is None
                           else pytest.approx(r["scores"][k], abs=5e-5) for k in keys]
    assert scores[5][1] == "Groepsgemiddelde"
    assert scores[5][4:] == [None if s["group_mean"] is None
                             else pytest.approx(s["group_mean"], abs=5e-5)
                             for s in data["sections"]]
    assert spread[0] == ["section_key", "statement_id", "statement", "mean", "sd",
                         "1", "2", "3", "4", "5", "weet_ik_niet"]
    statements = [(s["key"], st) for s in data["sections"] for st in s["statements"]]
    assert len(spread) == 1 + len(statements) == 67
    for row, (key, st) in zip(spread[1:], statements, strict=True):
        assert row[:3] == [key, st["id"], st["text"]]
        assert row[3:5] == [None if st[x] is None else pytest.approx(st[x], abs=5e-5)
                            for x in ("mean", "sd")]
        assert row[5:] == [st["counts"][k] for k in ("1", "2", "3", "4", "5", "unknown")]
    csv_answers = rows_of(admin.get(_url(scan, "/answers.csv")).text)
    assert [[("" if c is None else str(c)) for c in row] for row in answers] == csv_answers
    assert parts == [["section_key", "title"], *([s["key"], s["title"]] for s in data["sections"])]


def test_names_are_text_in_the_page_the_chart_and_the_xlsx(client, school, make_scan,
                                                           add_people):
    """Respondents type their own name: it is escaped in the page and the web, and in the
    spreadsheet a name that starts with "=" stays text instead of becoming a formula."""
    from openpyxl import load_workbook

    scan = make_scan(*school)
    add_people(scan, [Person('<b>Eva</b> & "Co"', answers=section(0, [3])),
                      Person('=HYPERLINK("https://example.org","klik")', answers=section(0, [4]))])
    client.login("admin@school.nl")
    html = client.get(_url(scan)).text
    page = parse_html(html)
    assert not page.find_all("b")
    assert list(score_table(html)["rows"])[0] == '<b>Eva</b> & "Co"'
    legend = _legend(page.find("svg"))
    assert legend[0] == '<b>Eva</b> & "Co"' and legend[1].startswith("=HYPERLINK(")
    book = load_workbook(io.BytesIO(client.get(_url(scan, ".xlsx")).data))
    for title, column in (("Scores", 2), ("Antwoorden", 2)):
        cells = [row[column - 1] for row in book[title].iter_rows(min_row=2)]
        assert '=HYPERLINK("https://example.org","klik")' in [c.value for c in cells], title
        assert not [c.coordinate for row in book[title].iter_rows() for c in row
                    if c.data_type == "f"], title
    book.close()


def test_a_name_that_looks_like_a_formula_is_text_in_the_csv_downloads(client, school,
                                                                       make_scan, add_people):
    scan = make_scan(*school)
    add_people(scan, [Person("=1+1", answers=section(0, [4])),
                      Person("-Piet", answers=section(0, [2]))])
    client.login("admin@school.nl")
    for rest in ("/answers.csv", "/scores.csv"):
        labels = [row[1] for row in rows_of(client.get(_url(scan, rest)).text)[1:]]
        assert "'=1+1" in labels and "'-Piet" in labels, rest
        assert "=1+1" not in labels, rest


def test_web_svg_has_no_script_a_line_per_respondent_and_a_thick_average(admin, scan):
    response = admin.get(_url(scan, "/web.svg"))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.text
    assert "<script" not in svg.lower() and "javascript:" not in svg.lower()
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    legend = ["".join(g.itertext()).strip() for g in root.iter(f"{SVG}g")
              if "legend" in (g.get("class") or "").split()]
    assert legend == ["Ans", "Bram", "Cor", "Dirk", "Groepsgemiddelde"]
    series = {c for g in root.iter(f"{SVG}g") for c in (g.get("class") or "").split()
              if "series" in (g.get("class") or "").split() and c.startswith("serie-")}
    assert series == {f"serie-{i}" for i in range(5)}
    css = "".join(s.text or "" for s in root.iter(f"{SVG}style"))
    chart = f"#{root.get('id')}"
    # pygal ignores a per-series stroke width: chart-scoped CSS makes the average (serie-4) thick.
    assert f"{chart} .serie-4 .reactive{{stroke-width:5}}" in css
    assert f"{chart} .reactive{{stroke-width:1.5}}" in css
    assert not re.search(r"\.serie-[0-3] \.reactive\{stroke-width", css)


def test_web_png_is_a_png(admin, scan):
    response = admin.get(_url(scan, "/web.png"))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(PNG_SIGNATURE)


def test_roles_mode_draws_a_line_per_role(admin, scan):
    html = admin.get(_url(scan, "?mode=roles")).text
    # Named scan: every role gets a line, docent (Ans, Cor), mentor (Bram), decaan (Dirk).
    legend = _legend(parse_html(html).find("svg"))
    assert sorted(legend) == sorted(["docent", "mentor / coach", "decaan / LOB-coördinator",
                                     "Groepsgemiddelde"])
    svg = admin.get(_url(scan, "/web.svg?mode=roles")).text
    assert "Ans" not in svg and "Groepsgemiddelde" in svg
    assert 'value="roles" checked' in html


def test_filtered_shows_only_the_chosen_respondent(admin, scan):
    bram = scan["ids"]["Bram"]
    html = admin.get(_url(scan, f"?filtered=1&show={bram}")).text
    page = parse_html(html)
    assert _legend(page.find("svg")) == ["Bram", "Groepsgemiddelde"]
    checked = [i.attrs["value"] for i in page.find_all("input", type="checkbox")
               if "checked" in i.attrs]
    assert checked == [str(bram)]
    # The table still lists everybody; the downloads keep the choice.
    assert len(score_table(html)["rows"]) == 4
    svg = admin.get(_url(scan, f"/web.svg?filtered=1&show={bram}")).text
    assert "Bram" in svg and "Ans" not in svg and "Dirk" not in svg
    # Filtered with nothing chosen: only the average.
    assert _legend(parse_html(admin.get(_url(scan, "?filtered=1")).text).find("svg")) == [
        "Groepsgemiddelde"]


def test_comparison_with_the_previous_scan_on_the_page(admin, school, make_scan, add_people):
    first = make_scan(*school, name="Najaar")
    add_people(first, [Person("A", answers=section(0, [2])), Person("B", answers=section(0, [3]))])
    current = make_scan(*school, name="Voorjaar")
    add_people(current, [Person("C", answers=section(0, [4]))])
    page = parse_html(admin.get(_url(current)).text)
    foot = page.find("table", "scores").find("tfoot")
    # Previous S0: (2 + 3) / 2 = 2.5; now 4.0: difference +1.5.
    assert foot.find("tr", "previous").find("td").text() == "2,5"
    assert foot.find("tr", "difference").find("td").text().strip() == "+1,5"
    assert _legend(page.find("svg")) == ["C", "Groepsgemiddelde", "Vorige scan: Najaar"]
    css = page.find("svg").find("style").text()
    assert ".serie-2 .reactive{stroke-width:5}" in css
    assert ".serie-2 .reactive{stroke-dasharray:10 6}" in css


# --- live refresh -----------------------------------------------------------------------------


@pytest.fixture
def change_answer(app):
    from lobscan.core.db import utcnow
    from lobscan.scans import services
    from lobscan.scans.models import Respondent, Scan

    def go(respondent_id: int, answers: dict[tuple[int, int], int | None]) -> None:
        with app.app_context():
            respondent = db.session.get(Respondent, respondent_id)
            statements = [[st.id for st in s.statements]
                          for s in services.sections_of(db.session.get(Scan, respondent.scan_id))]
            services.save_answers(respondent, {statements[si][ti]: v
                                               for (si, ti), v in answers.items()}, utcnow())
            db.session.remove()

    return go


def _live_url(html: str) -> str:
    return parse_html(html).find("div", id="results-body").attrs["hx-get"]


@pytest.fixture
def finish(app):
    from lobscan.core.db import utcnow
    from lobscan.scans import services
    from lobscan.scans.models import Respondent

    def go(respondent_id: int) -> None:
        with app.app_context():
            services.finish(db.session.get(Respondent, respondent_id), utcnow())
            db.session.remove()

    return go


def test_live_answers_204_until_something_changes(admin, scan, add_people, change_answer,
                                                  finish):
    live = _live_url(admin.get(_url(scan)).text)
    assert live.startswith(_url(scan, "/live?v="))
    nothing = admin.get(live, htmx=True)
    assert nothing.status_code == 204 and nothing.data == b""

    # Ans changes an answer (the number of answers stays the same): a fresh partial.
    change_answer(scan["ids"]["Ans"], {(2, 0): 5})
    fresh = admin.get(live, htmx=True)
    assert fresh.status_code == 200
    assert "<html" not in fresh.text and 'id="results-body"' in fresh.text
    # S2 now: Ans 5.0, Dirk 3.5: mean 4.25; Ans above it.
    ans = score_table(fresh.text)["rows"]["Ans"]["cells"][2]
    assert (ans["visible"], ans["mark"]) == ("5,0 ▲", "above")
    newer = _live_url(fresh.text)
    assert newer != live and admin.get(newer, htmx=True).status_code == 204

    # A new respondent: a fresh partial listing her.
    add_people(scan, [Person("Fien", "docent", section(0, [1]))])
    fresh = admin.get(newer, htmx=True)
    assert fresh.status_code == 200 and "Fien" in score_table(fresh.text)["rows"]

    # Cor finishes without changing an answer: fresh too, and no longer marked unfinished.
    newest = _live_url(fresh.text)
    assert "nog niet afgerond" in score_table(fresh.text)["rows"]["Cor"]["header_spoken"]
    finish(scan["ids"]["Cor"])
    fresh = admin.get(newest, htmx=True)
    assert fresh.status_code == 200
    assert "nog niet afgerond" not in score_table(fresh.text)["rows"]["Cor"]["header_spoken"]


def test_a_closed_scan_does_not_poll(admin, scan, app, school):
    from lobscan.core.db import utcnow
    from lobscan.scans import services

    with app.app_context():
        services.set_state(school[0], school[1], scan["id"], "closed", utcnow())
        db.session.remove()
    body = parse_html(admin.get(_url(scan)).text).find("div", id="results-body")
    assert "hx-get" not in body.attrs and "hx-trigger" not in body.attrs


def test_every_route_works_without_answers_or_with_only_weet_ik_niet(client, school, make_scan,
                                                                    add_people):
    empty = make_scan(*school, name="Leeg")
    unknown = make_scan(*school, name="Onbekend", anonymity="pseudonymous")
    add_people(unknown, [Person("x", answers={(0, 0): None})])
    client.login("admin@school.nl")
    for scan in (empty, unknown):
        for rest in [*ROUTES, "/web.svg?mode=roles", "/web.png?mode=roles"]:
            assert client.get(_url(scan, rest)).status_code == 200, (scan["id"], rest)
    assert "Nog niemand heeft een stelling beantwoord." in client.get(_url(empty)).text
    assert client.get(_url(empty, ".json")).get_json()["respondents"] == []
    data = client.get(_url(unknown, ".json")).get_json()
    # Only "weet ik niet": listed, without a score anywhere, and no group mean.
    assert [(r["label"], set(r["scores"].values())) for r in data["respondents"]] == [
        ("R1", {None})]
    assert {s["group_mean"] for s in data["sections"]} == {None}
    table = score_table(client.get(_url(unknown)).text)
    assert set(table["group_mean_text"]) == {"–"}


# --- security ---------------------------------------------------------------------------------


def test_csp_nonce_is_on_the_charts_style(admin, scan):
    response = admin.get(_url(scan))
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    styles = parse_html(response.text).find("svg").find_all("style")
    assert styles and all(s.attrs.get("nonce") == nonce for s in styles)
    # No inline script anywhere on the page (the chart's config script is removed).
    assert not [s for s in parse_html(response.text).find_all("script") if "src" not in s.attrs]
    # A fresh nonce on every request.
    again = admin.get(_url(scan)).headers["Content-Security-Policy"]
    assert re.search(r"'nonce-([^']+)'", again).group(1) != nonce


ROUTES = ["", "?mode=roles", "?filtered=1&show=1", "/live?v=x", ".json", "/answers.csv",
          "/scores.csv", ".xlsx", "/web.svg", "/web.png"]


def test_another_schools_scan_is_404_on_every_results_route(client, scan, make_school):
    make_school("Andere school", "b@school.nl", "Bea Beheer")
    client.login("b@school.nl")
    for rest in ROUTES:
        assert client.get(_url(scan, rest)).status_code == 404, rest
        assert client.get(_url(scan, rest), htmx=True).status_code == 404, rest
    # A scan that does not exist answers the same.
    assert client.get(f"/scans/{scan['id'] + 1000}/results").status_code == 404


def test_a_visitor_must_log_in(client, scan):
    for rest in ROUTES:
        response = client.get(_url(scan, rest))
        assert response.status_code in (302, 303), rest
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["coordinator", "management"])
def test_coordinators_and_management_see_every_teams_results(client, scan, school, add_member,
                                                              role):
    add_member(school[0], f"{role}@school.nl", role)
    client.login(f"{role}@school.nl")
    for rest in ROUTES:
        assert client.get(_url(scan, rest)).status_code == 200, rest


def test_a_plain_member_sees_the_results_of_their_own_team_only(app, client, scan, school,
                                                               add_member):
    # Issue 4: "the members of its team". A plain member ('teamlid') of the school who is not
    # in the scan's team gets 403 (the scan is of their school, so not 404); once added to
    # the team, every results route opens.
    from lobscan.accounts import services

    member_id = add_member(school[0], "lid@school.nl", "member")
    client.login("lid@school.nl")
    for rest in ROUTES:
        assert client.get(_url(scan, rest)).status_code == 403, rest
    with app.app_context():
        services.add_team_member(school[0], school[1], scan["team_id"], member_id)
        db.session.remove()
    for rest in ROUTES:
        assert client.get(_url(scan, rest)).status_code == 200, rest
    assert score_table(client.get(_url(scan)).text)["rows"].keys() == {"Ans", "Bram", "Cor",
                                                                         "Dirk"}
