"""The failed-login limits, shared by the API's token door and the web's sign-in form (one rule,
one place; docs/security.md, "Login limits").

- Per username (case-folded), LOGIN_FAILURES_PER_USERNAME (5/minute): the 6th failure within a
  moving minute is refused with 429 and `Retry-After` (≤ 60 s), the right password included; once
  the window has moved on, the right password works again. Successful logins never count.
- Per client address, LOGIN_FAILURES_PER_ADDRESS (30/minute), counting only failures that name no
  active user: a guessing run over made-up names from one address is stopped, while a whole office
  behind one NAT or proxy (PROXY_COUNT gives the real address behind a reverse proxy) can mistype
  its own passwords without shutting out colleagues.

Flask-Limiter checks before the view and counts after it (`deduct_when`), in the broker's Redis
shared by every worker.
"""
from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from mediation.models import User
from mediation.orgs import users

UNKNOWN_FLAG = "mediation.login_unknown_username"


def per_username() -> str:
    return current_app.config["LOGIN_FAILURES_PER_USERNAME"]


def per_address() -> str:
    return current_app.config["LOGIN_FAILURES_PER_ADDRESS"]


def username_key(name: object) -> str:
    return "login-user:" + (name.strip().casefold() if isinstance(name, str) and name.strip() else "-")


def address_key() -> str:
    return "login-address:" + (get_remote_address() or "-")


def failed(response) -> bool:
    """Only refused credentials count towards the per-username limit."""
    return response.status_code == 401


def failed_unknown(response) -> bool:
    """Only refused credentials naming no active user count towards the per-address limit."""
    return response.status_code == 401 and bool(request.environ.get(UNKNOWN_FLAG))


def authenticate(username: object, password: object) -> User:
    """users.authenticate, noting for the per-address limit when the username named nobody."""
    try:
        return users.authenticate(username, password)
    except users.UnknownLogin:
        request.environ[UNKNOWN_FLAG] = True
        raise
