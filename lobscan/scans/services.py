"""Scans, their invite links, respondents and answers.

Coordinators' functions take (school_id, actor_id, ...); respondents' functions take the
respondent or scan found by an unguessable token. Answers are upserted one row per
(respondent, statement), so a retry or a double click can never duplicate or lose one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lobscan.accounts.models import Cycle, Team
from lobscan.accounts.services import ServiceError
from lobscan.core import audit
from lobscan.core.db import upsert
from lobscan.core.tenancy import get_in_school, scoped
from lobscan.extensions import db
from lobscan.questionnaires import services as questionnaires
from lobscan.questionnaires.models import Questionnaire, Section, Statement
from lobscan.scans.models import (
    RESPONDENT_ROLES,
    Anonymity,
    Answer,
    Invitation,
    Respondent,
    Scan,
    ScanState,
)

UNKNOWN = "nvt"  # the form value of "weet ik niet / n.v.t."


# --- coordinators ------------------------------------------------------------------------------


def list_scans(school_id: int, team_id: int) -> list[Scan]:
    return list(db.session.scalars(
        scoped(Scan, school_id)
        .options(selectinload(Scan.cycle))
        .where(Scan.team_id == team_id)
        .order_by(Scan.created_at.desc(), Scan.id.desc())
    ))


def create_scan(
    school_id: int, actor_id: int, team_id: int, *, name: str, questionnaire_id: int,
    cycle_id: int | None, anonymity: str, opens_at: dt.datetime | None,
    closes_at: dt.datetime | None, open_now: bool,
) -> Scan:
    team = get_in_school(Team, school_id, team_id)
    if team.archived:
        raise ServiceError(_l("Een gearchiveerd team krijgt geen nieuwe scan."), status=409)
    cycle = get_in_school(Cycle, school_id, cycle_id) if cycle_id else team.current_cycle
    if cycle is None or cycle.team_id != team.id:
        raise ServiceError(_l("Kies een cyclus van dit team."), status=422, field="cycle_id")
    questionnaire = questionnaires.get_readable(school_id, questionnaire_id)
    if questionnaire is None:
        raise ServiceError(_l("Kies een vragenlijst."), status=422,
                           field="questionnaire_id")
    if anonymity not in {a.value for a in Anonymity}:
        raise ServiceError(_l("Kies hoe respondenten in de uitslag staan."), status=422,
                           field="anonymity")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ServiceError(_l("De sluitdatum moet na de openingsdatum liggen."),
                           status=422, field="closes_at")
    scan = Scan(
        school_id=school_id, team_id=team.id, cycle_id=cycle.id,
        questionnaire_id=questionnaire.id, name=name.strip(), anonymity=anonymity,
        opens_at=opens_at, closes_at=closes_at,
        state=ScanState.OPEN.value if open_now else ScanState.DRAFT.value,
        created_by_id=actor_id,
    )
    db.session.add(scan)
    db.session.flush()
    db.session.add(Invitation(school_id=school_id, scan_id=scan.id))
    audit.record(school_id, actor_id, "scan.created", scan, scan=scan.name, team=team.name)
    db.session.commit()
    return scan


def current_invitation(scan: Scan) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.scan_id == scan.id, Invitation.revoked_at.is_(None))
        .order_by(Invitation.id.desc())
    )


def set_state(school_id: int, actor_id: int, scan_id: int, state: str, now: dt.datetime) -> Scan:
    scan = get_in_school(Scan, school_id, scan_id)
    if state not in {ScanState.OPEN.value, ScanState.CLOSED.value}:
        raise ServiceError(_l("Onbekende actie."))
    if state == ScanState.OPEN.value and scan.closes_at and scan.closes_at <= now:
        scan.closes_at = None  # reopening by hand lifts a closing date that has passed
    if state == ScanState.OPEN.value and scan.opens_at and scan.opens_at > now:
        scan.opens_at = None  # opening by hand now
    old = scan.state
    scan.state = state
    kind = "scan.closed" if state == ScanState.CLOSED.value else (
        "scan.reopened" if old == ScanState.CLOSED.value else "scan.opened")
    audit.record(school_id, actor_id, kind, scan, scan=scan.name)
    db.session.commit()
    return scan


def replace_link(school_id: int, actor_id: int, scan_id: int, now: dt.datetime) -> Invitation:
    """A new invite link; the old one stops working at once. Respondents keep their own links."""
    scan = get_in_school(Scan, school_id, scan_id)
    for invitation in db.session.scalars(
        select(Invitation).where(Invitation.scan_id == scan.id, Invitation.revoked_at.is_(None))
    ):
        invitation.revoked_at = now
    invitation = Invitation(school_id=school_id, scan_id=scan.id)
    db.session.add(invitation)
    audit.record(school_id, actor_id, "scan.link_replaced", scan, scan=scan.name)
    db.session.commit()
    return invitation


def counts(scan_id: int) -> dict[str, int]:
    """Respondents who started and who finished."""
    started, completed = db.session.execute(
        select(func.count(Respondent.id),
               func.count(Respondent.completed_at))
        .where(Respondent.scan_id == scan_id)
    ).one()
    return {"started": started or 0, "completed": completed or 0}


def live_version(scan: Scan, now: dt.datetime, known: dict[str, int] | None = None) -> str:
    """Changes whenever the live panel would: the client polls with it and gets 204 if equal.
    `known`: counts the caller already has."""
    c = known if known is not None else counts(scan.id)
    return f"{c['started']}-{c['completed']}-{scan.status(now)}"


# --- respondents -------------------------------------------------------------------------------


def scan_for_invite(token: str) -> Scan | None:
    """The scan of a live invite link; unknown or replaced links find nothing (404)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Scan).join(Invitation, Invitation.scan_id == Scan.id)
        .where(Invitation.token == token, Invitation.revoked_at.is_(None))
    )


