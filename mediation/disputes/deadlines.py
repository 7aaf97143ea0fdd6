"""Deadlines: opened, met, moved and cancelled as the workflow moves (DESIGN.md, Deadlines)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from mediation.common import access
from mediation.common.clock import local_date, local_midnight
from mediation.common.clock import now as clock_now
from mediation.common.paging import paginate
from mediation.disputes.policy import CONFIRMATION_DAYS
from mediation.disputes.workdays import WorkingCalendar, add_days
from mediation.models import Deadline, Dispute, User


def open_deadlines(dispute: Dispute, kind: Optional[str] = None) -> list[Deadline]:
    return [d for d in dispute.deadlines if d.status == "open" and (kind is None or d.kind == kind)]


def open_deadline(dispute: Dispute, kind: str, start: datetime, days: int, policy: dict[str, Any],
                  calendar: Optional[WorkingCalendar] = None, day_count: Optional[str] = None) -> Deadline:
    """Adds an open deadline `days` after `start`, counted as the policy says."""
    due = add_days(start, days, day_count or policy["day_count"], calendar)
    deadline = Deadline(kind=kind, due_at=due, status="open")
    dispute.deadlines.append(deadline)
    return deadline


def open_follow_up(dispute: Dispute, agreed_at: datetime, performance_due: Optional[date], policy: dict[str, Any],
                   calendar: Optional[WorkingCalendar] = None) -> Deadline:
    """回访期限: the end of the day `performance_due + follow_up_days` (Asia/Shanghai), or, without a
    due date, `agreed_at + follow_up_days`; counted as the policy says (calendar or working days)."""
    days = policy["follow_up_days"]
    if performance_due is None:
        return open_deadline(dispute, "follow_up", agreed_at, days, policy, calendar)
    last_day = local_date(add_days(local_midnight(performance_due), days, policy["day_count"], calendar))
    deadline = Deadline(kind="follow_up", due_at=local_midnight(last_day + timedelta(days=1)), status="open")
    dispute.deadlines.append(deadline)
    return deadline


def open_confirmation_window(dispute: Dispute, agreed_at: datetime) -> Deadline:
    """Judicial confirmation: 30 calendar days from the agreement, fixed by law (art. 33)."""
    deadline = Deadline(kind="confirmation", due_at=agreed_at + timedelta(days=CONFIRMATION_DAYS), status="open")
    dispute.deadlines.append(deadline)
    return deadline


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
    # the board shows each deadline's case number: its dispute comes with the same SELECT
    query = (select(Deadline).join(Dispute, Deadline.dispute_id == Dispute.id)
             .options(contains_eager(Deadline.dispute)).where(access.disputes_clause(actor)))
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


