"""No lost answers: 50 respondents answer at the same moment through the HTTP endpoints of a
live server (a real threaded WSGI server on the test database, SQLite or PostgreSQL).

Each respondent is a browser of its own (a requests.Session with its own cookies): it opens the
invite link, takes the CSRF token from the page, starts, and then autosaves 20 statements the
way htmx does (the first one as a double click: two identical requests at once), changing 10
of them again afterwards. Every answer must arrive exactly once with
its last value, and every respondent must exist once with its own number.
"""

from __future__ import annotations

import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from sqlalchemy import func, select

from lobscan.extensions import db

RESPONDENTS = 50
STATEMENTS_EACH = 20
CHANGED_EACH = 10
ROLES = ("docent", "mentor", "decaan", "management", "ondersteuning", "anders")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
RESUME = re.compile(r"/r/([A-Za-z0-9_\-]+)/onderdeel/1$")


@dataclass
class Outcome:
    name: str
    resume: str = ""
    expected: dict[int, int | None] = field(default_factory=dict)
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _form_value(value: int | None) -> str:
    return "nvt" if value is None else str(value)


def _respondent(base: str, token: str, index: int, statements: list[int],
                barrier: threading.Barrier) -> Outcome:
    rng = random.Random(index)
    outcome = Outcome(name=f"Respondent {index:02d}")
    with requests.Session() as browser:
        try:
            page = browser.get(f"{base}/s/{token}", timeout=60)
            csrf = CSRF_META.search(page.text).group(1) if page.status_code == 200 else ""
            problem = "" if csrf else f"invite page {page.status_code}"
        except requests.RequestException as error:
            csrf, problem = "", f"invite page: {error}"
        barrier.wait()  # everyone presses "Begin met de scan" at the same moment
        if problem:
            outcome.failures.append(problem)
            return outcome
        started = browser.post(f"{base}/s/{token}", timeout=60, allow_redirects=False,
                               data={"csrf_token": csrf, "name": outcome.name,
                                     "role": ROLES[index % len(ROLES)]})
        match = RESUME.search(started.headers.get("Location", ""))
        if started.status_code != 303 or not match:
            outcome.failures.append(f"start {started.status_code}: {started.text[:200]}")
            return outcome
        outcome.resume = match.group(1)

        chosen = rng.sample(statements, STATEMENTS_EACH)
        plan = [(sid, rng.choice([1, 2, 3, 4, 5, None])) for sid in chosen]
        for sid in rng.sample(chosen, CHANGED_EACH):  # change some answers a second time
            first = next(v for s, v in plan if s == sid)
            plan.append((sid, rng.choice([v for v in (1, 2, 3, 4, 5, None) if v != first])))
        headers = {"HX-Request": "true", "X-CSRFToken": csrf}

        def send(session: requests.Session, sid: int, value: int | None) -> None:
            response = session.post(f"{base}/r/{outcome.resume}/antwoord", headers=headers,
                                    data={"statement": str(sid), f"s{sid}": _form_value(value)},
                                    timeout=60)
            with outcome.lock:
                outcome.sent += 1
                if response.status_code != 200 or "Opgeslagen" not in response.text:
                    outcome.failures.append(f"answer {sid}={value}: {response.status_code} "
                                            f"{response.text[:200]}")
                else:
                    outcome.expected[sid] = value

        # The first answer is a double click: the same new answer twice at the same moment
        # (two connections, one browser session), so two inserts of one row race each other.
        (sid, value), *rest = plan
        with requests.Session() as twin:
            twin.cookies.update(browser.cookies)
            both = threading.Barrier(2)
            clicks = [threading.Thread(target=lambda s=s: (both.wait(), send(s, sid, value)))
                      for s in (browser, twin)]
            for click in clicks:
                click.start()
            for click in clicks:
                click.join()
        for sid, value in rest:
            send(browser, sid, value)
    return outcome


def test_50_respondents_answer_at_once_and_every_answer_arrives_once_with_its_last_value(
        app, live_server, school, make_scan, sections_of, record_property, capsys):
    from lobscan.scans.models import Answer, Respondent

    scan = make_scan(school.school_id, school.admin_id, name="Drukke scan")
    statements = [sid for section in sections_of(scan) for sid in section]
    barrier = threading.Barrier(RESPONDENTS, timeout=120)  # never hang the suite

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=RESPONDENTS) as pool:
        futures = [pool.submit(_respondent, live_server, scan["token"], i, statements, barrier)
                   for i in range(RESPONDENTS)]
        outcomes = [f.result() for f in futures]
    seconds = time.perf_counter() - started

    sent = sum(o.sent for o in outcomes)
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).select_from(Answer).where(Answer.scan_id == scan["id"]))
        respondents = db.session.execute(
            select(Respondent.id, Respondent.resume_token, Respondent.display_name,
                   Respondent.number).where(Respondent.scan_id == scan["id"])).all()
        rows = db.session.execute(
            select(Answer.respondent_id, Answer.statement_id, Answer.value)
            .where(Answer.scan_id == scan["id"])).all()
        dialect = db.engine.dialect.name
        db.session.remove()

    figures = (f"concurrency ({dialect}): {RESPONDENTS} respondents, answers sent {sent}, "
               f"answers stored {stored} (expected {RESPONDENTS * STATEMENTS_EACH}), "
               f"{seconds:.2f} s")
    record_property("answers_sent", sent)
    record_property("answers_stored", stored)
    record_property("seconds", round(seconds, 2))
    with capsys.disabled():
        print(f"\n{figures}")

    failures = [f"{o.name}: {f}" for o in outcomes for f in o.failures]
    assert failures == [], failures[:10]
    assert sent == RESPONDENTS * (STATEMENTS_EACH + CHANGED_EACH + 1)  # +1: the double click

    # Every respondent exists once, with a number of its own.
    assert sorted(r.display_name for r in respondents) == sorted(o.name for o in outcomes)
    assert sorted(r.number for r in respondents) == list(range(1, RESPONDENTS + 1))
    by_token = {r.resume_token: r.id for r in respondents}
    assert set(by_token) == {o.resume for o in outcomes}

    # Every (respondent, statement) exactly once, with the value sent last.
    keys = [(r.respondent_id, r.statement_id) for r in rows]
    assert len(keys) == len(set(keys)) == stored == RESPONDENTS * STATEMENTS_EACH
    stored_values = {(r.respondent_id, r.statement_id): r.value for r in rows}
    expected_values = {(by_token[o.resume], sid): value
                       for o in outcomes for sid, value in o.expected.items()}
    assert stored_values == expected_values
