"""Test fixtures shared by every area.

The database is SQLite in a temporary folder, or, when LOBSCAN_TEST_DATABASE_URL names any
database on a PostgreSQL server, a fresh database created on that server and dropped afterwards.
The schema is built by the Alembic migrations, so every run also tests them.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from lobscan import create_app  # noqa: E402
from lobscan.config import database_url as normalise_url  # noqa: E402
from lobscan.extensions import db, limiter  # noqa: E402

PASSWORD = "een-goed-wachtwoord"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    server = os.environ.get("LOBSCAN_TEST_DATABASE_URL", "").strip()
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lobscan-test.db'}"
        return
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = server
    try:
        url = make_url(normalise_url())
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = old
    name = f"lobscan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "",
            "MAIL_OUTBOX": [],
            "SERVER_NAME": None,
            # Real scrypt costs ~0.15 s per hash; the tests check behaviour, not hash strength.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _truncate(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean(app: Flask) -> Iterator[None]:
    """Every test starts with an empty database, an empty outbox and fresh rate limits."""
    yield
    _truncate(app)
    app.config["MAIL_OUTBOX"].clear()
    with app.app_context():
        limiter.reset()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def count(app: Flask):
    """count(Model) -> the number of rows, e.g. to show that a refused request wrote nothing."""
    from sqlalchemy import func, select

    def get(model) -> int:
        with app.app_context():
            n = db.session.scalar(select(func.count()).select_from(model))
            db.session.remove()
            return n

    return get


@pytest.fixture
def outbox(app: Flask) -> list:
    return app.config["MAIL_OUTBOX"]


# --- HTTP helpers ------------------------------------------------------------------------------

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Client:
    """A Flask test client that carries the CSRF token like a browser form or htmx does."""

    def __init__(self, client: FlaskClient):
        self.raw = client

    def csrf(self) -> str:
        page = self.raw.get("/password/forgot")
        match = CSRF_META.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def get(self, url: str, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.raw.get(url, headers=headers, **kwargs)

    def post(self, url: str, data: dict | None = None, htmx: bool = False, csrf: bool = True,
             **kwargs):
        data = dict(data or {})
        headers = kwargs.pop("headers", {})
        if csrf:
            token = self.csrf()
            if htmx:
                headers["X-CSRFToken"] = token
            else:
                data.setdefault("csrf_token", token)
        if htmx:
            headers["HX-Request"] = "true"
        return self.raw.post(url, data=data, headers=headers, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def make_client(app: Flask):
    return lambda: Client(app.test_client())


# --- data helpers ------------------------------------------------------------------------------


@pytest.fixture
def make_school(app: Flask):
    """make_school("Naam", "a@b.nl") -> (school_id, user_id): a school with its admin and team."""
    import datetime as dt

    from lobscan.accounts import services

    def factory(name: str = "Testschool", email: str = "admin@school.nl",
                user_name: str = "Anna Admin") -> tuple[int, int]:
        with app.app_context():
            school, user = services.register_school(name, user_name, email, PASSWORD,
                                                    dt.date(2026, 10, 1))
            ids = school.id, user.id
            db.session.remove()
            return ids

    return factory


@pytest.fixture
def add_member(app: Flask):
    """add_member(school_id, email, role) -> user_id: a user (new or existing) in a school."""
    from lobscan.accounts import services
    from lobscan.accounts.models import Membership

    def factory(school_id: int, email: str, role: str = "member", name: str | None = None) -> int:
        with app.app_context():
            user = services.user_by_email(email) or services.create_user(
                name or email.split("@")[0].title(), email, PASSWORD)
            db.session.add(Membership(school_id=school_id, user_id=user.id, role=role))
            db.session.commit()
            user_id = user.id
            db.session.remove()
            return user_id

    return factory


# --- a live server for the browser tests -------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


# --- scans -------------------------------------------------------------------------------------


@pytest.fixture
def make_scan(app: Flask):
    """make_scan(school_id, user_id, **options) -> dict(id, token, team_id, questionnaire_id):
    a scan of the built-in LOB-scan for the school's first team (or team_id), open by default."""
    from sqlalchemy import select

    from lobscan.accounts.models import Team
    from lobscan.questionnaires.services import default_questionnaire
    from lobscan.scans import services

    def factory(school_id: int, user_id: int, *, team_id: int | None = None,
                name: str = "LOB-scan test", anonymity: str = "named", open_now: bool = True,
                opens_at=None, closes_at=None) -> dict:
        with app.app_context():
            if team_id is None:
                team_id = db.session.scalar(
                    select(Team.id).where(Team.school_id == school_id).order_by(Team.id))
            questionnaire = default_questionnaire()
            scan = services.create_scan(
                school_id, user_id, team_id, name=name, questionnaire_id=questionnaire.id,
                cycle_id=None, anonymity=anonymity, opens_at=opens_at, closes_at=closes_at,
                open_now=open_now)
            result = {"id": scan.id, "token": services.current_invitation(scan).token,
                      "team_id": team_id, "questionnaire_id": questionnaire.id}
            db.session.remove()
            return result

    return factory
