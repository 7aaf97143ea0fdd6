"""Papers attached to a dispute (scanned IDs, evidence, receipts): the row; the content is stored
encrypted outside the database (mediation/documents/attachments.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, enum_check, utcnow

ATTACHMENT_CATEGORIES = ("identification", "power_of_attorney", "evidence", "performance_receipt",
                         "confirmation", "other")
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "application/pdf")


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(enum_check("category", ATTACHMENT_CATEGORIES), name="category"),
        CheckConstraint(enum_check("content_type", ATTACHMENT_TYPES), name="content_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
