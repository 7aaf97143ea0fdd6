"""People's mediation committees (人民调解委员会), including professional ones."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, enum_check
from mediation.models.enums import COMMITTEE_KINDS
from mediation.models.org import OrgUnit


class Committee(Base):
    __tablename__ = "committee"
    __table_args__ = (CheckConstraint(enum_check("kind", COMMITTEE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    specialties: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    org: Mapped[OrgUnit] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Committee {self.code}>"
