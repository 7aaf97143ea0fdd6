"""The append-only audit trail. Nothing edits or deletes an event; statistics derive from it."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, utcnow
from mediation.models.committee import Committee
from mediation.models.user import User


class Event(Base):
    """One applied trigger (or other recorded act) on a dispute.

    `committee_id`/`org_id` are the handling committee and its org at that moment (for an
    escalation: the committee it left; the new one is in `payload`). `amount` (agreements),
    `due_at` (the mediation deadline in force at a conclusion) and `result` (reason codes,
    confirmation results, performance, outcome) are the facts the statistics aggregate.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_dispute_order", "dispute_id", "occurred_at", "id"),
        Index("ix_event_trigger_occurred", "trigger", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"))
    trigger: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[Optional[str]] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    result: Mapped[Optional[str]] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[User]] = relationship(lazy="joined")
    committee: Mapped[Committee] = relationship(lazy="joined")
    dispute: Mapped[Dispute] = relationship()  # noqa: F821
