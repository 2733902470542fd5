"""Recording and describing audit events.

Services call record() inside their own transaction, so an event exists exactly when the change does.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lobscan.core.models import Event
from lobscan.extensions import db

# kind -> Dutch sentence; placeholders come from Event.data.
DESCRIPTIONS = {
    "school.registered": _l("registreerde de school %(school)s"),
    "member.joined": _l("%(member)s werd lid als %(role)s"),
    "member.role_changed": _l("wijzigde de rol van %(member)s van %(old)s naar %(new)s"),
    "member.removed": _l("verwijderde %(member)s uit de school"),
    "invite.created": _l("maakte een uitnodiging als %(role)s %(label)s"),
    "invite.revoked": _l("trok een uitnodiging als %(role)s in %(label)s"),
    "team.created": _l("maakte team %(team)s aan"),
    "team.renamed": _l("hernoemde team %(old)s naar %(new)s"),
    "team.archived": _l("archiveerde team %(team)s"),
    "team.restored": _l("haalde team %(team)s terug uit het archief"),
    "team.member_added": _l("voegde %(member)s toe aan team %(team)s"),
    "team.member_removed": _l("haalde %(member)s uit team %(team)s"),
    "cycle.started": _l("startte cyclus %(cycle)s voor team %(team)s"),
    "scan.created": _l("maakte scan %(scan)s voor team %(team)s"),
    "scan.opened": _l("opende scan %(scan)s"),
    "scan.closed": _l("sloot scan %(scan)s"),
    "scan.reopened": _l("heropende scan %(scan)s"),
    "scan.link_replaced": _l("maakte een nieuwe uitnodigingslink voor scan %(scan)s"),
    "questionnaire.copied": _l("maakte vragenlijst %(title)s als kopie van %(source)s"),
    "questionnaire.edited": _l("bewerkte vragenlijst %(title)s (versie %(version)s): %(what)s"),
}


def record(
    school_id: int,
    actor_id: int | None,
    kind: str,
    subject: Any = None,
    **data: Any,
) -> Event:
    event = Event(
        school_id=school_id,
        actor_id=actor_id,
        kind=kind,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        data=data,
    )
    db.session.add(event)
    return event


def describe(event: Event) -> str:
    from lobscan.accounts.roles import role_label

    template = DESCRIPTIONS.get(event.kind)
    if template is None:
        return event.kind
    data = {k: v for k, v in (event.data or {}).items()}
    for key in ("role", "old", "new"):
        if key in data and event.kind in {"member.joined", "member.role_changed",
                                          "invite.created", "invite.revoked"}:
            data[key] = role_label(data[key])
    if "label" in data:
        data["label"] = _("(voor %(label)s)", label=data["label"]) if data["label"] else ""
    try:
        return str(template) % data
    except (KeyError, TypeError, ValueError):
        return event.kind


def page(school_id: int, page: int, per_page: int = 50) -> tuple[list[Event], int]:
    """One page of a school's events, newest first, and the total count."""
    total = db.session.scalar(select(func.count()).select_from(Event).where(
        Event.school_id == school_id))
    events = db.session.scalars(
        select(Event)
        .options(selectinload(Event.actor))
        .where(Event.school_id == school_id)
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(events), total or 0
