"""`flask lobscan demo --json` (the demo scans) and `flask lobscan answers SCAN_ID` (raw CSV)."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lobscan.extensions import db

HEADER = "respondent_id,respondent_label,role,section_key,statement_id,value"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["lobscan", *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def demo(cli) -> dict:
    result = cli("demo", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _csv(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_demo_json_lists_the_finished_scan_first_and_an_open_one(demo, client):
    scans = demo["scans"]
    assert [s["state"] for s in scans] == ["closed", "open"]
    assert all(set(s) == {"id", "name", "state", "invite_url"} for s in scans)
    finished, open_scan = scans
    assert finished["id"] != open_scan["id"]

    # The links are the scans' live invite links.
    closed_page = client.get(urlsplit(finished["invite_url"]).path)
    assert closed_page.status_code == 200 and "Deze scan is gesloten." in closed_page.text
    open_page = client.get(urlsplit(open_scan["invite_url"]).path)
    assert open_page.status_code == 200 and "Begin met de scan" in open_page.text


def test_the_finished_demo_scan_has_12_varied_realistic_respondents(app, demo):
    from lobscan.scans.models import Answer, Respondent

    finished, open_scan = demo["scans"]
    with app.app_context():
        respondents = db.session.scalars(
            select(Respondent).where(Respondent.scan_id == finished["id"])).all()
        answers = db.session.execute(
            select(Answer.respondent_id, Answer.value)
            .where(Answer.scan_id == finished["id"])).all()
        open_respondents = db.session.scalars(
            select(Respondent).where(Respondent.scan_id == open_scan["id"])).all()
        roles = [r.role for r in respondents]
        names = [r.display_name for r in respondents]
        unfinished = [r.id for r in respondents if r.completed_at is None]
        db.session.remove()

    assert len(respondents) == 12
    assert len(set(names)) == 12 and all(names)
    assert len(set(roles)) >= 4 and {"docent", "mentor", "decaan"} <= set(roles)
    assert len(unfinished) == 1
    values = [v for _, v in answers]
    assert any(v is None for v in values)  # some "weet ik niet"
    assert sum(v is None for v in values) < len(values) / 4
    assert {v for v in values if v is not None} <= {1, 2, 3, 4, 5}
    assert len({v for v in values if v is not None}) >= 4  # not all the same answer
    per_respondent = {rid: sum(1 for r, _ in answers if r == rid) for rid, _ in answers}
    assert per_respondent[unfinished[0]] < 66  # stopped halfway
    assert sorted(n for rid, n in per_respondent.items() if rid != unfinished[0]) == [66] * 11
    assert open_respondents == []


def test_demo_is_safe_to_run_again(cli, demo):
    again = json.loads(cli("demo", "--json").output)
    assert [s["id"] for s in again["scans"]] == [s["id"] for s in demo["scans"]]
    rows = _csv(cli("answers", str(demo["scans"][0]["id"])).output)
    assert len({r["respondent_id"] for r in rows}) == 12


def test_demo_without_json_names_the_scans(cli, demo):
    result = cli("demo")
    assert result.exit_code == 0
    for scan in demo["scans"]:
        assert scan["name"] in result.output and scan["invite_url"] in result.output


def test_answers_prints_the_raw_answers_as_csv(app, cli, demo):
    from lobscan.questionnaires.models import Section, Statement
    from lobscan.scans.models import Answer

    finished = demo["scans"][0]
    result = cli("answers", str(finished["id"]))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == HEADER
    rows = _csv(result.output)

    with app.app_context():
        stored = db.session.execute(
            select(Answer.respondent_id, Answer.statement_id, Answer.value, Section.key)
            .join(Statement, Statement.id == Answer.statement_id)
            .join(Section, Section.id == Statement.section_id)
            .where(Answer.scan_id == finished["id"])).all()
        db.session.remove()
    expected = {(str(r), str(s), "" if v is None else str(v), k) for r, s, v, k in stored}
    printed = {(r["respondent_id"], r["statement_id"], r["value"], r["section_key"])
               for r in rows}
    assert len(rows) == len(stored) == len(printed)
    assert printed == expected
    assert any(r["value"] == "" for r in rows)  # "weet ik niet" is an empty value
    assert "Fatima El Amrani" in {r["respondent_label"] for r in rows}
    assert {r["role"] for r in rows} <= {"docent", "mentor", "decaan", "management",
                                         "ondersteuning", "anders"}


def test_answers_of_a_pseudonymous_scan_show_no_names_and_quote_properly(
        cli, school, make_scan, start, sections_of):
    named = make_scan(school.school_id, school.admin_id)
    pseudo = make_scan(school.school_id, school.admin_id, anonymity="pseudonymous")
    first, second = sections_of(named)[0][:2]
    client, resume = start(named, name='de Vries, Sanne "San"', role="mentor")
    client.post(f"/r/{resume}/onderdeel/1", {f"s{first}": "4", f"s{second}": "nvt"})
    pseudo_first = sections_of(pseudo)[0][0]
    client, resume = start(pseudo, name="Geheim", role="decaan")
    client.post(f"/r/{resume}/onderdeel/1", {f"s{pseudo_first}": "2"})

    rows = _csv(cli("answers", str(named["id"])).output)
    assert [(r["respondent_label"], r["role"], r["statement_id"], r["value"]) for r in rows] == [
        ('de Vries, Sanne "San"', "mentor", str(first), "4"),
        ('de Vries, Sanne "San"', "mentor", str(second), ""),
    ]
    output = cli("answers", str(pseudo["id"])).output
    assert "Geheim" not in output
    assert [(r["respondent_label"], r["value"]) for r in _csv(output)] == [("R1", "2")]


def test_answers_of_a_scan_without_answers_is_only_the_header(cli, school, make_scan):
    scan = make_scan(school.school_id, school.admin_id)
    result = cli("answers", str(scan["id"]))
    assert result.exit_code == 0
    assert result.output == HEADER + "\n"


def test_answers_of_an_unknown_scan_fails_in_dutch(cli):
    result = cli("answers", "999999")
    assert result.exit_code != 0
    assert "Scan 999999 bestaat niet." in result.output
    assert HEADER not in result.output
