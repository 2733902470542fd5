"""Demo scans for `flask lobscan demo`: one finished scan with 12 respondents, one open scan."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from lobscan.accounts.models import Team
from lobscan.core.db import utcnow
from lobscan.extensions import db
from lobscan.questionnaires import services as questionnaires
from lobscan.scans import services
from lobscan.scans.models import Respondent, Scan, ScanState

FINISHED = "LOB-scan najaar 2026"
OPEN = "LOB-scan nameting voorjaar 2027"

RESPONDENTS = [
    ("Fatima El Amrani", "docent"), ("Joost Bakker", "mentor"), ("Marieke de Boer", "decaan"),
    ("Thomas Visser", "docent"), ("Yara Jansen", "mentor"), ("Kees van Dijk", "management"),
    ("Lotte Smit", "ondersteuning"), ("Ahmed Yilmaz", "docent"), ("Sanne Mulder", "mentor"),
    ("Peter de Graaf", "docent"), ("Noor Hendriks", "anders"), ("Ruben Kok", "docent"),
]

# A believable team: strong on activities and conversations, weak on parents and quality care.
SECTION_LEVELS = [3.6, 3.1, 2.7, 4.1, 3.8, 3.3, 3.0, 3.4, 2.3, 2.8, 2.5]


def _answers(rng: random.Random, section_count: int, bias: float, stop_after: int | None,
             sections) -> dict[int, int | None]:
    values: dict[int, int | None] = {}
    for index, section in enumerate(sections):
        if stop_after is not None and index >= stop_after:
            break
        level = SECTION_LEVELS[index % len(SECTION_LEVELS)] + bias
        for statement in section.statements:
            if rng.random() < 0.07:
                values[statement.id] = None  # weet ik niet
                continue
            values[statement.id] = max(1, min(5, round(rng.gauss(level, 0.8))))
    return values


def ensure_demo_scans(school_id: int, actor_id: int, team: Team) -> list[Scan]:
    questionnaire = questionnaires.default_questionnaire()
    existing = {s.name: s for s in db.session.scalars(
        select(Scan).where(Scan.school_id == school_id, Scan.team_id == team.id))}
    now = utcnow()
    if FINISHED not in existing:
        scan = services.create_scan(
            school_id, actor_id, team.id, name=FINISHED, questionnaire_id=questionnaire.id,
            cycle_id=None, anonymity="named", opens_at=None, closes_at=None, open_now=True)
        sections = services.sections_of(scan)
        rng = random.Random(20261103)
        for index, (name, role) in enumerate(RESPONDENTS):
            started = now - dt.timedelta(days=30 - index)
            respondent = services.start_respondent(scan, name=name, role=role, now=now)
            respondent.created_at = started
            unfinished = index == len(RESPONDENTS) - 1
            values = _answers(rng, len(sections), rng.uniform(-0.6, 0.6),
                              4 if unfinished else None, sections)
            services.save_answers(respondent, values, now)
            if not unfinished:
                db.session.get(Respondent, respondent.id).completed_at = started + dt.timedelta(
                    minutes=rng.randint(9, 25))
            db.session.commit()
        scan.state = ScanState.CLOSED.value
        db.session.commit()
        existing[FINISHED] = scan
    if OPEN not in existing:
        existing[OPEN] = services.create_scan(
            school_id, actor_id, team.id, name=OPEN, questionnaire_id=questionnaire.id,
            cycle_id=None, anonymity="pseudonymous", opens_at=None, closes_at=None,
            open_now=True)
    return [existing[FINISHED], existing[OPEN]]
