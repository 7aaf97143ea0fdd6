"""Per-request state of the tests' session-wide app context (cleared around every test by
tests/conftest.py's `fresh_request_state`, and between requests inside a test with this helper)."""
from __future__ import annotations

from flask import g, has_app_context

REQUEST_STATE = ("_login_user", "csrf_token", "csrf_valid", "csrf_expired", "_flask_babel", "actor", "request_id")


def clear_request_state() -> None:
    """Forgets what Flask-Login, Flask-WTF and Flask-Babel kept in `g` for the previous request."""
    if not has_app_context():
        return
    for key in REQUEST_STATE:
        g.pop(key, None)
