"""Deadlines (期限) of a dispute: open until met or cancelled."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_check, utcnow
from mediation.models.enums import DEADLINE_KINDS, DEADLINE_STATUSES


class Deadline(Base):
    __tablename__ = "deadline"
    __table_args__ = (
        CheckConstraint(enum_check("kind", DEADLINE_KINDS), name="kind"),
        CheckConstraint(enum_check("status", DEADLINE_STATUSES), name="status"),
        Index("ix_deadline_status_due", "status", "due_at"),
        # statistics: deadlines met or cancelled after a period's end, and due before it, were
        # overdue at it (the due date is read from the index, not from the table)
        Index("ix_deadline_met_due", "met_at", "due_at"),
        Index("ix_deadline_cancelled_due", "cancelled_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")
    met_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dispute: Mapped[Dispute] = relationship(back_populates="deadlines")  # noqa: F821
