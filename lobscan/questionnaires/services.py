"""Questionnaire content: loading the built-in LOB-scan, reading versions, schools' own copies.

Versions are immutable once a scan pins them: editing a version in use first makes the next
version of the same lineage, and the edit lands there. Edits address sections and statements by
key, so they survive that copy.
"""

from __future__ import annotations

import functools
import json
import secrets
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lobscan.accounts.services import ServiceError
from lobscan.core import audit
from lobscan.extensions import db
from lobscan.questionnaires.models import Questionnaire, Section, Statement

DATA_DIR = Path(__file__).parent / "data"
BUILTIN_FILE = DATA_DIR / "lob-scan.json"
BUILTIN_LINEAGE = "lob-scan"


def _from_data(data: dict[str, Any], school_id: int | None, lineage: str,
               version: int) -> Questionnaire:
    scale = data["scale"]
    questionnaire = Questionnaire(
        school_id=school_id,
        lineage=lineage,
        version=version,
        title=data["title"],
        intro=data.get("intro", ""),
        scale_min=int(scale["min"]),
        scale_max=int(scale["max"]),
        scale_labels={str(k): v for k, v in scale["labels"].items()},
        unknown_label=scale.get("unknown_label", "weet ik niet / n.v.t."),
    )
    for s_pos, s in enumerate(data["sections"], start=1):
        section = Section(key=s["key"], position=s_pos, title=s["title"],
                          explanation=s.get("explanation", ""), tips=list(s.get("tips", [])),
                          links=[dict(link) for link in s.get("links", [])])
        questionnaire.sections.append(section)
        for st_pos, st in enumerate(s["statements"], start=1):
            section.statements.append(
                Statement(key=st["key"], position=st_pos, text=st["text"],
                          questionnaire=questionnaire)
            )
    return questionnaire


def to_data(questionnaire: Questionnaire) -> dict[str, Any]:
    """The file format of the built-in questionnaire, for copies and exports."""
    return {
        "key": questionnaire.lineage,
        "version": questionnaire.version,
        "title": questionnaire.title,
        "intro": questionnaire.intro,
        "scale": {"min": questionnaire.scale_min, "max": questionnaire.scale_max,
                  "labels": dict(questionnaire.scale_labels),
                  "unknown_label": questionnaire.unknown_label},
        "sections": [
            {"key": s.key, "title": s.title, "explanation": s.explanation,
             "tips": list(s.tips), "links": [dict(x) for x in s.links],
             "statements": [{"key": st.key, "text": st.text} for st in s.statements]}
            for s in questionnaire.sections
        ],
    }


@functools.cache
def _read(path: Path) -> dict[str, Any]:
    """The package's data file, parsed once per process (it never changes while running)."""
    return json.loads(path.read_text(encoding="utf-8"))


def load_builtin(path: Path = BUILTIN_FILE) -> Questionnaire:
    """Load the built-in questionnaire file into the database once per version (idempotent).
    Called on the hot path (scan form, questionnaire list): after the first load it costs one
    indexed query."""
    data = _read(path)
    lineage, version = data["key"], int(data["version"])
    existing = db.session.scalar(
        select(Questionnaire).where(Questionnaire.lineage == lineage,
                                    Questionnaire.version == version,
                                    Questionnaire.school_id.is_(None))
    )
    if existing is not None:
        return existing
    questionnaire = _from_data(data, None, lineage, version)
    db.session.add(questionnaire)
    try:
        db.session.commit()
    except IntegrityError:  # another process loaded it at the same moment
        db.session.rollback()
        return db.session.scalar(
            select(Questionnaire).where(Questionnaire.lineage == lineage,
                                        Questionnaire.version == version)
        )
    return questionnaire


def default_questionnaire() -> Questionnaire:
    """The newest built-in version, loaded from the package file when the database lacks it."""
    return load_builtin()


def readable(school_id: int):
    """Questionnaires a school may use: the built-in ones and its own."""
    return select(Questionnaire).where(
        or_(Questionnaire.school_id.is_(None), Questionnaire.school_id == school_id)
    )


