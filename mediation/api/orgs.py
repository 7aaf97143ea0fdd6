"""Org units (组织) and their deadline policies: /orgs, /orgs/{code}/policy."""
from __future__ import annotations

from typing import Any

from marshmallow import fields

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import PageArgs, Redacted, Schema, one_of, page_of
from mediation.api.security import current_actor
from mediation.disputes.schemas import PolicyValues
from mediation.models.enums import ORG_LEVELS
from mediation.orgs import tree
from mediation.orgs.schemas import OrgIn

blp = Blueprint("orgs", __name__, url_prefix="/orgs", description="The org tree (省 > 市 > 县 > 乡镇 > 村)")


class OrgOut(Schema):
    code = fields.String(required=True)
    name = Redacted(required=True)
    level = fields.String(required=True)
    parent = fields.Function(lambda org: org.parent.code if org.parent else None, required=True, allow_none=True,
                             metadata={"type": "string"})


class OrgListArgs(PageArgs):
    level = one_of(ORG_LEVELS)
    parent = fields.String(metadata={"description": "only the children of this org"})


class PolicyIn(PolicyValues):
    """The keys to set (docs/deadlines.md); null clears an own value so it is inherited. `org`, `own`
    and `source` (as GET returns them) are accepted and ignored."""

    org = fields.String(load_only=True, metadata={"description": "ignored"})
    own = fields.Dict(load_only=True, metadata={"description": "ignored"})
    source = fields.Dict(load_only=True, metadata={"description": "ignored"})


class PolicyOut(Schema):
    """The values in force at the org (its own, else inherited), the org's own values, and where each
    value comes from (the org code that set it; null for the default)."""

    org = fields.String(required=True)
    acceptance_days = fields.Integer(required=True)
    mediation_days = fields.Integer(required=True)
    max_extension_days = fields.Integer(required=True)
    max_extensions = fields.Integer(required=True)
    follow_up_days = fields.Integer(required=True)
    remind_before_days = fields.List(fields.Integer(), required=True)
    supervisor_after_days = fields.Integer(required=True)
    day_count = fields.String(required=True)
    max_backdate_days = fields.Integer(required=True)
    max_prevention_people = fields.Integer(required=True)
    own = fields.Nested(PolicyValues, required=True)
    source = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), required=True)


def policy_body(described: dict[str, Any]) -> dict[str, Any]:
    """describe_policy's answer as the API shows it: the values in force at the top level."""
    return {"org": described["org"], **described["effective"], "own": described["own"],
            "source": described["source"]}


@blp.route("", methods=["POST"])
@blp.arguments(OrgIn)
@blp.response(201, OrgOut)
@blp.errors(400, 401, 403, 409, 413, 422)
def create_org(body: dict):
    """Adds an org (admin). A child is exactly one level below its parent."""
    return tree.create_org(body["code"], body["name"], body["level"], body["parent"], actor=current_actor())


@blp.route("", methods=["GET"])
@blp.arguments(OrgListArgs, location="query")
@blp.response(200, page_of(OrgOut, "OrgPage"))
@blp.errors(401, 404, 422)
def list_orgs(args: dict):
    """Lists the orgs in the caller's scope (their org and its subtree)."""
    return tree.list_orgs(current_actor(), page=args["page"], per_page=args["per_page"], level=args.get("level"),
                          parent=args.get("parent"))


@blp.route("/<code>/policy", methods=["GET"])
@blp.response(200, PolicyOut)
@blp.errors(401, 404)
def get_policy(code: str):
    """The deadline policy in force at the org: own values and inherited ones."""
    return policy_body(tree.org_policy(code, current_actor()))


@blp.route("/<code>/policy", methods=["PUT"])
@blp.arguments(PolicyIn)
@blp.response(200, PolicyOut)
@blp.errors(400, 401, 403, 404, 413, 422)
def put_policy(body: dict, code: str):
    """Sets the org's own policy values (admin, or a supervisor of that org or an ancestor).

    Keys left out keep their value; null clears an own value so it is inherited again. It applies
    to deadlines created afterwards.
    """
    values = {k: v for k, v in body.items() if k in PolicyValues._declared_fields}
    return policy_body(tree.set_org_policy(code, values, current_actor()))
