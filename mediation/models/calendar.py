"""Working-day calendar years loaded by an administrator (beyond what the package knows)."""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base


class CalendarDay(Base):
    """A day of a loaded year: whether it is a working day, and the holiday's name if any.

    A year is known when any of its days is stored; a loaded year overrides the package.
    """

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[Optional[str]] = mapped_column(String(64))
