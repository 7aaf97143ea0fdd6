"""Org units (the four-tier mediation network) and their deadline policies."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, enum_check
from mediation.models.enums import DAY_COUNTS, ORG_LEVELS


class OrgUnit(Base):
    """省/市/县/乡镇/村: a node of the tree. `path` is the materialized path of ids
    (`/1/7/42/`), so a whole subtree is one indexed prefix match."""

    __tablename__ = "org_unit"
    __table_args__ = (
        CheckConstraint(enum_check("level", ORG_LEVELS), name="level"),
        Index("ix_org_unit_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Optional[OrgUnit]] = relationship(remote_side=[id])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this org."""
        return [int(x) for x in self.path.strip("/").split("/") if x]

    def contains(self, other: OrgUnit) -> bool:
        """True when `other` is this org or lies in its subtree."""
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.level}>"


class OrgPolicy(Base):
    """An org's own deadline policy values; None means inherited from the parent (docs/deadlines.md)."""

    __tablename__ = "org_policy"
    __table_args__ = (CheckConstraint("day_count IS NULL OR " + enum_check("day_count", DAY_COUNTS), name="day_count"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    acceptance_days: Mapped[Optional[int]]
    mediation_days: Mapped[Optional[int]]
    max_extension_days: Mapped[Optional[int]]
    max_extensions: Mapped[Optional[int]]
    follow_up_days: Mapped[Optional[int]]
    remind_before_days: Mapped[Optional[list]] = mapped_column(JSON(none_as_null=True))  # None → SQL NULL
    supervisor_after_days: Mapped[Optional[int]]
    day_count: Mapped[Optional[str]] = mapped_column(String(16))
    max_backdate_days: Mapped[Optional[int]]
    max_prevention_people: Mapped[Optional[int]]
