"""Tenant isolation: another school's id answers 404, never 403 and never data.

The routes are not listed by hand: every rule in the URL map with an int argument is tested,
logged in as the admin of school B with the ids of school A, for each of its methods, as a plain
request and as an htmx request. So a new id-route is covered the day it appears: a route whose
argument has no entry in OBJECTS fails here until one is added (and, for a new kind of object,
a property on SchoolData that creates one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Table, select
from werkzeug.routing import IntegerConverter, Rule

from lobscan import create_app
from lobscan.extensions import db
from tests.conftest import Client

SKIPPED_METHODS = {"HEAD", "OPTIONS"}

# Form data that passes validation of the id-routes' forms, so that a leak would show up as a
# change in the other school rather than as a validation error.
PAYLOAD = {
    "name": "Overgenomen", "role": "member", "label": "overgenomen", "title": "Overgenomen",
    "intro": "overgenomen", "explanation": "overgenomen", "text": "Overgenomen stelling",
    "direction": "down", "tips": "", "links": "",
}

# Int arguments that are not the id of a school's object, with the reason. Everything else
# with an int converter must be in OBJECTS.
NOT_AN_OBJECT_ID: dict[tuple[str, str], str] = {
    ("scans.section", "number"): "the n-th section within a respondent link; the unguessable "
                                 "token decides access, and respondents have no account",
}


class SchoolData:
    """One school with an admin and a plain member; its other objects are made on first use."""

    def __init__(self, app, make_school, add_member, make_scan, name: str, domain: str):
        self.app = app
        self.name = name
        self.admin_email = f"admin@{domain}"
        self.school_id, self.admin_id = make_school(name, self.admin_email)
        self.member_id = add_member(self.school_id, f"lid@{domain}", "member")
        self._make_scan = make_scan

    def _scalar(self, query):
        with self.app.app_context():
            value = db.session.scalar(query)
            db.session.remove()
            return value

    @functools.cached_property
    def team_id(self) -> int:
        from lobscan.accounts.models import Team

        return self._scalar(select(Team.id).where(Team.school_id == self.school_id))

    @functools.cached_property
    def cycle_id(self) -> int:
        from lobscan.accounts.models import Cycle

        return self._scalar(select(Cycle.id).where(Cycle.team_id == self.team_id))

    @functools.cached_property
    def membership_id(self) -> int:
        """The plain member's membership: changing it cannot lock the admin out."""
        from lobscan.accounts.models import Membership

        return self._scalar(select(Membership.id).where(
            Membership.school_id == self.school_id, Membership.user_id == self.member_id))

    @functools.cached_property
    def team_member_id(self) -> int:
        """The plain member, placed in the school's first team."""
        from lobscan.accounts import services

        with self.app.app_context():
            member_id = services.add_team_member(self.school_id, self.admin_id, self.team_id,
                                                 self.member_id).id
            db.session.remove()
        return member_id

    @functools.cached_property
    def invitation_id(self) -> int:
        from lobscan.accounts import services
        from lobscan.core.db import utcnow

        with self.app.app_context():
            invitation_id = services.create_invitation(
                self.school_id, self.admin_id, "admin", "member", "collega", utcnow(), 14).id
            db.session.remove()
        return invitation_id

    @functools.cached_property
    def questionnaire(self) -> dict[str, Any]:
        """The school's own copy of the built-in questionnaire, with a section and statement."""
        from lobscan.questionnaires import services

        with self.app.app_context():
            copy = services.copy_for_school(self.school_id, self.admin_id,
                                            services.default_questionnaire().id,
                                            f"Eigen lijst van {self.name}")
            section = copy.sections[0]
            result = {"id": copy.id, "section_key": section.key,
                      "statement_key": section.statements[0].key}
            db.session.remove()
        return result

    @functools.cached_property
    def scan_id(self) -> int:
        return self._make_scan(self.school_id, self.admin_id)["id"]


# Route argument -> the value for a school's object. "endpoint:argument" wins over "argument",
# for names that mean different things in different routes.
OBJECTS: dict[str, Callable[[SchoolData], Any]] = {
    "school_id": lambda s: s.school_id,
    "team_id": lambda s: s.team_id,
    "cycle_id": lambda s: s.cycle_id,
    "membership_id": lambda s: s.membership_id,
    "invitation_id": lambda s: s.invitation_id,
    "questionnaire_id": lambda s: s.questionnaire["id"],
    "questionnaires.update_section:key": lambda s: s.questionnaire["section_key"],
    "questionnaires.add_statement:key": lambda s: s.questionnaire["section_key"],
    "questionnaires.update_statement:key": lambda s: s.questionnaire["statement_key"],
    "questionnaires.delete_statement:key": lambda s: s.questionnaire["statement_key"],
    "questionnaires.move_statement:key": lambda s: s.questionnaire["statement_key"],
    "scan_id": lambda s: s.scan_id,
    "team_member_id": lambda s: s.team_member_id,
}


def _int_arguments(rule: Rule) -> set[str]:
    return {name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)}


