"""People who use the system, their hashed API tokens and web sessions, and the audit of administration."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_check, utcnow
from mediation.models.committee import Committee
from mediation.models.enums import ROLES
from mediation.models.org import OrgUnit


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(enum_check("role", ROLES), name="role"),
        # `ADMIN` cannot exist beside `admin` (usernames are ASCII: lower() agrees on every database)
        Index("uq_user_account_username_lower", func.lower("username"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[Optional[str]] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    committee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("committee.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # set by a reset: every call but changing the password is refused until the user has changed it
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    password_changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Optional[OrgUnit]] = relationship(lazy="joined")
    committee: Mapped[Optional[Committee]] = relationship(lazy="joined")

    # Flask-Login's protocol, kept here so the web layer needs no wrapper class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """One sign-in on the web: the signed cookie carries a random key, only its SHA-256 is stored.
    Over when signed out or revoked, idle too long, or past its absolute end."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    address: Mapped[Optional[str]] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined")


class AuditEntry(Base):
    """A change an administrator or supervisor made to users, orgs, committees, policies or
    subscriptions: who, when, what kind, which target, the values before and after (never a
    password or its hash). Written in the same transaction as the change."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_kind_at", "kind", "at"), Index("ix_audit_entry_actor_at", "actor_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))  # None: the command line
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    before: Mapped[Optional[dict]] = mapped_column(JSON(none_as_null=True))
    after: Mapped[Optional[dict]] = mapped_column(JSON(none_as_null=True))

    actor: Mapped[Optional[User]] = relationship(lazy="joined")
