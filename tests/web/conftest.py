"""The session-wide app context of the tests outlives requests, and with it `g`, where Flask-Login,
Flask-WTF and Flask-Babel keep per-request state (the signed-in user, the CSRF token, the locale):
each test here starts and ends without it, as every request of the running app does."""
from __future__ import annotations

import pytest
from flask import g

REQUEST_STATE = ("_login_user", "csrf_token", "csrf_valid", "csrf_expired", "_flask_babel")


def clear_request_state() -> None:
    for key in REQUEST_STATE:
        g.pop(key, None)


@pytest.fixture(autouse=True)
def fresh_request_state(app):
    clear_request_state()
    yield
    clear_request_state()
