"""Benchmark of the results: the median server time of the results page and of its JSON for a scan
with 20, 200 and 2,000 respondents who each answer all 66 statements.

    make bench
    LOBSCAN_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres make bench

The database is a throwaway one: SQLite in a temporary folder, or, with
LOBSCAN_BENCH_DATABASE_URL, a fresh database created on that PostgreSQL server and dropped
afterwards. The schema comes from the migrations; respondents and answers are bulk-inserted.
Requests go through Flask's test client (logged in as the school's admin), so the times are the
app's own, without network or a browser. Queries per request are counted with a SQLAlchemy
before_cursor_execute listener (the session and login queries included).

Settings: LOBSCAN_BENCH_SIZES (default "20,200,2000"), LOBSCAN_BENCH_REPEAT (default 15; a size
whose first request takes more than a second gets 5).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")

from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from lobscan import create_app  # noqa: E402
from lobscan.extensions import db  # noqa: E402

EMAIL = "beheer@benchschool.nl"
PASSWORD = "een-goed-wachtwoord"
ROLES = ("docent", "docent", "docent", "mentor", "mentor", "decaan", "management",
         "ondersteuning", "anders")
SIZES = [int(n) for n in os.environ.get("LOBSCAN_BENCH_SIZES", "20,200,2000").split(",") if n]
REPEAT = int(os.environ.get("LOBSCAN_BENCH_REPEAT", "15"))
SLOW_REPEAT = 5
CHUNK = 5_000


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A SQLAlchemy URL of an empty database that disappears afterwards."""
    server = os.environ.get("LOBSCAN_BENCH_DATABASE_URL", "").strip()
    if not server:
        with tempfile.TemporaryDirectory(prefix="lobscan-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    from lobscan.config import database_url

    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = server
    try:
        url = make_url(database_url())  # postgresql:// -> postgresql+psycopg://
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = old
    name = f"lobscan_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(size: int, school_id: int, user_id: int, rng: random.Random) -> tuple[int, int]:
    """A team with an open scan of the built-in questionnaire and `size` respondents; about 90 %
    finished all 66 statements, the rest stopped part-way; about 4 % of the answers are "weet ik
    niet" (NULL). Returns (scan id, number of answers)."""
    from lobscan.accounts import services as accounts
    from lobscan.questionnaires.models import Statement
    from lobscan.questionnaires.services import default_questionnaire
    from lobscan.scans import services as scans
    from lobscan.scans.models import Answer, Respondent

    now = dt.datetime.now(dt.UTC)
    # A team per scan, so no scan is compared with a previous one of another size.
    team = accounts.create_team(school_id, user_id, f"Team {size}", now.date())
    questionnaire = default_questionnaire()
    scan = scans.create_scan(school_id, user_id, team.id, name=f"Bench {size}",
                             questionnaire_id=questionnaire.id, cycle_id=None,
                             anonymity="named", opens_at=None, closes_at=None, open_now=True)
    statements = list(db.session.execute(
        select(Statement.id, Statement.section_id)
        .where(Statement.questionnaire_id == questionnaire.id).order_by(Statement.position)))
    scan_id = scan.id

    finished = [rng.random() < 0.9 for _ in range(size)]
    db.session.execute(insert(Respondent), [
        {"school_id": school_id, "scan_id": scan_id, "number": number,
         "display_name": f"Collega {number}", "role": rng.choice(ROLES),
         "resume_token": secrets.token_urlsafe(24), "created_at": now,
         "completed_at": now if finished[number - 1] else None}
        for number in range(1, size + 1)])
    db.session.commit()
    respondent_ids = db.session.scalars(
        select(Respondent.id).where(Respondent.scan_id == scan_id).order_by(Respondent.number)
    ).all()

    section_effect = {section_id: rng.uniform(-0.8, 0.8)
                      for section_id in {section_id for _, section_id in statements}}
    rows: list[dict] = []
    total = 0
    for respondent_id, done in zip(respondent_ids, finished, strict=True):
        bias = rng.gauss(3.3, 0.6)
        answered = len(statements) if done else rng.randint(1, len(statements) - 1)
        for statement_id, section_id in statements[:answered]:
            value = None
            if rng.random() >= 0.04:
                value = min(5, max(1, round(rng.gauss(bias + section_effect[section_id], 0.9))))
            rows.append({"school_id": school_id, "scan_id": scan_id,
                         "respondent_id": respondent_id, "statement_id": statement_id,
                         "value": value, "updated_at": now})
            if len(rows) >= CHUNK:
                db.session.execute(insert(Answer), rows)
                total += len(rows)
                rows = []
    if rows:
        db.session.execute(insert(Answer), rows)
        total += len(rows)
    db.session.commit()
    return scan_id, total


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def measure(client, url: str, counter: QueryCounter) -> tuple[float, int]:
    """One request: (milliseconds, queries)."""
    counter.count = 0
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code}")
    response.get_data()
    return elapsed, counter.count


