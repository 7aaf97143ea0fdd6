"""What every form reads from a dispute: the committee, the parties as this caller may see them,
the mediators and recorders, the trail's reasons. Built once per download."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from mediation.common.clock import local_date
from mediation.documents import people
from mediation.extensions import db
from mediation.models import Dispute, Event, User
from mediation.models.enums import DISPUTE_TYPES


@dataclass
class Context:
    dispute: Dispute
    actor: Optional[User]
    at: datetime
    reveal: bool
    _users: dict[int, Optional[User]] = field(default_factory=dict)

    @classmethod
    def of(cls, dispute: Dispute, actor: Optional[User], at: datetime) -> Context:
        return cls(dispute, actor, at, people.may_reveal(actor, dispute))

    @property
    def committee_name(self) -> str:
        return self.dispute.committee.name

    @property
    def type_name(self) -> str:
        return DISPUTE_TYPES.get(self.dispute.dispute_type, self.dispute.dispute_type)

    def particulars(self) -> list[people.Particulars]:
        on = local_date(self.dispute.received_at)
        return [people.particulars(p, on, self.reveal) for p in self.dispute.parties]

    def party_rows(self) -> list[list[str]]:
        """Two rows per party, the Ministry's grid: role, name, sex, age / ID number, contact, address."""
        rows: list[list[str]] = []
        for p in self.particulars():
            if p.kind == "organization":
                rows.append([p.role, p.name, "类别", "法人或其他组织", "联系方式", p.phone])
                rows.append(["统一信用代码", p.id_number, "住所", p.address])
            else:
                rows.append([p.role, p.name, "性别", p.sex, "年龄", p.age])
                rows.append(["民族", p.ethnicity, "职业或职务", p.occupation, "联系方式", p.phone])
                rows.append(["身份证号码", p.id_number, "单位或住址", p.address])
        return rows

    def names(self, role: str) -> str:
        return "、".join(p.name for p in self.dispute.parties if p.role == role)

    def user(self, user_id: Optional[int]) -> Optional[User]:
        if user_id is None:
            return None
        if user_id not in self._users:
            self._users[user_id] = db.session.get(User, user_id)
        return self._users[user_id]

    def display(self, user: Optional[User]) -> str:
        return (user.display_name or user.username) if user is not None else ""

    def mediators(self) -> list[User]:
        """The mediators who handled it, lead first (ended assignments count: the case is concluded)."""
        seen: dict[int, tuple[bool, User]] = {}
        for a in self.dispute.assignments:
            if a.dispute_id == self.dispute.id and a.mediator_id not in seen:
                seen[a.mediator_id] = (a.lead, a.mediator)
        return [u for lead, u in sorted(seen.values(), key=lambda v: not v[0])]

    def mediator_names(self) -> str:
        return "、".join(self.display(u) for u in self.mediators())

    def recorder_name(self) -> str:
        sessions = self.dispute.sessions
        recorder = self.user(sessions[-1].recorded_by_id) if sessions else None
        return self.display(recorder) or self.mediator_names()

    def registrar_name(self) -> str:
        return self.display(self.user(self.dispute.created_by_id))

    def place(self) -> str:
        located = [s.location for s in self.dispute.sessions if s.location]
        return located[-1] if located else self.committee_name

    def issues(self) -> str:
        return (f"当事人之间因{self.type_name}纠纷发生争议。经人民调解员查明事实、分清责任，"
                "各方当事人对各自应承担的责任达成一致，具体见协议内容。")

    def event(self, trigger: str) -> Optional[Event]:
        """The latest event of this trigger on the dispute's trail."""
        return db.session.scalars(select(Event).where(Event.dispute_id == self.dispute.id, Event.trigger == trigger)
                                  .order_by(Event.occurred_at.desc(), Event.id.desc()).limit(1)).first()
