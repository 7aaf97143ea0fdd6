"""Users (mediators, supervisors, administrators): /users. Passwords are never echoed."""
from __future__ import annotations

from marshmallow import fields

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import Instant, PageArgs, Redacted, Schema, one_of, page_of
from mediation.api.security import allowed_before_password_change, current_actor
from mediation.models.enums import ROLES
from mediation.orgs import users
from mediation.orgs.schemas import PasswordIn, UserIn

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
    must_change_password = fields.Boolean(required=True, metadata={
        "description": "true after a reset: the user must change the password before anything else"})
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



@blp.route("/<username>/deactivate", methods=["POST"])
@blp.response(200, UserOut)
@blp.errors(401, 403, 404)
def deactivate_user(username: str):
    """Deactivates a user: no sign-in, and their tokens and web sessions stop working at once.

    Administrators (anyone but themselves), or supervisors for mediators in their scope (never an
    administrator or another supervisor: 403). A user outside the caller's scope: 404.
    """
    return users.deactivate_user(username, current_actor())


@blp.route("/<username>/reactivate", methods=["POST"])
@blp.response(200, UserOut)
@blp.errors(401, 403, 404)
def reactivate_user(username: str):
    """Lets a deactivated user sign in again (same rules as deactivation)."""
    return users.reactivate_user(username, current_actor())


@blp.route("/<username>/password", methods=["POST"])
@blp.arguments(PasswordIn)
@blp.response(200, UserOut)
@blp.errors(400, 401, 403, 404, 413, 422)
@allowed_before_password_change
def set_password(body: dict, username: str):
    """Changes your own password (give `current_password`), or resets another's.

    A reset (administrators; supervisors for mediators in scope) makes the user change the password
    at the next sign-in: until then every other call answers 403 `password_change_required`. Either
    way all the user's tokens and web sessions end (the caller's own too, for an own change: sign
    in again). Passwords: at least 10 characters, not the username, not a common password (422).
    """
    return users.set_password(username, body["password"], current_actor(), body.get("current_password"))
