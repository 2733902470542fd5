"""Questionnaire content: loading the built-in LOB-scan, reading versions, schools' own copies.

Versions are immutable once a scan pins them: editing a version in use first makes the next
version of the same lineage, and the edit lands there. Edits address sections and statements by
key, so they survive that copy.
"""

from __future__ import annotations

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


def load_builtin(path: Path = BUILTIN_FILE) -> Questionnaire:
    """Load the built-in questionnaire file into the database once per version (idempotent)."""
    data = json.loads(path.read_text(encoding="utf-8"))
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
