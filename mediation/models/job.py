"""One row per run of a periodic job (the reminder scan, the weekly reports): when it started and
finished, what it did, and why it failed. `/healthz`, `doctor` and the failure alerts read them."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, enum_check, utcnow
from mediation.models.enums import JOBS


class JobRun(Base):
    """A run in progress has no `finished_at`; a failed one has `error`; a successful one neither
    lacks `finished_at` nor has `error`."""

    __tablename__ = "job_run"
    __table_args__ = (
        CheckConstraint(enum_check("job", JOBS), name="job"),
        Index("ix_job_run_job_started_at", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[Optional[str]] = mapped_column(Text)

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and self.error is None