def respondent_for_token(token: str | None) -> Respondent | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Respondent).options(selectinload(Respondent.scan))
        .where(Respondent.resume_token == token)
    )


def _require_open(scan: Scan, now: dt.datetime) -> None:
    status = scan.status(now)
    if status == "closed":
        raise ServiceError(_l("Deze scan is gesloten. Antwoorden kunnen niet meer worden gewijzigd."),
                           status=409)
    if status != "open":
        raise ServiceError(_l("Deze scan is nog niet geopend."), status=409)


def _lock_numbering(scan_id: int) -> None:
    """Serialise respondent numbering per scan until the commit. A no-op UPDATE of the scan row
    locks that row on PostgreSQL, and on SQLite it starts the (single) write transaction, so the
    max(number) read after it sees every respondent committed before. Without it, 50 people
    starting at once kept taking the same number and some ran out of retries (a 503)."""
    db.session.execute(update(Scan.__table__).where(Scan.__table__.c.id == scan_id)
                       .values(id=Scan.__table__.c.id))


def start_respondent(scan: Scan, *, name: str, role: str, now: dt.datetime) -> Respondent:
    _require_open(scan, now)
    if role not in RESPONDENT_ROLES:
        raise ServiceError(_l("Kies je rol."), status=422, field="role")
    name = name.strip()
    if scan.anonymity == Anonymity.NAMED.value and not name:
        raise ServiceError(_l("Vul je naam in."), status=422, field="name")
    if scan.pseudonymous:
        name = ""  # never stored for a pseudonymous scan
    for _attempt in range(10):
        _lock_numbering(scan.id)
        number = (db.session.scalar(
            select(func.max(Respondent.number)).where(Respondent.scan_id == scan.id)) or 0) + 1
        respondent = Respondent(school_id=scan.school_id, scan_id=scan.id, number=number,
                                display_name=name, role=role, created_at=now)
        db.session.add(respondent)
        try:
            db.session.commit()
        except IntegrityError:  # someone else took this number at the same moment
            db.session.rollback()
            continue
        return respondent
    raise ServiceError(_l("Het is nu erg druk. Probeer het zo nog eens."), status=503)


def parse_value(raw: str | None, questionnaire: Questionnaire) -> int | None:
    """A form value: a number on the scale, or 'nvt' for "weet ik niet". Anything else: 422."""
    if raw == UNKNOWN:
        return None
    try:
        value = int(raw or "")
    except ValueError:
        raise ServiceError(_l("Kies een antwoord op de schaal."), status=422) from None
    if not questionnaire.scale_min <= value <= questionnaire.scale_max:
        raise ServiceError(_l("Kies een antwoord op de schaal."), status=422)
    return value


