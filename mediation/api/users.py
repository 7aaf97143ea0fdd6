"""Users (mediators, supervisors, administrators): /users. Passwords are never echoed."""
from __future__ import annotations

from marshmallow import fields

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import Instant, PageArgs, Redacted, Schema, one_of, page_of
from mediation.api.security import current_actor
from mediation.models.enums import ROLES
from mediation.orgs import users
from mediation.orgs.schemas import UserIn

blp = Blueprint("users", __name__, url_prefix="/users", description="Users and their roles")


class UserOut(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = Redacted(required=True)
    email = fields.String(required=True, allow_none=True)
    role = fields.String(required=True)
    org = fields.Function(lambda u: u.org.code if u.org else None, required=True, allow_none=True,
                          metadata={"type": "string"})
    committee = fields.Function(lambda u: u.committee.code if u.committee else None, required=True, allow_none=True,
                                metadata={"type": "string"})
    active = fields.Boolean(required=True)
    created_at = Instant(required=True)


class UserListArgs(PageArgs):
    role = one_of(ROLES)
    org = fields.String(metadata={"description": "only users of this org and its subtree"})


@blp.route("", methods=["POST"])
@blp.arguments(UserIn)
@blp.response(201, UserOut)
@blp.errors(400, 401, 403, 409, 413, 422)
def create_user(body: dict):
    """Adds a user (admin, or a supervisor within scope). A mediator needs a committee."""
    return users.create_user(body["username"], body["password"], body["role"], display_name=body["display_name"],
                             email=body["email"], org=body["org"], committee=body["committee"],
                             actor=current_actor())


@blp.route("", methods=["GET"])
@blp.arguments(UserListArgs, location="query")
@blp.response(200, page_of(UserOut, "UserPage"))
@blp.errors(401, 403, 404, 422)
def list_users(args: dict):
    """Lists the users in the caller's scope (admin or supervisor)."""
    return users.list_users(current_actor(), role=args.get("role"), org=args.get("org"), page=args["page"],
                            per_page=args["per_page"])
