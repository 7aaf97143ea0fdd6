"""Searches for a person by personal data (who looked for whom, when): there is no dispute to hang
them on, so they are kept here; reveals and downloads are access records in a dispute's trail."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_check
from mediation.models.user import User

ACCESS_ACTIONS = ("search",)


class AccessLog(Base):
    """One access to personal data outside a dispute's trail; `query` is masked, never the value."""

    __tablename__ = "access_log"
    __table_args__ = (CheckConstraint(enum_check("action", ACCESS_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(String(120))
    results: Mapped[int] = mapped_column(Integer, default=0)

    actor: Mapped[Optional[User]] = relationship(lazy="joined")