def main() -> None:
    from flask_migrate import upgrade

    from lobscan.accounts import services as accounts

    rng = random.Random(20261001)
    with throwaway_database() as url:
        app = create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
            "MAIL_SERVER": "",
            "SERVER_NAME": None,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        })
        backend = make_url(url).get_backend_name()
        print(f"lobscan bench: {backend}, sizes {SIZES}, up to {REPEAT} requests each",
              flush=True)
        try:
            with app.app_context():
                started = time.perf_counter()
                upgrade()
                school, user = accounts.register_school("Benchschool", "Bench Beheerder", EMAIL,
                                                        PASSWORD, dt.date.today())
                school_id, user_id = school.id, user.id
                scans = []
                for size in SIZES:
                    scan_id, answers = seed(size, school_id, user_id, rng)
                    scans.append((size, scan_id, answers))
                print(f"database ready in {time.perf_counter() - started:.1f} s", flush=True)

                counter = QueryCounter()
                event.listen(db.engine, "before_cursor_execute", counter)
                client = app.test_client()
                response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
                if response.status_code != 303:
                    raise SystemExit(f"login failed: {response.status_code}")

                table = []
                for size, scan_id, answers in scans:
                    row = {"size": size, "answers": answers}
                    for name, url_ in (("page", f"/scans/{scan_id}/results"),
                                       ("json", f"/scans/{scan_id}/results.json")):
                        first, _ = measure(client, url_, counter)  # warm-up (templates, caches)
                        repeat = REPEAT if first < 1000 else min(REPEAT, SLOW_REPEAT)
                        times, queries = [], set()
                        for _ in range(repeat):
                            elapsed, count = measure(client, url_, counter)
                            times.append(elapsed)
                            queries.add(count)
                        row[name] = (statistics.median(times), min(times), max(times),
                                     "/".join(str(q) for q in sorted(queries)), repeat)
                    table.append(row)
                    page, json_ = row["page"], row["json"]
                    print(f"  {size:>5} respondents: page {page[0]:.1f} ms, JSON {json_[0]:.1f} ms",
                          flush=True)
                event.remove(db.engine, "before_cursor_execute", counter)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    print()
    print(f"Median server time ({backend}; min-max in brackets; n = requests measured)")
    header = (f"{'respondents':>11} {'answers':>8} | {'results page ms':>24} {'queries':>7} "
              f"{'n':>3} | {'results.json ms':>24} {'queries':>7} {'n':>3}")
    print(header)
    print("-" * len(header))
    for row in table:
        cells = []
        for name in ("page", "json"):
            median, low, high, queries, repeat = row[name]
            cells.append(f"{median:>8.1f} ({low:>6.1f}-{high:>6.1f}) {queries:>7} {repeat:>3}")
        print(f"{row['size']:>11} {row['answers']:>8} | {cells[0]} | {cells[1]}")


if __name__ == "__main__":
    main()