def _statement_in_scan(scan: Scan, statement_id: int) -> None:
    found = db.session.scalar(
        select(Statement.id).where(Statement.id == statement_id,
                                   Statement.questionnaire_id == scan.questionnaire_id)
    )
    if found is None:
        raise ServiceError(_l("Deze stelling hoort niet bij deze scan."), status=422)


def save_answers(respondent: Respondent, values: Mapping[int, int | None],
                 now: dt.datetime) -> None:
    """Upsert the given answers ({statement_id: value or None}) in one transaction."""
    scan = respondent.scan
    _require_open(scan, now)
    if not values:
        return
    if any(not 0 < statement_id < 2**31 for statement_id in values):
        # Ids beyond the databases' integer range would fail in the query itself (a 500).
        raise ServiceError(_l("Deze stelling hoort niet bij deze scan."), status=422)
    known = set(db.session.scalars(
        select(Statement.id).where(Statement.questionnaire_id == scan.questionnaire_id,
                                   Statement.id.in_(list(values)))))
    if known != set(values):
        raise ServiceError(_l("Deze stelling hoort niet bij deze scan."), status=422)
    rows = [{"school_id": respondent.school_id, "scan_id": scan.id,
             "respondent_id": respondent.id, "statement_id": statement_id,
             "value": value, "updated_at": now}
            for statement_id, value in sorted(values.items())]
    upsert(db.session, Answer.__table__, rows,
           conflict=["respondent_id", "statement_id"], update=["value", "updated_at"])
    db.session.commit()


def answers_of(respondent: Respondent) -> dict[int, int | None]:
    return dict(db.session.execute(
        select(Answer.statement_id, Answer.value).where(Answer.respondent_id == respondent.id)
    ).all())


def sections_of(scan: Scan) -> list[Section]:
    return list(db.session.scalars(
        select(Section).options(selectinload(Section.statements))
        .where(Section.questionnaire_id == scan.questionnaire_id)
        .order_by(Section.position)
    ))


def progress(respondent: Respondent) -> dict[str, int]:
    total, answered = db.session.execute(
        select(func.count(Statement.id), func.count(Answer.id))
        .select_from(Statement)
        .outerjoin(Answer, (Answer.statement_id == Statement.id)
                   & (Answer.respondent_id == respondent.id))
        .where(Statement.questionnaire_id == respondent.scan.questionnaire_id)
    ).one()
    return {"total": total, "answered": answered}


def section_progress(respondent: Respondent) -> dict[int, tuple[int, int]]:
    """{section_id: (answered, total)}."""
    rows = db.session.execute(
        select(Statement.section_id, func.count(Statement.id),
               func.count(Answer.id))
        .outerjoin(Answer, (Answer.statement_id == Statement.id)
                   & (Answer.respondent_id == respondent.id))
        .where(Statement.questionnaire_id == respondent.scan.questionnaire_id)
        .group_by(Statement.section_id)
    ).all()
    return {section_id: (answered, total) for section_id, total, answered in rows}


def finish(respondent: Respondent, now: dt.datetime) -> Respondent:
    _require_open(respondent.scan, now)
    if respondent.completed_at is None:
        respondent.completed_at = now
        db.session.commit()
    return respondent


def answers_csv_rows(school_id: int | None, scan_id: int):
    """Raw answers for `flask lobscan answers`: one row per answer, in a stable order."""
    query = (
        select(Respondent.id, Respondent.number, Respondent.display_name, Respondent.role,
               Section.key, Statement.id, Answer.value, Scan.anonymity)
        .join(Answer, Answer.respondent_id == Respondent.id)
        .join(Statement, Statement.id == Answer.statement_id)
        .join(Section, Section.id == Statement.section_id)
        .join(Scan, Scan.id == Respondent.scan_id)
        .where(Respondent.scan_id == scan_id)
        .order_by(Respondent.number, Section.position, Statement.position)
    )
    if school_id is not None:
        query = query.where(Respondent.school_id == school_id)
    for rid, number, name, role, section_key, statement_id, value, anonymity in db.session.execute(query):
        label = f"R{number}" if anonymity == Anonymity.PSEUDONYMOUS.value or not name else name
        yield [rid, label, role, section_key, statement_id, "" if value is None else value]



