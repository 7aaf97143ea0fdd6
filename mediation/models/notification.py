"""Notifications: one row per recipient and channel, deduplicated by a unique key."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, enum_check, utcnow
from mediation.models.enums import CHANNELS, DELIVERY_STATUSES, NOTIFICATION_KINDS


class Notification(Base):
    """`dedupe_key` makes creation idempotent: a second scan or a concurrent one inserts nothing.

    `recipient_id` is a user; a weekly report to an added subscription address has only `address`.
    """

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(enum_check("kind", NOTIFICATION_KINDS), name="kind"),
        CheckConstraint(enum_check("channel", CHANNELS), name="channel"),
        CheckConstraint(enum_check("status", DELIVERY_STATUSES), name="status"),
        Index("ix_notification_recipient_created", "recipient_id", "created_at"),
        Index("ix_notification_channel_status", "channel", "status"),
        Index("ix_notification_channel_sent_at", "channel", "sent_at"),  # the last delivery (/healthz)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    address: Mapped[Optional[str]] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    dispute_id: Mapped[Optional[int]] = mapped_column(ForeignKey("dispute.id"), index=True)
    deadline_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deadline.id"))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class PreparedMessage(Base):
    """An e-mail rendered when it was queued, sent later as it is (docs/reminders.md).

    `mime` is the whole message (subject, bodies, inline images, attachments) without its
    recipient; every notification that names it in `payload["prepared_id"]` sends it to its own
    address. `key` says what it is (`weekly:<org>:<week>:<locale>`), so it is rendered once.
    """

    __tablename__ = "prepared_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    mime: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
