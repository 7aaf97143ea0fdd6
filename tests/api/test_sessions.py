"""Web sessions kept on the server (issue 9): signing out, deactivation and password changes end
them; idle timeout and absolute lifetime; a replayed cookie after sign-out is refused, tried with a
real HTTP client against a real server."""
from __future__ import annotations

import http.client
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from mediation.common.clock import now
from mediation.models import WebSession
from mediation.orgs import users
from tests import factories
from tests.api.test_web import new_request_globals, sign_in
from tests.factories import PASSWORD

NEW = "Quiet-river-stone-7"


def _cookie_of(response: http.client.HTTPResponse) -> str:
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    assert cookies, response.getheaders()
    return cookies[-1]


@pytest.mark.committed
def test_a_cookie_replayed_after_sign_out_is_refused(app, db):
    """Black box: a real server on loopback, a plain HTTP client, the cookie copied by hand."""
    world = factories.make_world()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port

    def call(method: str, path: str, cookie: str | None = None, body: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    try:
        r = call("POST", "/login", body=f"username={world.m1.username}&password={PASSWORD}")
        assert r.status == 302, r.status
        cookie = _cookie_of(r)
        assert call("GET", "/", cookie).status == 200
        out = call("POST", "/logout", cookie)
        assert out.status == 302
        replay = call("GET", "/", cookie)  # the very cookie that worked a moment ago
        assert replay.status == 302 and replay.getheader("Location").startswith("/login")
        # and a second sign-in is a new session: the first one stays dead
        again = _cookie_of(call("POST", "/login", body=f"username={world.m1.username}&password={PASSWORD}"))
        assert again != cookie and call("GET", "/", again).status == 200
        assert call("GET", "/", cookie).status == 302
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def _signed_in(client, user) -> WebSession:
    assert sign_in(client, user.username).status_code == 302
    new_request_globals()
    assert client.get("/").status_code == 200
    new_request_globals()
    from mediation.extensions import db

    return db.session.scalars(select(WebSession).where(WebSession.user_id == user.id)
                              .order_by(WebSession.id.desc())).first()


def _set(db, row: WebSession, **values) -> None:
    db.session.execute(update(WebSession).where(WebSession.id == row.id).values(**values))
    db.session.flush()
    db.session.expire_all()


def test_sessions_are_stored_hashed_with_their_lifetime(world, client, db):
    row = _signed_in(client, world.m1)
    assert len(row.key_hash) == 64 and row.revoked_at is None
    assert row.expires_at - row.created_at == timedelta(hours=12)
    with client.session_transaction() as cookie:
        assert cookie["sid"] and cookie["sid"] != row.key_hash


def test_idle_timeout(world, client, db, app, monkeypatch):
    row = _signed_in(client, world.m1)
    _set(db, row, last_seen_at=now() - timedelta(minutes=31))
    assert client.get("/").status_code == 302
    new_request_globals()
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 45)  # configurable
    assert client.get("/").status_code == 200


def test_use_keeps_a_session_alive_until_its_absolute_end(world, client, db):
    row = _signed_in(client, world.m1)
    _set(db, row, last_seen_at=now() - timedelta(minutes=20))
    assert client.get("/").status_code == 200
    new_request_globals()
    assert db.session.get(WebSession, row.id).last_seen_at > now() - timedelta(minutes=1)  # restarted
    _set(db, row, expires_at=now() - timedelta(seconds=1))
    assert client.get("/").status_code == 302  # busy or not, the lifetime is over


def test_a_password_change_ends_the_other_sessions(world, client, db, as_user):
    _signed_in(client, world.m1)
    api = as_user(world.m1)
    r = api.post(f"/users/{world.m1.username}/password", {"password": NEW, "current_password": PASSWORD})
    assert r.status_code == 200
    assert client.get("/").status_code == 302


def test_a_reset_user_must_change_the_password_on_the_web(world, client, db):
    users.set_password(world.m2.username, NEW, world.admin)
    r = sign_in(client, world.m2.username, NEW, next_url="/")
    assert r.status_code == 302 and r.headers["Location"] == "/password"
    new_request_globals()
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/password"
    new_request_globals()
    page = client.get("/password")
    assert page.status_code == 200 and b'name="current_password"' in page.data
    new_request_globals()
    r = client.post("/password", data={"current_password": NEW, "password": "Another-long-pass-1",
                                       "confirm": "Another-long-pass-2"})
    assert r.status_code == 422 and "与新密码不一致" in r.get_data(as_text=True)  # "does not match the new password"
    new_request_globals()
    r = client.post("/password", data={"current_password": NEW, "password": "12345678", "confirm": "12345678"})
    assert r.status_code == 422 and "至少 10 个字符" in r.get_data(as_text=True)  # "at least 10 characters"
    new_request_globals()
    r = client.post("/password", data={"current_password": NEW, "password": "Another-long-pass-1",
                                       "confirm": "Another-long-pass-1"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    new_request_globals()
    assert client.get("/").status_code == 200  # the change opened a new session; the old ones are over
    live = db.session.scalars(select(WebSession).where(WebSession.user_id == world.m2.id,
                                                       WebSession.revoked_at.is_(None))).all()
    assert len(live) == 1
