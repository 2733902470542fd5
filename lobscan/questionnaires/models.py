from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lobscan.core.db import UTCDateTime, utcnow
from lobscan.extensions import db


class Questionnaire(db.Model):
    """One version of a questionnaire. A version that a scan uses is never changed again:
    an edit then makes the next version (see services.editable_version)."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("lineage", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: built into lobscan, readable by every school. Otherwise a school's own copy.
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), index=True
    )
    lineage: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    intro: Mapped[str] = mapped_column(Text, default="")
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    scale_labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    unknown_label: Mapped[str] = mapped_column(String(80), default="weet ik niet / n.v.t.")
    based_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    sections: Mapped[list[Section]] = relationship(
        back_populates="questionnaire", order_by="Section.position",
        cascade="all, delete-orphan",
    )

    @property
    def scale(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))

    def label_for(self, value: int) -> str:
        return self.scale_labels.get(str(value), str(value))


class Section(db.Model):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(160))
    explanation: Mapped[str] = mapped_column(Text, default="")
    tips: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="sections")
    statements: Mapped[list[Statement]] = relationship(
        back_populates="section", order_by="Statement.position", cascade="all, delete-orphan"
    )


class Statement(db.Model):
    __tablename__ = "statement"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"),
                                            index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)

    section: Mapped[Section] = relationship(back_populates="statements")
    questionnaire: Mapped[Questionnaire] = relationship()
