"""`flask lobscan ...`: the documented command-line interface."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lobscan.accounts import services as accounts
from lobscan.accounts.models import Membership, Role, School, Team
from lobscan.core.urls import public_url
from lobscan.extensions import db

cli = AppGroup("lobscan", help="lobscan: beheer en demo.")

DEMO_SCHOOL = "Demoschool De Horizon"
DEMO_EMAIL = "demo@lobscan.example"
DEMO_NAME = "Sanne de Vries"
DEMO_TEAMS = ("Team onderbouw havo/vwo", "Team vmbo bovenbouw", "Afdeling mbo Zorg & Welzijn")


def ensure_demo(password: str, today: dt.date) -> dict:
    """Create or refresh the demo school; safe to run any number of times."""
    user = accounts.user_by_email(DEMO_EMAIL)
    if user is None:
        school, user = accounts.register_school(DEMO_SCHOOL, DEMO_NAME, DEMO_EMAIL, password, today)
        first = db.session.scalar(select(Team).where(Team.school_id == school.id))
        accounts.rename_team(school.id, user.id, first.id, DEMO_TEAMS[0])
    else:
        school = db.session.scalar(
            select(School)
            .join(Membership)
            .where(Membership.user_id == user.id, Membership.role == Role.ADMIN.value)
            .order_by(School.id)
        )
        if school is None:  # the demo user lost their school: make a new one
            school = School(name=DEMO_SCHOOL)
            db.session.add(school)
            db.session.flush()
            db.session.add(Membership(school_id=school.id, user=user, role=Role.ADMIN.value))
        user.password_hash = accounts.hash_password(password)
        user.last_school_id = school.id
        db.session.commit()
    existing = {t.name for t in accounts.list_teams(school.id)}
    for name in DEMO_TEAMS:
        if name not in existing:
            accounts.create_team(school.id, user.id, name, today)
    teams = [t for t in accounts.list_teams(school.id) if t.name in DEMO_TEAMS]
    demo_team = next(t for t in teams if t.name == DEMO_TEAMS[0])
    from lobscan.scans.demo import ensure_demo_scans
    from lobscan.scans.services import current_invitation

    scans = ensure_demo_scans(school.id, user.id, demo_team)
    return {
        "school": {"id": school.id, "name": school.name},
        "login": {"email": user.email, "password": password},
        "teams": [
            {"id": t.id, "name": t.name,
             "cycle": t.current_cycle.name if t.current_cycle else None}
            for t in teams
        ],
        "scans": [
            {"id": scan.id, "name": scan.name, "state": scan.state,
             "invite_url": _external_url("scans.invite", token=current_invitation(scan).token)}
            for scan in scans
        ],
    }


def _external_url(endpoint: str, **values) -> str:
    """A full link outside a request, on BASE_URL (default: the address `make run` serves)."""
    base = current_app.config["BASE_URL"] or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    with current_app.test_request_context(base_url=base):
        return public_url(endpoint, **values)


@cli.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-object op stdout.")
def demo_command(as_json: bool) -> None:
    """Maak of vernieuw de demoschool en toon wat er is gemaakt."""
    result = ensure_demo(current_app.config["DEMO_PASSWORD"], dt.date.today())
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"Demoschool: {result['school']['name']} (id {result['school']['id']})")
    click.echo(f"Inloggen:   {result['login']['email']} / {result['login']['password']}")
    click.echo("Teams:")
    for team in result["teams"]:
        click.echo(f"  - {team['name']} (id {team['id']}, cyclus {team['cycle']})")
    click.echo("Scans (demoteam):")
    for scan in result["scans"]:
        click.echo(f"  - {scan['name']} (id {scan['id']}, {scan['state']}): {scan['invite_url']}")


@cli.command("answers")
@click.argument("scan_id", type=int)
def answers_command(scan_id: int) -> None:
    """Print the raw answers of a scan as CSV (value empty for "weet ik niet")."""
    from lobscan.scans.models import Scan
    from lobscan.scans.services import answers_csv_rows

    if db.session.get(Scan, scan_id) is None:
        raise click.ClickException(f"Scan {scan_id} bestaat niet.")
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["respondent_id", "respondent_label", "role", "section_key",
                     "statement_id", "value"])
    writer.writerows(answers_csv_rows(None, scan_id))


@cli.command("results")
@click.argument("scan_id", type=int)
def results_command(scan_id: int) -> None:
    """Print the results of a scan as JSON (the same numbers as the results page)."""
    from lobscan.results.aggregation import aggregate, to_json
    from lobscan.scans.models import Scan

    scan = db.session.get(Scan, scan_id)
    if scan is None:
        raise click.ClickException(f"Scan {scan_id} bestaat niet.")
    click.echo(json.dumps(to_json(aggregate(scan)), ensure_ascii=False, indent=2))


@cli.command("load-questionnaires")
def load_questionnaires_command() -> None:
    """Load the built-in questionnaire file into the database (idempotent)."""
    from lobscan.questionnaires.services import load_builtin

    q = load_builtin()
    click.echo(f"{q.title} versie {q.version}: {len(q.sections)} onderdelen, "
               f"{sum(len(s.statements) for s in q.sections)} stellingen")


__all__ = ["cli", "ensure_demo"]
