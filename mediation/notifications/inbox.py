"""A user's own notifications (通知): the inbox the API lists, and marking one read."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from mediation.common.clock import now as clock_now
from mediation.common.errors import NotFound
from mediation.common.paging import paginate
from mediation.infra.database import unit_of_work
from mediation.models import Notification, User


def list_notifications(actor: User, page: int = 1, per_page: int = 50, unread: bool = False) -> dict[str, Any]:
    """The caller's notifications (every channel), newest first, paginated in the database."""
    query = select(Notification).where(Notification.recipient_id == actor.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return paginate(query.order_by(Notification.created_at.desc(), Notification.id.desc()), page, per_page)


def mark_read(notification_id: int, actor: User, at: Optional[datetime] = None) -> Notification:
    """Marks one of the caller's notifications read (again: keeps the first time); others' → NotFound."""
    with unit_of_work() as session:
        row = session.scalar(select(Notification).where(Notification.id == notification_id,
                                                        Notification.recipient_id == actor.id))
        if row is None:
            raise NotFound("no such notification")
        if row.read_at is None:
            row.read_at = at or clock_now()
    return row



def unread_count(actor: User) -> int:
    """How many of the caller's in-app notifications are unread (the header's badge)."""
    from sqlalchemy import func

    from mediation.extensions import db

    return int(db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == actor.id, Notification.channel == "in_app",
        Notification.read_at.is_(None))) or 0)
