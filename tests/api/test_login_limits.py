"""The failed-login limits (docs/security.md, "Login limits"): the per-username limit delays but
never locks out the right password for good; the per-address limit counts only usernames that
name nobody, so an office behind one address is not shut out; PROXY_COUNT gives real addresses."""
from __future__ import annotations

import time

import pytest

from tests.api.conftest import error_of
from tests.api.test_auth import _run_app, login

pytestmark = pytest.mark.usefixtures("fresh_limits")


def test_the_right_password_works_again_once_retry_after_has_passed(world, as_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_USERNAME", "5 per 2 seconds")
    name = world.m1.username
    for _ in range(5):
        error_of(login(as_user, name, "wrong-password"), 401)
    r = login(as_user, name)
    error_of(r, 429, "too_many_attempts")
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait + 0.2)
    assert login(as_user, name).status_code == 200


def test_the_default_delay_is_at_most_a_minute(world, as_user):
    for _ in range(5):
        error_of(login(as_user, world.m2.username, "wrong-password"), 401)
    r = login(as_user, world.m2.username)
    error_of(r, 429)
    assert 1 <= int(r.headers["Retry-After"]) <= 60


def test_an_office_behind_one_address_mistyping_its_passwords_is_not_shut_out(world, as_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3/minute")
    staff = [world.m1, world.m1b, world.m2, world.m3, world.mt1, world.s_t1, world.s_co, world.admin]
    for user in staff:  # eight colleagues, one address, each mistypes twice: 16 failures
        error_of(login(as_user, user.username, "wrong-password"), 401)
        error_of(login(as_user, user.username.upper(), "wrong-password"), 401)
    for user in staff:
        assert login(as_user, user.username).status_code == 200
    # while made-up names from that address are counted: the 4th is refused
    for i in range(3):
        error_of(login(as_user, f"nobody-{i}", "wrong-password"), 401)
    error_of(login(as_user, "nobody-3", "wrong-password"), 429, "too_many_attempts")


def test_web_form_counts_the_same_way(world, client, as_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "2/minute")
    for user in (world.m1, world.m2, world.m3):
        assert client.post("/login", data={"username": user.username, "password": "wrong"}).status_code == 401
    assert login(as_user, world.m1.username).status_code == 200
    for i in range(2):
        assert client.post("/login", data={"username": f"ghost{i}", "password": "wrong"}).status_code == 401
    assert client.post("/login", data={"username": "ghost9", "password": "wrong"}).status_code == 429


@pytest.mark.parametrize("proxies,second_client", [(1, 401), (0, 429)])
def test_proxy_count_gives_the_real_client_address(tmp_path, proxies, second_client):
    """Behind one proxy (PROXY_COUNT=1) each client is counted by its own address; without the
    setting X-Forwarded-For is ignored (a client cannot pick its address by sending the header)."""
    out = _run_app("""
        from flask_migrate import upgrade
        with app.app_context():
            upgrade(directory="migrations")
        post = lambda who, name: client.post("/api/v1/auth/token", json={"username": name, "password": "x"},
                                             headers={"X-Forwarded-For": who}).status_code
        out["first"] = [post("203.0.113.5", f"ghost{i}") for i in range(3)]
        out["second"] = post("203.0.113.6", "ghost9")
    """, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.sqlite3'}", "SECRET_KEY": "x",
          "CELERY_BROKER_URL": f"redis+socket://{tmp_path / 'no-redis.sock'}", "RATELIMIT_STORAGE_URI": "memory://",
          "PROXY_COUNT": proxies, "LOGIN_FAILURES_PER_ADDRESS": "2/minute"})
    assert out["first"] == [401, 401, 429]
    assert out["second"] == second_client
