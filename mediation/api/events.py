"""Entries of the trail across disputes: /events/backdated (supervisors, within their scope)."""
from __future__ import annotations

from mediation.api.blueprint import Blueprint
from mediation.api.dispute_schemas import BackdatedArgs, BackdatedOut
from mediation.api.schemas import page_of
from mediation.api.security import current_actor
from mediation.disputes import trail

blp = Blueprint("events", __name__, url_prefix="/events", description="The trail across disputes")


@blp.route("/backdated", methods=["GET"])
@blp.arguments(BackdatedArgs, location="query")
@blp.response(200, page_of(BackdatedOut, "BackdatedPage"))
@blp.errors(401, 403, 404, 422)
def list_backdated(args: dict):
    """Transitions and records dated further back than the policy's `max_backdate_days`, flagged with
    their `backdate_reason`, in the caller's scope (administrators and supervisors), newest entry first."""
    return trail.list_backdated(current_actor(), org=args.get("org"), date_from=args.get("date_from"),
                                date_to=args.get("date_to"), page=args["page"], per_page=args["per_page"])
