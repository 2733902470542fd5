"""Fixtures for the scan tests: a school with an open scan, respondents, and row snapshots."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lobscan.extensions import db

RESUME_URL = re.compile(r"/r/([A-Za-z0-9_\-]+)/onderdeel/1$")


def text(response) -> str:
    return response.get_data(as_text=True)


@dataclass
class School:
    school_id: int
    admin_id: int
    admin_email: str


@pytest.fixture
def school(make_school) -> School:
    school_id, admin_id = make_school("Testschool", "admin@school.nl")
    return School(school_id, admin_id, "admin@school.nl")


@pytest.fixture
def scan(school, make_scan) -> dict:
    """An open, named scan of the built-in LOB-scan."""
    return make_scan(school.school_id, school.admin_id)


@pytest.fixture
def sections_of(app):
    """sections_of(scan) -> [[statement_id, ...] per section, in order]."""
    from lobscan.scans import services
    from lobscan.scans.models import Scan

    def get(scan: dict) -> list[list[int]]:
        with app.app_context():
            found = db.session.get(Scan, scan["id"])
            result = [[st.id for st in section.statements]
                      for section in services.sections_of(found)]
            db.session.remove()
            return result

    return get


@pytest.fixture
def start(make_client):
    """start(scan, name=..., role=..., client=None) -> (client, resume_token): a respondent
    who came in through the invite link with a fresh client (their own device)."""

    def go(scan: dict, name: str = "Ans de Wit", role: str = "docent", client=None):
        client = client or make_client()
        response = client.post(f"/s/{scan['token']}", {"name": name, "role": role})
        assert response.status_code == 303, text(response)
        match = RESUME_URL.search(response.headers["Location"])
        assert match, response.headers["Location"]
        return client, match.group(1)

    return go


@pytest.fixture
def rows(app):
    """rows() -> every respondent and answer, to show that a bad request wrote nothing."""
    from lobscan.scans.models import Answer, Respondent

    def get() -> dict[str, list[tuple]]:
        with app.app_context():
            respondents = db.session.execute(
                select(Respondent.id, Respondent.scan_id, Respondent.number,
                       Respondent.display_name, Respondent.role, Respondent.completed_at)
                .order_by(Respondent.id)).all()
            answers = db.session.execute(
                select(Answer.respondent_id, Answer.statement_id, Answer.value,
                       Answer.updated_at)
                .order_by(Answer.respondent_id, Answer.statement_id)).all()
            db.session.remove()
            return {"respondents": [tuple(r) for r in respondents],
                    "answers": [tuple(a) for a in answers]}

    return get


@pytest.fixture
def answers_of(app):
    """answers_of(resume_token) -> {statement_id: value} as stored."""
    from lobscan.scans.models import Answer, Respondent

    def get(resume_token: str) -> dict[int, int | None]:
        with app.app_context():
            result = dict(db.session.execute(
                select(Answer.statement_id, Answer.value)
                .join(Respondent, Respondent.id == Answer.respondent_id)
                .where(Respondent.resume_token == resume_token)).all())
            db.session.remove()
            return result

    return get


@pytest.fixture
def respondent_of(app):
    """respondent_of(resume_token) -> the Respondent row (detached) or None."""
    from lobscan.scans.models import Respondent

    def get(resume_token: str):
        with app.app_context():
            found = db.session.scalar(
                select(Respondent).where(Respondent.resume_token == resume_token))
            if found is not None:
                db.session.expunge(found)
            db.session.remove()
            return found

    return get


@pytest.fixture
def close_scan(app):
    """close_scan(scan, school): the coordinator closes the scan (through the service)."""
    from lobscan.core.db import utcnow
    from lobscan.scans import services

    def go(scan: dict, school: School, state: str = "closed") -> None:
        with app.app_context():
            services.set_state(school.school_id, school.admin_id, scan["id"], state, utcnow())
            db.session.remove()

    return go
