"""The `effects.Store` of a dispute loaded in a transaction: child rows are ORM objects added to
the dispute's collections, look-ups go to the database (disputes/effects.py says why)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select

from mediation.disputes.policy import effective_policy
from mediation.extensions import db
from mediation.models import Agreement, Assignment, Committee, Deadline, Dispute, FollowUp, User


class OrmStore:
    def users(self, usernames: list[str]) -> dict[str, User]:
        if not usernames:
            return {}
        return {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}

    def committee(self, code: str) -> Optional[Committee]:
        return db.session.scalar(select(Committee).where(Committee.code == code))

    def policy_of(self, committee: Committee) -> dict[str, Any]:
        return effective_policy(committee.org)

    def add_deadline(self, record: Dispute, kind: str, due_at: datetime, at: datetime) -> Deadline:
        deadline = Deadline(kind=kind, due_at=due_at, status="open")
        record.deadlines.append(deadline)
        return deadline

    def add_assignment(self, record: Dispute, mediator: User, lead: bool, at: datetime) -> Assignment:
        assignment = Assignment(mediator=mediator, lead=lead, assigned_at=at)
        record.assignments.append(assignment)
        return assignment

    def add_agreement(self, record: Dispute, form: str, terms: str, amount: Any, performance_due: Optional[date],
                      at: datetime) -> Agreement:
        agreement = Agreement(form=form, terms=terms, amount=amount, performance_due=performance_due, agreed_at=at,
                              confirmation="none")
        record.agreements.append(agreement)
        return agreement

    def add_follow_up(self, record: Dispute, performance: str, method: str, notes: str, at: datetime,
                      actor: Optional[User]) -> FollowUp:
        follow_up = FollowUp(performance=performance, method=method, notes=notes, visited_at=at,
                             recorded_by_id=actor.id if actor else None)
        record.follow_ups.append(follow_up)
        return follow_up


STORE = OrmStore()
