"""Notifications: who hears of what, created idempotently, delivered after commit."""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mediation.database import after_commit, unit_of_work
from mediation.extensions import db
from mediation.models import Dispute, Notification, User
from mediation.services.clock import now as clock_now


def supervisors_above(dispute: Dispute) -> list[User]:
    """Active supervisors of the handling org and its ancestors."""
    ids = dispute.committee.org.ancestor_ids
    return list(db.session.scalars(select(User).where(User.role == "supervisor", User.active.is_(True),
                                                      User.org_id.in_(ids)).order_by(User.id)))


def create_notifications(rows: Iterable[dict]) -> list[int]:
    """Inserts notification rows, skipping any whose dedupe key exists; returns the new ids."""
    rows = list(rows)
    if not rows:
        return []
    session = db.session
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created: list[int] = []
    now = clock_now()
    for row in rows:
        values = {"status": "pending", "attempts": 0, "payload": {}, "created_at": now, **row}
        if values["channel"] == "in_app":
            values["status"], values["sent_at"] = "sent", now
        new_id = session.execute(insert(Notification).values(**values)
                                 .on_conflict_do_nothing(index_elements=["dedupe_key"])
                                 .returning(Notification.id)).scalar()
        if new_id is not None:
            created.append(new_id)
    return created


def channels_for(user: User) -> list[str]:
    return ["in_app", "email"] if user.email else ["in_app"]


def queue_email(notification_ids: list[int]) -> None:
    """After commit, asks the workers to deliver these email notifications."""
    if not notification_ids:
        return
    from mediation.tasks_seam import send_task

    after_commit(lambda: send_task("mediation.deliver_notifications", list(notification_ids), queue="email"))


def raise_risk_alert(dispute_id: int, at: Optional[object] = None) -> list[int]:
    """A dispute raised to red: the supervisors of the handling org and its ancestors hear at once."""
    with unit_of_work() as session:
        dispute = session.get(Dispute, dispute_id)
        rows = []
        for user in supervisors_above(dispute):
            for channel in channels_for(user):
                rows.append({"recipient_id": user.id, "address": user.email if channel == "email" else None,
                             "kind": "risk_alert", "channel": channel, "dispute_id": dispute.id,
                             "dedupe_key": f"risk_alert:{dispute.id}:v{dispute.version}:{user.id}:{channel}",
                             "payload": {"case_number": dispute.case_number}})
        created = create_notifications(rows)
        emails = list(session.scalars(select(Notification.id).where(Notification.id.in_(created),
                                                                    Notification.channel == "email")))
        queue_email(emails)
    return created