def _id_rules() -> list[tuple[str, str, str]]:
    """(rule, endpoint, method) for every route with an int argument that is an object id,
    read from a fresh app at collection time."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    found = []
    for rule in app.url_map.iter_rules():
        ids = {name for name in _int_arguments(rule)
               if (rule.endpoint, name) not in NOT_AN_OBJECT_ID}
        if not ids:
            continue
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            found.append((rule.rule, rule.endpoint, method))
    return sorted(found)


ID_RULES = _id_rules()


def test_the_url_map_has_id_routes():
    """A guard for the discovery itself: if it found nothing, the tests below prove nothing."""
    rules = {rule for rule, _, _ in ID_RULES}
    for expected in ("/teams/<int:team_id>", "/members/<int:membership_id>/role",
                     "/invitations/<int:invitation_id>/revoke", "/schools/<int:school_id>/choose"):
        assert expected in rules


def test_every_exemption_names_an_existing_int_argument(app):
    """An exemption for a route or argument that is gone would silently widen the next one."""
    existing = {(rule.endpoint, name) for rule in app.url_map.iter_rules()
                for name in _int_arguments(rule)}
    assert set(NOT_AN_OBJECT_ID) <= existing, set(NOT_AN_OBJECT_ID) - existing


def _rule(app, rule_text: str, endpoint: str) -> Rule:
    return next(r for r in app.url_map.iter_rules()
                if r.rule == rule_text and r.endpoint == endpoint)


def _url_for_objects(rule: Rule, school: SchoolData) -> str:
    values = {}
    for name in sorted(rule.arguments):
        getter = OBJECTS.get(f"{rule.endpoint}:{name}") or OBJECTS.get(name)
        if getter is None:
            pytest.fail(
                f"{rule.rule} ({rule.endpoint}) has the argument {name!r}, which "
                f"tests/core/test_tenancy.py does not know: add it to OBJECTS (and, for a new "
                f"kind of object, a property on SchoolData that creates one) so the route's "
                f"tenant isolation is tested."
            )
        values[name] = getter(school)
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"could not build {rule.rule} with {values}"
    return built[1]


@pytest.fixture
def schools(app, make_school, add_member, make_scan) -> tuple[SchoolData, SchoolData]:
    return (SchoolData(app, make_school, add_member, make_scan, "School A", "a.nl"),
            SchoolData(app, make_school, add_member, make_scan, "School B", "b.nl"))


def _owned_rows(table: Table, school_id: int, seen: frozenset = frozenset()):
    """A select of the rows of `table` that belong to the school, or None when it holds no
    school data: the school's own row, its members' accounts, rows with its school_id, and rows
    that point (through a foreign key) at such rows, for tables without a school_id."""
    from lobscan.accounts.models import Membership, School, User

    if table.name == School.__tablename__:
        return table.select().where(table.c.id == school_id)
    if table.name == User.__tablename__:
        members = select(Membership.user_id).where(Membership.school_id == school_id)
        return table.select().where(table.c.id.in_(members))
    if "school_id" in table.c:
        return table.select().where(table.c.school_id == school_id)
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent is table or parent.name in seen or parent.name == User.__tablename__:
            continue
        owned = _owned_rows(parent, school_id, seen | {table.name})
        if owned is not None:
            ids = select(owned.subquery().c[fk.column.name])
            return table.select().where(fk.parent.in_(ids))
    return None


def _snapshot(app, school_id: int) -> dict[str, list[tuple]]:
    with app.app_context():
        snapshot: dict[str, list[tuple]] = {}
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                query = _owned_rows(table, school_id)
                if query is None:
                    continue
                rows = connection.execute(query.order_by(*table.primary_key.columns)).all()
                snapshot[table.name] = [tuple(row) for row in rows]
        return snapshot


def _call(client: Client, method: str, url: str, htmx: bool):
    if method == "GET":
        return client.get(url, htmx=htmx)
    if method == "POST":
        return client.post(url, PAYLOAD, htmx=htmx)
    pytest.fail(f"{method} {url}: teach tests/core/test_tenancy.py how to call this method")


def _params(htmx_variants=(False, True)):
    return [pytest.param(rule, endpoint, method, htmx,
                         id=f"{method} {rule}{' htmx' if htmx else ''}")
            for rule, endpoint, method in ID_RULES for htmx in htmx_variants]


@pytest.mark.parametrize(("rule_text", "endpoint", "method", "htmx"), _params())
def test_another_schools_id_answers_404_and_changes_nothing(app, client, schools, rule_text,
                                                             endpoint, method, htmx):
    school_a, school_b = schools
    url = _url_for_objects(_rule(app, rule_text, endpoint), school_a)
    before = _snapshot(app, school_a.school_id)
    assert any(before.values())

    client.login(school_b.admin_email)
    response = _call(client, method, url, htmx)

    assert response.status_code == 404, (
        f"{method} {url} as the admin of school B answered {response.status_code}, not 404")
    assert "School A" not in response.get_data(as_text=True)
    assert _snapshot(app, school_a.school_id) == before, f"{method} {url} changed school A"


@pytest.mark.parametrize(("rule_text", "endpoint", "method", "htmx"), _params((False,)))
def test_the_same_route_with_your_own_ids_is_found(app, client, schools, rule_text, endpoint,
                                                   method, htmx):
    """Positive control: the 404 above comes from the tenancy check, not a broken route."""
    _, school_b = schools
    url = _url_for_objects(_rule(app, rule_text, endpoint), school_b)

    client.login(school_b.admin_email)
    response = _call(client, method, url, htmx)

    assert response.status_code != 404, f"{method} {url} in the admin's own school answered 404"
    assert response.status_code < 500, f"{method} {url} answered {response.status_code}"


def test_a_logged_out_visitor_gets_no_data_either(app, client, schools):
    school_a, _ = schools
    for rule_text, endpoint, method in ID_RULES:
        url = _url_for_objects(_rule(app, rule_text, endpoint), school_a)
        response = _call(client, method, url, htmx=False)
        assert response.status_code in {302, 303, 400, 401, 404}, (method, url)
        assert "School A" not in response.get_data(as_text=True)


def test_school_b_still_sees_its_own_data_after_school_a_is_probed(app, client, schools):
    """Trying to switch to A leaves B's session working and pointing at B."""
    school_a, school_b = schools
    client.login(school_b.admin_email)
    assert client.post(f"/schools/{school_a.school_id}/choose", {}).status_code == 404
    page = client.get("/teams")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "School B" in text and "School A" not in text
