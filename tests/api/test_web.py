"""Web sign-in (Flask-Login + Flask-WTF): the same users as the API, a landing page behind login."""
from __future__ import annotations

import re

from flask import g

from tests.factories import PASSWORD, make_dispute


def new_request_globals() -> None:
    """The session-wide app context of the tests outlives requests, and with it `g`, where Flask-Login
    and Flask-WTF keep per-request state; in the running app every request starts afresh."""
    for key in ("_login_user", "csrf_token"):
        g.pop(key, None)


def sign_in(client, username, password=PASSWORD, next_url=None):
    path = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"username": username, "password": password})


def test_landing_page_needs_a_session(world, client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200 and b'name="password"' in page.data


def test_sign_in_lists_own_disputes_and_sign_out(world, client):
    own = make_dispute(world.cv1)
    other = make_dispute(world.cv3)
    r = sign_in(client, world.m1.username, next_url="/")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert own.case_number in page and other.case_number not in page
    assert world.m1.display_name in page
    assert client.get("/logout").status_code == 405  # signing out is a POST (with the CSRF token)
    r = client.post("/logout")
    assert r.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_foreign_next(world, client):
    r = sign_in(client, world.m1.username, "wrong-password")
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)  # Chinese by default
    assert client.get("/").status_code == 302
    r = sign_in(client, world.m1.username, next_url="//evil.example.org/")
    assert r.status_code == 302 and r.headers["Location"] == "/"  # never to another site


def test_inactive_user_is_signed_out(world, client, db):
    assert sign_in(client, world.m2.username).status_code == 302
    new_request_globals()
    assert client.get("/").status_code == 200
    world.m2.active = False
    db.session.flush()
    new_request_globals()
    assert client.get("/").status_code == 302


def test_forms_need_the_csrf_token(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    r = sign_in(client, world.m1.username)
    assert r.status_code == 400  # no token: refused before any check of the password
    new_request_globals()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": world.m1.username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    # the API is not affected: bearer tokens, no cookies
    r = client.post("/api/v1/auth/token", json={"username": world.m1.username, "password": PASSWORD})
    assert r.status_code == 200
