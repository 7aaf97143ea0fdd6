"""The append-only audit trail. Nothing edits or deletes an event; statistics derive from it."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, utcnow
from mediation.models.committee import Committee
from mediation.models.user import User


class Event(Base):
    """One applied trigger (or other recorded act) on a dispute.

    `committee_id`/`org_id` are the handling committee and its org at that moment (for an
    escalation: the committee it left; the new one is in `payload`). `amount` (agreements),
    `due_at` (the mediation deadline in force at a conclusion), `result` (reason codes,
    confirmation results, performance, outcome, a prevention record's kind) and `people` (a
    prevention record's people; negative on its withdrawal) are the facts the statistics aggregate.
    `backdated` flags an entry dated further back than the policy's `max_backdate_days`, and
    `backdate_reason` says why. The kinds of entries: mediation/disputes/trail.py.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_dispute_order", "dispute_id", "occurred_at", "id"),
        Index("ix_event_trigger_occurred", "trigger", "occurred_at"),
        Index("ix_event_backdated_occurred", "backdated", "occurred_at"),
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
    people: Mapped[Optional[int]] = mapped_column(Integer)
    backdated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    backdate_reason: Mapped[Optional[str]] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[User]] = relationship(lazy="joined")
    committee: Mapped[Committee] = relationship(lazy="joined")
    dispute: Mapped[Dispute] = relationship()  # noqa: F821
