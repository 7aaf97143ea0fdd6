"""POST/DELETE /auth/token, bearer authentication, and the failed-login limits (API.md, Conventions)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mediation.models import ApiToken
from tests.api.conftest import error_of, snapshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("fresh_limits")


def login(as_user, username, password=PASSWORD, **kwargs):
    return as_user(None).post("/auth/token", {"username": username, "password": password}, **kwargs)


def test_token_is_issued_and_works(world, as_user):
    r = login(as_user, world.m1.username)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert set(body) == {"token", "expires_at"}
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == timedelta(hours=8)  # shown in Asia/Shanghai with its offset
    assert expires - datetime.now(UTC) >= timedelta(hours=8)
    api = as_user(None)
    api.token = body["token"]
    assert api.get("/orgs").status_code == 200


def test_token_is_stored_hashed(world, as_user, db):
    token = login(as_user, world.m1.username).get_json()["token"]
    hashes = list(db.session.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == world.m1.id)))
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes


@pytest.mark.parametrize("username,password", [("m1", "wrong-password"), ("nobody-here", PASSWORD)])
def test_wrong_credentials_are_401_and_change_nothing(world, as_user, username, password):
    name = world.users[username].username if username in world.users else username
    before = snapshot()
    error_of(login(as_user, name, password), 401, "unauthorized")
    assert snapshot() == before


def test_inactive_user_cannot_log_in(world, as_user, db):
    world.m1.active = False
    db.session.flush()
    error_of(login(as_user, world.m1.username), 401, "unauthorized")


@pytest.mark.parametrize("body,field", [({"username": "x"}, "password"), ({"password": "x"}, "username"),
                                        ({"username": 5, "password": "x"}, "username")])
def test_token_request_validation(as_user, body, field):
    error = error_of(as_user(None).post("/auth/token", body), 422, "validation_error")
    assert field in error["details"]["fields"]


def test_revoke_presented_token(world, as_user):
    api = as_user(world.s_t1)
    other = as_user(world.s_t1)
    assert api.delete("/auth/token").status_code == 204
    error_of(api.get("/orgs"), 401, "unauthorized")
    error_of(api.delete("/auth/token"), 401, "unauthorized")
    assert other.get("/orgs").status_code == 200  # only the presented token is revoked


def test_expired_token_is_refused(world, as_user, db):
    api = as_user(world.m1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(api.token.encode())
                                                   .hexdigest()))
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.flush()
    error_of(api.get("/orgs"), 401, "unauthorized")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Token x"])
def test_requests_without_a_live_bearer_token_are_401(world, client, header):
    headers = {"Authorization": header} if header is not None else {}
    r = client.get("/api/v1/disputes", headers=headers)
    error = error_of(r, 401, "unauthorized")
    assert error["message"]
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_sixth_failed_attempt_for_a_username_is_429(world, as_user):
    name = world.m1.username
    for _ in range(5):
        error_of(login(as_user, name, "wrong-password"), 401)
    r = login(as_user, name, "wrong-password")
    error_of(r, 429, "too_many_attempts")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # the right password is refused too while the username is locked, and nothing is issued
    before = snapshot()
    error_of(login(as_user, name), 429, "too_many_attempts")
    error_of(login(as_user, name.upper(), "wrong-password"), 429)  # the same name in other case
    assert snapshot() == before
    # another username is not affected
    assert login(as_user, world.m2.username).status_code == 200


def test_successful_logins_are_never_limited(world, as_user):
    for _ in range(12):
        assert login(as_user, world.m1.username).status_code == 200
    for _ in range(4):
        error_of(login(as_user, world.m1.username, "wrong-password"), 401)
    assert login(as_user, world.m1.username).status_code == 200  # 4 failures: still below the limit


def test_bad_input_does_not_count_as_a_failed_attempt(world, as_user):
    for _ in range(8):
        error_of(as_user(None).post("/auth/token", {"username": world.m1.username}), 422)
    assert login(as_user, world.m1.username).status_code == 200


def test_failures_per_address_are_limited(world, as_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3/minute")
    for i in range(3):
        error_of(login(as_user, f"ghost{i}", "wrong-password"), 401)
    error_of(login(as_user, "ghost-new", "wrong-password"), 429, "too_many_attempts")
    other = login(as_user, world.m1.username, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_web_sign_in_failures_count_towards_the_same_limit(world, client, as_user):
    for _ in range(5):
        assert client.post("/login", data={"username": world.m1.username, "password": "wrong"}).status_code == 401
    error_of(login(as_user, world.m1.username), 429, "too_many_attempts")


def _run_app(code: str, env_config: dict) -> dict:
    """Runs `code` in a fresh interpreter with an app built from `env_config`; returns its JSON output."""
    script = textwrap.dedent("""
        import json, sys
        from mediation import create_app
        app = create_app(json.loads(sys.argv[1]))
        client = app.test_client()
        out = {}
    """) + textwrap.dedent(code) + "\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", script, json.dumps(env_config)], capture_output=True, text=True,
                          timeout=120, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_count_is_shared_between_processes(as_user, app, tmp_path):
    """Workers are separate processes: failures counted by one refuse the next attempt in another."""
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis")
    for _ in range(5):
        error_of(login(as_user, "shared-ghost", "wrong-password"), 401)
    out = _run_app("""
        r = client.post("/api/v1/auth/token", json={"username": "shared-ghost", "password": "x"})
        out["status"], out["retry"] = r.status_code, r.headers.get("Retry-After")
    """, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}", "SECRET_KEY": "x",
          "CELERY_BROKER_URL": app.config["CELERY_BROKER_URL"]})
    assert out["status"] == 429 and int(out["retry"]) >= 1


def test_logins_keep_working_with_redis_down(tmp_path):
    """Redis unreachable: tokens are still issued, and failures are counted in memory meanwhile."""
    out = _run_app("""
        from flask_migrate import upgrade
        from mediation.orgs import users
        with app.app_context():
            upgrade(directory="migrations")
            users.create_user("redisdown", "S3cure-pass-word", "admin")
        post = lambda pw: client.post("/api/v1/auth/token", json={"username": "redisdown", "password": pw})
        out["ok"] = post("S3cure-pass-word").status_code
        out["failed"] = [post("wrong-password").status_code for _ in range(6)]
        out["health"] = client.get("/healthz").status_code
    """, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'down.sqlite3'}", "SECRET_KEY": "x",
          "CELERY_BROKER_URL": f"redis+socket://{tmp_path / 'no-redis-here.sock'}",
          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    assert out["ok"] == 200
    assert out["failed"] == [401] * 5 + [429]
    assert out["health"] == 200
