"""`flask lobscan ...`: the documented command-line interface."""

from __future__ import annotations

import datetime as dt
import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from lobscan.accounts import services as accounts
from lobscan.accounts.models import Membership, Role, School, Team
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
        user.password_hash = generate_password_hash(password)
        user.last_school_id = school.id
        db.session.commit()
    existing = {t.name for t in accounts.list_teams(school.id)}
    for name in DEMO_TEAMS:
        if name not in existing:
            accounts.create_team(school.id, user.id, name, today)
    teams = [t for t in accounts.list_teams(school.id) if t.name in DEMO_TEAMS]
    return {
        "school": {"id": school.id, "name": school.name},
        "login": {"email": user.email, "password": password},
        "teams": [
            {"id": t.id, "name": t.name,
             "cycle": t.current_cycle.name if t.current_cycle else None}
            for t in teams
        ],
    }


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


__all__ = ["cli", "ensure_demo"]
