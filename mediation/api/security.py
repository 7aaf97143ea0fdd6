"""Bearer authentication: every API view needs a live token unless its blueprint marks it public."""
from __future__ import annotations

from typing import Optional

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from mediation.common.errors import PasswordChangeRequired, Unauthorized
from mediation.models import User
from mediation.orgs import users


def current_actor() -> User:
    """The user whose bearer token this request presented."""
    return g.actor


def bearer_token() -> Optional[str]:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate_request() -> None:
    """Runs before every API view: a live bearer token, or 401."""
    g.pop("actor", None)  # nobody yet (a test's app context outlives its requests)
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_public", False) or request.method == "OPTIONS":
        return
    token = bearer_token()
    if token is None:
        raise Unauthorized(_l("a bearer token is required (Authorization: Bearer <token>)"))
    user = users.user_for_token(token)
    if user is None:
        raise Unauthorized(_l("unknown, expired or revoked token"))
    g.actor = user
    if user.must_change_password and not getattr(view, "_before_password_change", False):
        raise PasswordChangeRequired("your password was reset: change it first "
                                     "(POST /api/v1/users/{username}/password with current_password)",
                                     username=user.username)


def allowed_before_password_change(func):
    """Marks a view a user whose password was reset may still call (changing it, signing out)."""
    func._before_password_change = True
    return func