def get_readable(school_id: int, questionnaire_id: int) -> Questionnaire | None:
    return db.session.scalar(
        readable(school_id)
        .options(selectinload(Questionnaire.sections).selectinload(Section.statements))
        .where(Questionnaire.id == questionnaire_id)
    )


def latest_versions(school_id: int) -> list[Questionnaire]:
    """The newest version of every lineage the school can use, built-in first."""
    default_questionnaire()
    newest = (
        select(Questionnaire.lineage, func.max(Questionnaire.version).label("version"))
        .where(or_(Questionnaire.school_id.is_(None), Questionnaire.school_id == school_id))
        .group_by(Questionnaire.lineage)
        .subquery()
    )
    return list(
        db.session.scalars(
            readable(school_id)
            .join(newest, (newest.c.lineage == Questionnaire.lineage)
                  & (newest.c.version == Questionnaire.version))
            .order_by(Questionnaire.school_id.is_not(None), Questionnaire.title)
        )
    )


def in_use(questionnaire_id: int) -> bool:
    from lobscan.scans.models import Scan

    return bool(db.session.scalar(select(exists().where(Scan.questionnaire_id == questionnaire_id))))


def copy_for_school(school_id: int, actor_id: int, source_id: int, title: str) -> Questionnaire:
    source = get_readable(school_id, source_id)
    if source is None:
        raise ServiceError(_l("Deze vragenlijst is niet gevonden."), status=404)
    data = to_data(source)
    data["title"] = title.strip() or source.title
    lineage = f"school-{school_id}-{secrets.token_hex(6)}"
    copy = _from_data(data, school_id, lineage, 1)
    copy.based_on_id = source.id
    db.session.add(copy)
    db.session.flush()
    audit.record(school_id, actor_id, "questionnaire.copied", copy, title=copy.title,
                 source=source.title)
    db.session.commit()
    return copy


def statement_ids(questionnaire_id: int) -> set[int]:
    return set(db.session.scalars(
        select(Statement.id).where(Statement.questionnaire_id == questionnaire_id)))


# --- a school's own version: editing ----------------------------------------------------------

MAX_TIPS = 20
MAX_LINKS = 20


def _own(school_id: int, questionnaire_id: int) -> Questionnaire:
    questionnaire = db.session.scalar(
        select(Questionnaire).where(Questionnaire.id == questionnaire_id,
                                    Questionnaire.school_id == school_id))
    if questionnaire is None:
        raise ServiceError(_l("Deze vragenlijst is niet gevonden."), status=404)
    return questionnaire


def newest_of(questionnaire: Questionnaire) -> Questionnaire:
    return db.session.scalar(
        select(Questionnaire).where(Questionnaire.lineage == questionnaire.lineage)
        .order_by(Questionnaire.version.desc()).limit(1))


def editable_version(school_id: int, questionnaire_id: int) -> Questionnaire:
    """The version an edit lands in: the newest of the lineage, or, when a scan already uses
    that one, a fresh copy as the next version (old results keep their own texts)."""
    newest = newest_of(_own(school_id, questionnaire_id))
    if not in_use(newest.id):
        return newest
    data = to_data(newest)
    clone = _from_data(data, school_id, newest.lineage, newest.version + 1)
    clone.based_on_id = newest.based_on_id
    db.session.add(clone)
    db.session.flush()
    return clone


def _section(questionnaire: Questionnaire, key: str) -> Section:
    section = next((s for s in questionnaire.sections if s.key == key), None)
    if section is None:
        raise ServiceError(_l("Dit onderdeel is niet gevonden."), status=404)
    return section


def _statement(questionnaire: Questionnaire, key: str) -> Statement:
    for section in questionnaire.sections:
        for statement in section.statements:
            if statement.key == key:
                return statement
    raise ServiceError(_l("Deze stelling is niet gevonden."), status=404)


def _done(school_id: int, actor_id: int, questionnaire: Questionnaire, what: str) -> Questionnaire:
    audit.record(school_id, actor_id, "questionnaire.edited", questionnaire,
                 title=questionnaire.title, version=questionnaire.version, what=what)
    db.session.commit()
    return questionnaire


