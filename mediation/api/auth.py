"""The token resource (POST/DELETE /auth/token): bearer tokens for the API.

Failed logins are limited with Flask-Limiter: a check before the view, a hit only when the
answer was 401 (`deduct_when`), so successful logins never count. The limits are shared (by
scope name) with the web sign-in form, so neither door bypasses the other. The counters live in the
broker's Redis (shared by every gunicorn worker) and fall back to memory while it is down.
"""
from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address
from marshmallow import fields, validate

from mediation.api.blueprint import Blueprint
from mediation.api.schemas import Instant, Schema
from mediation.api.security import bearer_token
from mediation.extensions import limiter
from mediation.orgs import users

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens (登录令牌)")


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    token = fields.String(required=True)
    expires_at = Instant(required=True)


def _failed(response) -> bool:
    """Only refused credentials count towards the limits."""
    return response.status_code == 401


def _username_key() -> str:
    """The username the body names (case-folded), read without ever raising."""
    try:
        body = request.get_json(silent=True)
    except Exception:  # an oversized body: the view answers 413, the limit needs a key all the same
        body = None
    name = body.get("username") if isinstance(body, dict) else None
    return "login-user:" + (name.strip().casefold() if isinstance(name, str) else "-")


def _address_key() -> str:
    return "login-address:" + (get_remote_address() or "-")


def _per_username() -> str:
    return current_app.config["LOGIN_FAILURES_PER_USERNAME"]


def _per_address() -> str:
    return current_app.config["LOGIN_FAILURES_PER_ADDRESS"]


@blp.route("/token", methods=["POST"])
@limiter.shared_limit(_per_username, "login-username", key_func=_username_key, deduct_when=_failed)
@limiter.shared_limit(_per_address, "login-address", key_func=_address_key, deduct_when=_failed)
@blp.arguments(TokenRequest)
@blp.response(200, TokenOut)
@blp.errors(400, 401, 413, 422, 429)
@blp.public
def issue_token(body: dict):
    """Issues a bearer token for a username and password.

    After 5 failed attempts for one username within a minute, further attempts for it are
    refused with 429 and `Retry-After`; successful logins are never limited.
    """
    user = users.authenticate(body["username"], body["password"])
    token, expires_at = users.issue_token(user)
    return {"token": token, "expires_at": expires_at}


@blp.route("/token", methods=["DELETE"])
@blp.response(204)
@blp.errors(401)
def revoke_token():
    """Revokes the token this request presents (logout)."""
    users.revoke_token(bearer_token() or "")
