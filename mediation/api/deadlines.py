"""Deadlines (期限) in the caller's scope: /deadlines."""
from __future__ import annotations

from marshmallow import fields

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import Instant, PageArgs, Schema, one_of, page_of
from mediation.api.security import current_actor
from mediation.common.clock import now
from mediation.disputes import deadlines
from mediation.models import Deadline
from mediation.models.enums import DEADLINE_KINDS

blp = Blueprint("deadlines", __name__, url_prefix="/deadlines", description="Deadlines in scope")


def _overdue_days(deadline: Deadline) -> int:
    """Whole days past due for an open deadline (confirmation windows lapse, never overdue)."""
    if deadline.status != "open" or deadline.kind == "confirmation":
        return 0
    return deadlines.overdue_days(deadline.due_at, now())


class DeadlineOut(Schema):
    id = fields.Integer(required=True)
    dispute_id = fields.Integer(required=True)
    case_number = fields.Function(lambda d: d.dispute.case_number, required=True, metadata={"type": "string"})
    kind = fields.String(required=True)
    due_at = Instant(required=True)
    status = fields.String(required=True)
    overdue_days = fields.Function(_overdue_days, required=True, metadata={"type": "integer"})


class DeadlineArgs(PageArgs):
    status = one_of(("open", "due_soon", "overdue", "met", "cancelled"), metadata={
        "description": "open (default); due_soon: open and due within the first reminder window; overdue"})
    org = fields.String(metadata={"description": "org code; includes its subtree"})
    committee = fields.String(metadata={"description": "committee code"})
    kind = one_of(DEADLINE_KINDS)


@blp.route("", methods=["GET"])
@blp.arguments(DeadlineArgs, location="query")
@blp.response(200, page_of(DeadlineOut, "DeadlinePage"))
@blp.errors(401, 404, 422)
def list_deadlines(args: dict):
    """Deadlines of the disputes in the caller's scope, earliest first."""
    return deadlines.list_deadlines(current_actor(), **args)
