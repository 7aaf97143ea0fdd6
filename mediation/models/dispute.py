"""A dispute (纠纷) and the records that hang off it through its life."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from mediation.models.base import Base, Encrypted, UTCDateTime, enum_check, utcnow
from mediation.models.committee import Committee
from mediation.models.enums import (
    AGREEMENT_FORMS,
    CONFIRMATION_STATES,
    DISPUTE_TYPES,
    FOLLOW_UP_METHODS,
    OUTCOMES,
    PARTY_KINDS,
    PARTY_ROLES,
    PERFORMANCE,
    PREVENTION_KINDS,
    RISK_LEVELS,
    SESSION_KINDS,
    SESSION_MODES,
    SEXES,
    SOURCES,
)
from mediation.models.org import OrgUnit
from mediation.models.user import User

Money = Numeric(14, 2)


class CaseCounter(Base):
    """The last case number issued per committee and year; its row lock makes numbers gap-free."""

    __tablename__ = "case_counter"

    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


# PostgreSQL only, created by migration 0011 (expression indexes the models do not declare):
# GIN indexes on `text_bigrams(party.name)` and `text_bigrams(case_number || ' ' || summary)`, the
# bigram search behind the dispute list's `q`.
SEARCH_INDEXES = ("ix_party_name_bigrams", "ix_dispute_text_bigrams")


class Dispute(Base):
    __tablename__ = "dispute"
    __table_args__ = (
        CheckConstraint(enum_check("dispute_type", DISPUTE_TYPES), name="dispute_type"),
        CheckConstraint(enum_check("source", SOURCES), name="source"),
        CheckConstraint(enum_check("risk_level", RISK_LEVELS), name="risk_level"),
        CheckConstraint("outcome IS NULL OR " + enum_check("outcome", OUTCOMES), name="outcome"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        # No unique (committee_id, case_year, case_seq): an escalated dispute keeps the case number its
        # intake committee gave it while `committee_id` moves on, so that triple may repeat; the case
        # number itself is unique, and CaseCounter keeps each committee's numbers gap-free.
        Index("ix_dispute_committee_state", "committee_id", "state"),
        Index("ix_dispute_intake_received", "intake_org_id", "received_at"),
        # The list's order, newest first: the whole scope, one committee, one state (migration 0011).
        Index("ix_dispute_received", "received_at", "id"),
        Index("ix_dispute_committee_received", "committee_id", "received_at", "id"),
        Index("ix_dispute_state_received", "state", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    case_year: Mapped[int] = mapped_column(Integer)
    case_seq: Mapped[int] = mapped_column(Integer)
    workflow: Mapped[str] = mapped_column(String(32), default="standard")
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    intake_org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    dispute_type: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    risk_level: Mapped[str] = mapped_column(String(8), default="none")
    state: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[Optional[str]] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    mediation_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    concluded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extensions_used: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    committee: Mapped[Committee] = relationship(lazy="joined")
    intake_org: Mapped[OrgUnit] = relationship(lazy="joined")
    parties: Mapped[list[Party]] = relationship(order_by="Party.id", back_populates="dispute")
    assignments: Mapped[list[Assignment]] = relationship(order_by="Assignment.id", back_populates="dispute")
    sessions: Mapped[list[MediationSession]] = relationship(order_by="MediationSession.held_at")
    agreements: Mapped[list[Agreement]] = relationship(order_by="Agreement.id")
    follow_ups: Mapped[list[FollowUp]] = relationship(order_by="FollowUp.id")
    deadlines: Mapped[list[Deadline]] = relationship(order_by="Deadline.id", back_populates="dispute")  # noqa: F821
    preventions: Mapped[list[PreventionRecord]] = relationship(order_by="PreventionRecord.id")

    @property
    def agreement(self) -> Optional[Agreement]:
        """The agreement in force: the latest one (a reopened case may reach a new one)."""
        return self.agreements[-1] if self.agreements else None

    @property
    def active_assignments(self) -> list[Assignment]:
        return [a for a in self.assignments if a.ended_at is None]

    def __repr__(self) -> str:
        return f"<Dispute {self.case_number} {self.state}>"


class Party(Base):
    """当事人. `id_number` and `phone` are personal data: validated on entry, encrypted at rest, masked on
    the way out. Each has a keyed blind index (HMAC of the normalised value) for exact searches."""

    __tablename__ = "party"
    __table_args__ = (
        CheckConstraint(enum_check("role", PARTY_ROLES), name="role"),
        CheckConstraint(enum_check("kind", PARTY_KINDS), name="kind"),
        CheckConstraint("sex IS NULL OR " + enum_check("sex", SEXES), name="sex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), index=True)
    id_number: Mapped[Optional[str]] = mapped_column(Encrypted("party.id_number"))
    phone: Mapped[Optional[str]] = mapped_column(Encrypted("party.phone"))
    id_number_index: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    phone_index: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    address: Mapped[Optional[str]] = mapped_column(String(255))
    # optional particulars of the Ministry's forms; sex (and age) are read from the ID number when absent
    sex: Mapped[Optional[str]] = mapped_column(String(8))
    ethnicity: Mapped[Optional[str]] = mapped_column(String(32))
    occupation: Mapped[Optional[str]] = mapped_column(String(120))

    dispute: Mapped[Dispute] = relationship(back_populates="parties")

    @validates("id_number", "phone")
    def _index(self, key: str, value: Optional[str]) -> Optional[str]:
        """Keeps the blind index in step with the value (set on registration, on rotation)."""
        setattr(self, f"{key}_index", blind_index(key, value))
        return value


def blind_index(kind: str, value: Optional[str]) -> Optional[str]:
    """The keyed blind index of an ID number (`id_number`) or phone (`phone`), under the active key."""
    from mediation.models import crypto

    normalised = normalised_for_index(kind, value)
    return None if normalised is None else crypto.current().blind_index(normalised, kind)


def normalised_for_index(kind: str, value: Optional[str]) -> Optional[str]:
    """The form a value is indexed under: upper-case letters and digits only (the services normalise
    first: intake stores `+86 138-0013-8000` as `13800138000`, a search does the same to what it is
    asked, common/personal.py), so `0571-88886666` and `(0571) 88886666` index alike."""
    if value is None:
        return None
    normal = _NOT_INDEXED.sub("", value.upper())
    return normal or None


_NOT_INDEXED = re.compile(r"[^0-9A-Z]")


class Assignment(Base):
    """A mediator on a case (指派); ended by reassignment, escalation or conclusion."""

    __tablename__ = "assignment"
    __table_args__ = (Index("ix_assignment_mediator_open", "mediator_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    lead: Mapped[bool] = mapped_column(default=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    dispute: Mapped[Dispute] = relationship(back_populates="assignments")
    mediator: Mapped[User] = relationship(lazy="joined")


class MediationSession(Base):
    """调解记录: one sitting of the mediation."""

    __tablename__ = "mediation_session"
    __table_args__ = (CheckConstraint(enum_check("mode", SESSION_MODES), name="mode"),
                      CheckConstraint(enum_check("kind", SESSION_KINDS), name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="mediation", server_default="mediation")
    location: Mapped[str] = mapped_column(String(255), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Agreement(Base):
    """调解协议. Written agreements may be judicially confirmed (司法确认, law art. 33)."""

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint(enum_check("form", AGREEMENT_FORMS), name="form"),
        CheckConstraint(enum_check("confirmation", CONFIRMATION_STATES), name="confirmation"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    form: Mapped[str] = mapped_column(String(8))
    terms: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Money)
    performance_due: Mapped[Optional[date]] = mapped_column(Date)
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmation: Mapped[str] = mapped_column(String(16), default="none")
    confirmation_court: Mapped[Optional[str]] = mapped_column(String(120))
    confirmation_requested_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    confirmation_decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class FollowUp(Base):
    """回访: a visit after the agreement to see whether it is being performed."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint(enum_check("performance", PERFORMANCE), name="performance"),
        CheckConstraint(enum_check("method", FOLLOW_UP_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    performance: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))


class PreventionRecord(Base):
    """What a mediation prevented, in cases and people (防止民转刑 …)."""

    __tablename__ = "prevention_record"
    __table_args__ = (
        CheckConstraint(enum_check("kind", PREVENTION_KINDS), name="kind"),
        CheckConstraint("people >= 1", name="people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    people: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    # a mistaken record is withdrawn (its `record_prevention` correction event nets it out of the
    # figures), never edited or deleted
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    withdrawal_reason: Mapped[Optional[str]] = mapped_column(Text)