def update_meta(school_id: int, actor_id: int, questionnaire_id: int, title: str,
                intro: str) -> Questionnaire:
    q = editable_version(school_id, questionnaire_id)
    q.title, q.intro = title.strip(), intro.strip()
    return _done(school_id, actor_id, q, "titel en inleiding")


def parse_links(text: str) -> list[dict[str, str]]:
    """One link per line: "titel | https://adres". A line without a valid address is an error."""
    links = []
    for number, line in enumerate((x.strip() for x in text.splitlines()), start=1):
        if not line:
            continue
        title, sep, url = line.rpartition("|")
        title, url = (title.strip(), url.strip()) if sep else (url.strip(), url.strip())
        if not (url.startswith("https://") or url.startswith("http://")) or " " in url \
                or len(url) > 500 or len(title) > 200:
            raise ServiceError(
                _l("Regel %(n)d van de links is geen geldige link. Schrijf: titel | https://…",
                   n=number), status=422, field="links")
        links.append({"title": title, "url": url})
    if len(links) > MAX_LINKS:
        raise ServiceError(_l("Hooguit %(n)d links per onderdeel.", n=MAX_LINKS), status=422,
                           field="links")
    return links


def parse_tips(text: str) -> list[str]:
    tips = [line.strip() for line in text.splitlines() if line.strip()]
    if len(tips) > MAX_TIPS:
        raise ServiceError(_l("Hooguit %(n)d tips per onderdeel.", n=MAX_TIPS), status=422,
                           field="tips")
    if any(len(tip) > 500 for tip in tips):
        raise ServiceError(_l("Een tip is hooguit 500 tekens."), status=422, field="tips")
    return tips


def update_section(school_id: int, actor_id: int, questionnaire_id: int, key: str, *,
                   title: str, explanation: str, tips: str, links: str) -> Questionnaire:
    parsed_tips, parsed_links = parse_tips(tips), parse_links(links)
    q = editable_version(school_id, questionnaire_id)
    section = _section(q, key)
    section.title, section.explanation = title.strip(), explanation.strip()
    section.tips, section.links = parsed_tips, parsed_links
    return _done(school_id, actor_id, q, section.title)


def add_statement(school_id: int, actor_id: int, questionnaire_id: int, section_key: str,
                  text: str) -> Questionnaire:
    q = editable_version(school_id, questionnaire_id)
    section = _section(q, section_key)
    position = max((s.position for s in section.statements), default=0) + 1
    section.statements.append(Statement(key=f"{section.key}-{secrets.token_hex(4)}",
                                        position=position, text=text.strip(), questionnaire=q))
    return _done(school_id, actor_id, q, section.title)


def update_statement(school_id: int, actor_id: int, questionnaire_id: int, key: str,
                     text: str) -> Questionnaire:
    q = editable_version(school_id, questionnaire_id)
    statement = _statement(q, key)
    statement.text = text.strip()
    return _done(school_id, actor_id, q, statement.section.title)


def delete_statement(school_id: int, actor_id: int, questionnaire_id: int,
                     key: str) -> Questionnaire:
    q = editable_version(school_id, questionnaire_id)
    statement = _statement(q, key)
    section = statement.section
    if len(section.statements) <= 1:
        raise ServiceError(_l("Een onderdeel houdt minstens één stelling."), status=409)
    section.statements.remove(statement)
    for position, remaining in enumerate(section.statements, start=1):
        remaining.position = position
    return _done(school_id, actor_id, q, section.title)


def move_statement(school_id: int, actor_id: int, questionnaire_id: int, key: str,
                   direction: int) -> Questionnaire:
    q = editable_version(school_id, questionnaire_id)
    statement = _statement(q, key)
    ordered = list(statement.section.statements)
    index = ordered.index(statement)
    other = index + (1 if direction > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered, start=1):
            item.position = position
    return _done(school_id, actor_id, q, statement.section.title)
