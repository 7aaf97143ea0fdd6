"""The audit of administration: /audit (administrators only)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import Instant, PageArgs, Schema, one_of, page_of
from mediation.api.security import current_actor
from mediation.common import audit
from mediation.orgs.schemas import USERNAME_PATTERN

blp = Blueprint("audit", __name__, url_prefix="/audit",
                description="Audit of administration (管理操作日志): changes to users, orgs, committees, policies "
                            "and subscriptions")


class AuditArgs(PageArgs):
    actor = fields.String(validate=validate.Regexp(USERNAME_PATTERN, error=_l("is not a username")),
                          metadata={"description": "username of who made the change (any case)"})
    kind = one_of(audit.KINDS)
    start = Instant(data_key="from", metadata={"description": "from this time on (ISO 8601; a date is its midnight, "
                                                              "Asia/Shanghai)"})
    end = Instant(data_key="to", metadata={"description": "before this time"})


class AuditOut(Schema):
    id = fields.Integer(required=True)
    at = Instant(required=True)
    actor = fields.Function(lambda e: e.actor.username if e.actor else None, required=True, allow_none=True,
                            metadata={"type": "string", "description": "null: the command line"})
    kind = fields.String(required=True)
    target = fields.String(required=True)
    before = fields.Dict(required=True, allow_none=True)
    after = fields.Dict(required=True, allow_none=True)


@blp.route("", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@blp.response(200, page_of(AuditOut, "AuditPage"))
@blp.errors(401, 403, 422)
def list_audit(args: dict):
    """Who changed what, newest first: values before and after, never a password or its hash."""
    return audit.list_entries(current_actor(), actor_name=args.get("actor"), kind=args.get("kind"),
                              start=args.get("start"), end=args.get("end"), page=args["page"],
                              per_page=args["per_page"])
