"""The results page and the JSON issue the same number of queries for 5 or 500 respondents
(issue 4, point 10): the aggregation runs in SQL, not in a Python loop over answers."""

from __future__ import annotations

import datetime as dt
import random
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert, select

from lobscan.extensions import db

ROLES = ("docent", "docent", "docent", "mentor", "mentor", "decaan", "management",
         "ondersteuning", "anders")


@pytest.fixture
def fill(app):
    """fill(scan, n, seed) -> None: n respondents with realistic answers, in bulk inserts.
    Most answer everything (values 1-5 leaning to 3-4, about 8% "weet ik niet"); about one in
    eight stopped halfway (unfinished); one in fifty started but answered nothing."""
    from lobscan.accounts.models import new_token
    from lobscan.scans import services
    from lobscan.scans.models import Answer, Respondent, Scan

    def go(scan: dict, n: int, seed: int) -> None:
        rng = random.Random(seed)
        start = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
        with app.app_context():
            found = db.session.get(Scan, scan["id"])
            statements = [st.id for s in services.sections_of(found) for st in s.statements]
            plans = []
            for _ in range(n):
                kind = rng.random()
                answered = (0 if kind < 0.02 else rng.randint(1, len(statements) - 1)
                            if kind < 0.14 else len(statements))
                plans.append(answered)
            db.session.execute(insert(Respondent), [
                {"school_id": found.school_id, "scan_id": found.id, "number": number,
                 "display_name": f"Collega {number}", "role": rng.choice(ROLES),
                 "resume_token": new_token(),
                 "created_at": start + dt.timedelta(minutes=number),
                 "completed_at": (start + dt.timedelta(minutes=number + 20)
                                  if answered == len(statements) else None)}
                for number, answered in enumerate(plans, start=1)
            ])
            ids = list(db.session.scalars(
                select(Respondent.id).where(Respondent.scan_id == found.id)
                .order_by(Respondent.number)))
            rows = []
            for respondent_id, answered in zip(ids, plans, strict=True):
                leaning = rng.choice((2, 3, 3, 4, 4))
                for statement_id in statements[:answered]:
                    if rng.random() < 0.08:
                        value = None
                    else:
                        value = min(5, max(1, round(rng.gauss(leaning, 1.0))))
                    rows.append({"school_id": found.school_id, "scan_id": found.id,
                                 "respondent_id": respondent_id, "statement_id": statement_id,
                                 "value": value, "updated_at": start + dt.timedelta(hours=1)})
            for offset in range(0, len(rows), 5000):
                db.session.execute(insert(Answer), rows[offset:offset + 5000])
            db.session.commit()
            db.session.remove()

    return go


@contextmanager
def counting(app):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


# The whole page; the htmx partial (as the controls and the live refresh with an old version
# fetch it) renders the same aggregation, chart and table without the layout.
URLS = [("/scans/{id}/results", False),
        ("/scans/{id}/results?mode=roles", True), ("/scans/{id}/results.json", False),
        ("/scans/{id}/results/live?v=old", True)]


def test_same_number_of_queries_for_5_and_500_respondents(app, client, make_school, make_scan,
                                                          fill):
    from lobscan.accounts import services

    school_id, user_id = make_school()
    with app.app_context():
        other_team = services.create_team(school_id, user_id, "Hele school",
                                          dt.date(2026, 10, 1)).id
        db.session.remove()
    # Each scan has an earlier scan of its own team to compare with, so both take the same
    # path through the aggregation (the comparison adds its own queries).
    fill(make_scan(school_id, user_id, name="Klein team vorig jaar"), 4, seed=4)
    small = make_scan(school_id, user_id, name="Klein team")
    fill(make_scan(school_id, user_id, team_id=other_team, name="Hele school vorig jaar"), 40,
         seed=40)
    large = make_scan(school_id, user_id, team_id=other_team, name="Hele school")
    fill(small, 5, seed=5)
    fill(large, 500, seed=500)
    client.login("admin@school.nl")

    with app.app_context():
        from lobscan.scans.models import Answer, Respondent

        answers = db.session.scalars(select(Answer.value).where(Answer.scan_id == large["id"])).all()
        respondents = db.session.scalar(
            select(db.func.count()).select_from(Respondent)
            .where(Respondent.scan_id == large["id"]))
        db.session.remove()
    assert respondents == 500 and len(answers) > 25_000
    assert None in answers and set(answers) - {None} == {1, 2, 3, 4, 5}

    for template, htmx in URLS:
        # Warm up once (caches, lazy imports): nothing in them depends on the scan.
        assert client.get(template.format(id=small["id"]), htmx=htmx).status_code == 200
        counts = {}
        for name, scan in (("small", small), ("large", large)):
            with counting(app) as statements:
                response = client.get(template.format(id=scan["id"]), htmx=htmx)
            assert response.status_code == 200
            counts[name] = len(statements)
        assert counts["small"] == counts["large"], (template, counts)
        assert counts["large"] <= 20, (template, counts)
