"""Deadlines: opened, met, moved and cancelled as the workflow moves (docs/deadlines.md)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select

from mediation.common import access
from mediation.common.clock import now as clock_now
from mediation.common.paging import paginate
from mediation.models import Deadline, Dispute, User


def open_deadlines(dispute: Dispute, kind: Optional[str] = None) -> list[Deadline]:
    return [d for d in dispute.deadlines if d.status == "open" and (kind is None or d.kind == kind)]


def meet(dispute: Dispute, kind: str, at: datetime) -> Optional[Deadline]:
    """Marks the open deadline of `kind` met at `at`; returns it (None when there was none)."""
    found = None
    for deadline in open_deadlines(dispute, kind):
        deadline.status, deadline.met_at = "met", at
        found = deadline
    return found


def cancel(dispute: Dispute, at: datetime, kind: Optional[str] = None) -> None:
    """Cancels the open deadlines (of `kind`, or all)."""
    for deadline in open_deadlines(dispute, kind):
        deadline.status, deadline.cancelled_at = "cancelled", at


def overdue_days(due_at: datetime, at: datetime) -> int:
    """Whole days past due (0 when not yet due)."""
    if at <= due_at:
        return 0
    late = at - due_at
    return late.days + (1 if late - timedelta(days=late.days) else 0)


def list_deadlines(actor: Optional[User], status: Optional[str] = None, org: Optional[str] = None,
                   committee: Optional[str] = None, kind: Optional[str] = None, page: int = 1, per_page: int = 50,
                   at: Optional[datetime] = None) -> dict[str, Any]:
    """Deadlines in scope, earliest first. `status`: open, due_soon (open and due within the first
    reminder window of the default policy), overdue (open and past due; confirmation windows lapse
    rather than go overdue), met, cancelled."""
    from mediation.disputes.policy import DEFAULTS
    from mediation.orgs.tree import get_committee, get_org

    at = at or clock_now()
    query = (select(Deadline).join(Dispute, Deadline.dispute_id == Dispute.id)
             .where(access.disputes_clause(actor)))
    if status in (None, "", "open"):
        query = query.where(Deadline.status == "open")
    elif status == "due_soon":
        window = max(DEFAULTS["remind_before_days"])
        query = query.where(Deadline.status == "open", Deadline.due_at > at,
                            Deadline.due_at <= at + timedelta(days=window))
    elif status == "overdue":
        query = query.where(Deadline.status == "open", Deadline.due_at <= at, Deadline.kind != "confirmation")
    else:
        query = query.where(Deadline.status == status)
    if org:
        query = query.where(Dispute.committee_id.in_(access.committees_in(get_org(org, actor))))
    if committee:
        query = query.where(Dispute.committee_id == get_committee(committee, actor).id)
    if kind:
        query = query.where(Deadline.kind == kind)
    return paginate(query.order_by(Deadline.due_at, Deadline.id), page, per_page)


