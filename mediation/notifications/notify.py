"""Notifications (通知): who hears of what, created idempotently, queued for delivery after commit.

A notification is one row per recipient and channel. An `in_app` row is delivered when it is
created; an `email` row stays `pending` until the SMTP server accepts it (notifications/delivery.py).
The unique `dedupe_key` makes creation idempotent: a second scan, or one running at the same
time, inserts nothing (INSERT … ON CONFLICT DO NOTHING).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mediation.common import access
from mediation.common.clock import now as clock_now
from mediation.common.paging import paginate
from mediation.extensions import db
from mediation.infra import jobs
from mediation.infra.database import after_commit, unit_of_work
from mediation.models import Dispute, Notification, OrgUnit, User

BATCH = 50  # email rows per delivery task
REQUEUE_LIMIT = 5000  # oldest pending email rows a scan queues again; the rest wait for the next scan
_COLUMNS = ("recipient_id", "address", "kind", "channel", "dispute_id", "deadline_id", "dedupe_key", "status",
            "attempts", "last_error", "payload", "created_at", "sent_at")


def supervisors_above(dispute: Dispute) -> list[User]:
    """Active supervisors of the handling org and its ancestors (the handling org's whole chain)."""
    ids = dispute.committee.org.ancestor_ids
    return list(db.session.scalars(select(User).where(User.role == "supervisor", User.active.is_(True),
                                                      User.org_id.in_(ids)).order_by(User.id)))


def insert_ignoring_duplicates(table=Notification):
    """The dialect's INSERT that can say ON CONFLICT DO NOTHING."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table)


def create_notifications(rows: Iterable[dict[str, Any]], at: Optional[datetime] = None) -> list[int]:
    """Inserts notification rows, skipping any whose dedupe key exists; returns the new ids.

    Each row needs kind, channel, dedupe_key and recipient_id or address. `in_app` rows are
    delivered (sent) when created; `email` rows start pending.
    """
    now = at or clock_now()
    values = []
    for row in rows:
        full = {"status": "pending", "attempts": 0, "payload": {}, "created_at": now, **row}
        if full["channel"] == "in_app":
            full["status"], full["sent_at"] = "sent", now
        values.append({column: full.get(column) for column in _COLUMNS})
    created: list[int] = []
    for start in range(0, len(values), 500):
        stmt = (insert_ignoring_duplicates().values(values[start:start + 500])
                .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification.id))
        created.extend(db.session.scalars(stmt))
    return sorted(created)


def channels_for(user: User) -> list[str]:
    """in_app always; email too when the user has an address."""
    return ["in_app", "email"] if user.email else ["in_app"]


def _delivery_calls(rows: list[tuple[int, str, Optional[int], Optional[str]]]) -> list[tuple]:
    """Delivery tasks for (id, kind, recipient_id, address) rows: a supervisor's overdue rows stay in
    one task, so that they go out as one digest; the others in batches of BATCH."""
    digests: dict[tuple, list[int]] = {}
    singles: list[int] = []
    for nid, kind, recipient_id, address in rows:
        if kind == "supervisor_overdue":
            digests.setdefault((recipient_id, address), []).append(nid)
        else:
            singles.append(nid)
    batches = [singles[i:i + BATCH] for i in range(0, len(singles), BATCH)]
    pending: list[int] = []
    for ids in digests.values():
        if pending and len(pending) + len(ids) > BATCH:
            batches.append(pending)
            pending = []
        pending = pending + ids
    if pending:
        batches.append(pending)
    return [(jobs.DELIVER_NOTIFICATIONS, (ids,), jobs.EMAIL_QUEUE) for ids in batches]


def _email_rows(where, limit: Optional[int] = None) -> list[tuple[int, str, Optional[int], Optional[str]]]:
    """(id, kind, recipient_id, address) of the email rows matching `where`, oldest first."""
    return [tuple(r) for r in db.session.execute(
        select(Notification.id, Notification.kind, Notification.recipient_id, Notification.address)
        .where(Notification.channel == "email", where).order_by(Notification.id).limit(limit)).all()]


def queue_email(notification_ids: list[int]) -> None:
    """After commit, asks the workers to deliver these email notifications (in_app ids are ignored)."""
    if not notification_ids:
        return
    calls = _delivery_calls(_email_rows(Notification.id.in_(list(notification_ids))))
    if calls:
        from mediation.infra.tasks_seam import send_tasks

        after_commit(lambda: send_tasks(calls))


def queue_pending_email(limit: int = REQUEUE_LIMIT) -> tuple[int, int]:
    """Queues (again) every email row not yet sent, oldest first; returns (queued, pending).

    With the broker down nothing is queued and nothing is lost: the rows stay pending.
    """
    from mediation.infra.tasks_seam import send_tasks

    rows = _email_rows(Notification.status == "pending", limit)
    calls = _delivery_calls(rows)
    sent = send_tasks(calls)
    queued = sum(len(call[1][0]) for call in calls[:sent])
    return queued, len(rows)


def raise_risk_alert(dispute_id: int, at: Optional[datetime] = None) -> list[int]:
    """风险预警: a dispute raised to red; the supervisors of the handling org and its ancestors hear
    at once (in-app, and email after commit). Joins the caller's unit of work."""
    with unit_of_work() as session:
        dispute = session.get(Dispute, dispute_id)
        rows = []
        for user in supervisors_above(dispute):
            for channel in channels_for(user):
                rows.append({"recipient_id": user.id, "address": user.email if channel == "email" else None,
                             "kind": "risk_alert", "channel": channel, "dispute_id": dispute.id,
                             "dedupe_key": f"risk_alert:{dispute.id}:v{dispute.version}:{user.id}:{channel}",
                             "payload": {"case_number": dispute.case_number, "risk_level": dispute.risk_level}})
        created = create_notifications(rows, at=at)
        queue_email(created)
    return created


def failed_notifications(actor: Optional[User], page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Email notifications that could not be delivered after the last attempt (administrators only),
    newest first, each with attempts and the last error."""
    access.require_admin(actor)
    query = select(Notification).where(Notification.status == "failed")
    if not access.is_global(actor):
        query = query.where(_failed_scope(actor))
    return paginate(query.order_by(Notification.id.desc()), page, per_page)


def _failed_scope(actor: User):
    """An administrator of an org: the notifications to people of its subtree or about its disputes."""
    people = select(User.id).join(OrgUnit, User.org_id == OrgUnit.id).where(access.subtree_clause(actor.org))
    return or_(Notification.recipient_id.in_(people),
               Notification.dispute_id.in_(select(Dispute.id).where(access.disputes_clause(actor))))


def retry_failed(actor: Optional[User], ids: Optional[list[int]] = None) -> list[int]:
    """Gives failed email notifications (all, or `ids`) a fresh start: pending again with no attempt
    counted (last_error kept), queued after commit. For administrators, once the cause is fixed."""
    access.require_admin(actor)
    with unit_of_work() as session:
        query = select(Notification).where(Notification.status == "failed", Notification.channel == "email")
        if ids is not None:
            query = query.where(Notification.id.in_(ids))
        if not access.is_global(actor):
            query = query.where(_failed_scope(actor))
        rows = list(session.scalars(query.with_for_update()))
        for row in rows:
            row.status, row.attempts = "pending", 0
        queue_email([r.id for r in rows])
    return [r.id for r in rows]
