"""People's mediation committees (人民调解委员会): /committees."""
from __future__ import annotations

from marshmallow import fields

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import PageArgs, Redacted, Schema, page_of
from mediation.api.security import current_actor
from mediation.orgs import tree
from mediation.orgs.schemas import CommitteeIn

blp = Blueprint("committees", __name__, url_prefix="/committees", description="Mediation committees (调委会)")


class CommitteeOut(Schema):
    code = fields.String(required=True)
    name = Redacted(required=True)
    org = fields.Function(lambda c: c.org.code, required=True, metadata={"type": "string"})
    kind = fields.String(required=True)
    specialties = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)


class CommitteeListArgs(PageArgs):
    org = fields.String(metadata={"description": "only committees of this org and its subtree"})


@blp.route("", methods=["POST"])
@blp.arguments(CommitteeIn)
@blp.response(201, CommitteeOut)
@blp.errors(400, 401, 403, 409, 413, 422)
def create_committee(body: dict):
    """Adds a committee (admin, or a supervisor within scope)."""
    return tree.create_committee(body["code"], body["name"], body["org"], body["kind"], body["specialties"],
                                 actor=current_actor())


@blp.route("", methods=["GET"])
@blp.arguments(CommitteeListArgs, location="query")
@blp.response(200, page_of(CommitteeOut, "CommitteePage"))
@blp.errors(401, 404, 422)
def list_committees(args: dict):
    """Lists the committees in the caller's scope (`org`: that org's subtree)."""
    return tree.list_committees(current_actor(), org=args.get("org"), page=args["page"], per_page=args["per_page"])
