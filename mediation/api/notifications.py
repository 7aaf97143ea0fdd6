"""The caller's notifications (通知): /notifications, /notifications/{id}/read."""
from __future__ import annotations

from marshmallow import fields

from mediation.api.blueprint import ID, Blueprint
from mediation.api.schemas import Instant, PageArgs, Schema, page_of
from mediation.api.security import current_actor
from mediation.models.enums import NOTIFICATION_KINDS
from mediation.notifications import inbox

blp = Blueprint("notifications", __name__, url_prefix="/notifications", description="The caller's notifications")


class NotificationOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(NOTIFICATION_KINDS)})
    dispute_id = fields.Integer(required=True, allow_none=True)
    deadline_id = fields.Integer(required=True, allow_none=True)
    channel = fields.String(required=True, metadata={"enum": ["in_app", "email"]})
    created_at = Instant(required=True)
    sent_at = Instant(required=True, allow_none=True)
    read_at = Instant(required=True, allow_none=True)


class NotificationArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "only those not yet read"})


@blp.route("", methods=["GET"])
@blp.arguments(NotificationArgs, location="query")
@blp.response(200, page_of(NotificationOut, "NotificationPage"))
@blp.errors(401, 422)
def list_notifications(args: dict):
    """The caller's notifications, newest first: one row per channel (in_app, email)."""
    return inbox.list_notifications(current_actor(), page=args["page"], per_page=args["per_page"],
                                    unread=args["unread"])


@blp.route(f"/<{ID}:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationOut)
@blp.errors(401, 404)
def mark_read(notification_id: int):
    """Marks one of the caller's notifications read."""
    return inbox.mark_read(notification_id, current_actor())
