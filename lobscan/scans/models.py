from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lobscan.accounts.models import Cycle, Team, new_token
from lobscan.core.db import UTCDateTime, utcnow
from lobscan.extensions import db
from lobscan.questionnaires.models import Questionnaire


class ScanState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Anonymity(enum.StrEnum):
    NAMED = "named"
    PSEUDONYMOUS = "pseudonymous"


RESPONDENT_ROLES = ("docent", "mentor", "decaan", "management", "ondersteuning", "anders")


class Scan(db.Model):
    __tablename__ = "scan"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'open', 'closed')", name="state"),
        CheckConstraint("anonymity IN ('named', 'pseudonymous')", name="anonymity"),
        Index("ix_scan_school_id_team_id", "school_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(10), default=ScanState.DRAFT.value)
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    anonymity: Mapped[str] = mapped_column(String(20), default=Anonymity.NAMED.value)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    cycle: Mapped[Cycle] = relationship()
    questionnaire: Mapped[Questionnaire] = relationship()

    def status(self, now: dt.datetime | None = None) -> str:
        """What a respondent meets: 'open', 'not_open' (draft or before opens_at) or 'closed'."""
        now = now or utcnow()
        if self.state == ScanState.CLOSED.value or (self.closes_at and now >= self.closes_at):
            return "closed"
        if self.state == ScanState.OPEN.value and (self.opens_at is None or now >= self.opens_at):
            return "open"
        if self.state == ScanState.DRAFT.value and self.opens_at and now >= self.opens_at:
            return "open"
        return "not_open"

    @property
    def pseudonymous(self) -> bool:
        return self.anonymity == Anonymity.PSEUDONYMOUS.value


class Invitation(db.Model):
    """The link through which respondents come in; replacing it revokes the old one at once."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    scan: Mapped[Scan] = relationship()


class Respondent(db.Model):
    __tablename__ = "respondent"
    __table_args__ = (UniqueConstraint("scan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id", ondelete="CASCADE"), index=True)
    # 1, 2, 3 ... within the scan: the stable pseudonym R1..Rn.
    number: Mapped[int]
    display_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(20))
    resume_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    scan: Mapped[Scan] = relationship()

    @property
    def pseudonym(self) -> str:
        return f"R{self.number}"


class Answer(db.Model):
    """One row per (respondent, statement), upserted on every change. value NULL: weet ik niet."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("respondent_id", "statement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id", ondelete="CASCADE"), index=True)
    # Indexed by the unique (respondent_id, statement_id) constraint.
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondent.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[int | None] = mapped_column(SmallInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
