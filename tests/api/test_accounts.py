"""Accounts (issue 9): password policy, usernames regardless of case, deactivation, resets and
changes, the audit of administration, and conflicts that reveal nothing outside the caller's scope."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from demo.seed import DEMO_PASSWORD
from mediation.models import ApiToken, AuditEntry, User
from mediation.orgs import users
from tests.api.conftest import error_of, snapshot
from tests.api.test_web import new_request_globals
from tests.factories import PASSWORD, uniq

pytestmark = pytest.mark.usefixtures("fresh_limits")
NEW = "Quiet-river-stone-7"


def login(as_user, username, password=PASSWORD):
    return as_user(None).post("/auth/token", {"username": username, "password": password})


def token_of(as_user, username, password=PASSWORD) -> str:
    r = login(as_user, username, password)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


def new_user_body(world, password, username=None):
    return {"username": username or uniq("pw"), "password": password, "role": "mediator",
            "committee": world.cv1.code}


@pytest.mark.parametrize("password,message", [
    ("12345678", "at least 10 characters"),
    (" " * 12, "only spaces"),
    ("aaaaaaaaaaaa", "one character repeated"),
    ("password123", "most common passwords"),
    ("1234567890", "most common passwords"),
    ("Qwertyuiop", "most common passwords"),
])
def test_weak_passwords_are_refused_with_a_clear_message(world, as_user, password, message):
    api = as_user(world.admin)
    before = snapshot()
    error = error_of(api.post("/users", new_user_body(world, password)), 422, "validation_error")
    assert any(message in text for text in error["details"]["fields"]["password"]), error
    assert snapshot() == before


def test_the_username_is_not_a_password_in_any_case(world, as_user):
    name = uniq("Harbour")
    for password in (name.upper() + "xx", name.lower() + "-2026"):
        error = error_of(as_user(world.admin).post("/users", new_user_body(world, password, name)), 422)
        assert "must not be or contain the username" in error["details"]["fields"]["password"]


@pytest.mark.parametrize("password", [PASSWORD, DEMO_PASSWORD, NEW])
def test_good_passwords_pass(world, as_user, password):
    assert as_user(world.admin).post("/users", new_user_body(world, password)).status_code == 201


def test_usernames_are_unique_regardless_of_case_and_login_ignores_case(world, as_user):
    body = new_user_body(world, PASSWORD, world.m1.username.upper())
    error = error_of(as_user(world.admin).post("/users", body), 409, "conflict")
    assert world.m1.username not in error["message"] and world.m1.username.upper() not in error["message"]
    assert login(as_user, world.m1.username.upper()).status_code == 200


def test_a_taken_name_out_of_scope_answers_like_one_in_scope(world, as_user):
    """A supervisor of t1 learns nothing about t2's users or committees from a conflict."""
    api = as_user(world.s_t1)
    inside = api.post("/users", new_user_body(world, PASSWORD, world.m1.username))   # v1, in scope
    outside = api.post("/users", new_user_body(world, PASSWORD, world.m3.username))  # v3, outside
    assert inside.status_code == outside.status_code == 409
    assert inside.get_json() == outside.get_json()
    committee = {"name": "x", "org": world.v1.code, "kind": "people", "specialties": []}
    inside = api.post("/committees", {**committee, "code": world.cv1.code})
    outside = api.post("/committees", {**committee, "code": world.cv3.code})
    assert inside.status_code == outside.status_code == 409
    assert inside.get_json() == outside.get_json()
    assert world.cv3.code not in outside.get_data(as_text=True)


def test_deactivation_ends_tokens_and_sign_in_and_reactivation_allows_it_again(world, as_user, client):
    token = token_of(as_user, world.m1.username)
    client.post("/login", data={"username": world.m1.username, "password": PASSWORD})
    new_request_globals()
    assert client.get("/").status_code == 200
    r = as_user(world.s_t1).post(f"/users/{world.m1.username.upper()}/deactivate")
    assert r.status_code == 200 and r.get_json()["active"] is False
    stale = as_user(None)
    stale.token = token
    error_of(stale.get("/orgs"), 401, "unauthorized")
    new_request_globals()
    assert client.get("/").status_code == 302  # the web session ended too
    error_of(login(as_user, world.m1.username), 401, "unauthorized")
    assert as_user(world.s_t1).post(f"/users/{world.m1.username}/reactivate").get_json()["active"] is True
    error_of(stale.get("/orgs"), 401)  # revoked tokens stay revoked
    assert login(as_user, world.m1.username).status_code == 200


@pytest.mark.parametrize("actor,target,status", [
    ("s_t1", "s_t1", 403),     # never oneself
    ("s_co", "s_t1", 403),     # never another supervisor
    ("s_city", "admin", 404),  # an administrator without an org is outside every supervisor's scope
    ("s_t1", "m3", 404),       # outside the scope
    ("m1", "m1b", 403),        # a mediator manages nobody
    ("admin", "admin", 403),   # an administrator cannot lock themselves out
])
def test_who_may_deactivate_whom(world, as_user, actor, target, status):
    api = as_user(world.users[actor])
    before = snapshot()
    error_of(api.post(f"/users/{world.users[target].username}/deactivate"), status)
    error_of(api.post(f"/users/{world.users[target].username}/password", {"password": NEW}),
             status if actor != target else 422)
    assert snapshot() == before


def test_a_supervisor_never_acts_over_an_administrator_of_their_scope(world, as_user, db):
    org_admin = users.create_user(uniq("oadm"), PASSWORD, "admin", org=world.t1.code)
    error_of(as_user(world.s_t1).post(f"/users/{org_admin.username}/deactivate"), 403, "forbidden")
    assert as_user(world.admin).post(f"/users/{org_admin.username}/deactivate").status_code == 200


def test_a_reset_forces_a_change_before_anything_else(world, as_user):
    old = token_of(as_user, world.m1.username)
    r = as_user(world.s_t1).post(f"/users/{world.m1.username}/password", {"password": NEW})
    assert r.status_code == 200 and r.get_json()["must_change_password"] is True
    stale = as_user(None)
    stale.token = old
    error_of(stale.get("/orgs"), 401)  # the reset revoked every token
    error_of(login(as_user, world.m1.username), 401)  # the old password is gone
    api = as_user(None)
    api.token = token_of(as_user, world.m1.username, NEW)
    error = error_of(api.get("/disputes"), 403, "password_change_required")
    assert "change it" in error["message"]
    path = f"/users/{world.m1.username}/password"
    error = error_of(api.post(path, {"password": "Another-long-pass-1"}), 422)
    assert "current_password" in error["details"]["fields"]
    error = error_of(api.post(path, {"password": "Another-long-pass-1", "current_password": "wrong-one-here"}), 422)
    assert error["details"]["fields"]["current_password"] == ["is not your current password"]
    error_of(api.post(path, {"password": NEW, "current_password": NEW}), 422)  # must differ
    r = api.post(path, {"password": "Another-long-pass-1", "current_password": NEW})
    assert r.status_code == 200 and r.get_json()["must_change_password"] is False
    error_of(api.get("/disputes"), 401)  # an own change ends this token too: sign in again
    api.token = token_of(as_user, world.m1.username, "Another-long-pass-1")
    assert api.get("/disputes").status_code == 200
    assert api.delete("/auth/token").status_code == 204


def test_own_change_needs_the_current_password_and_changes_nothing_when_wrong(world, as_user, db):
    api = as_user(world.m2)
    before = db.session.get(User, world.m2.id).password_hash
    error_of(api.post(f"/users/{world.m2.username}/password", {"password": NEW, "current_password": "nope-nope-1"}),
             422)
    db.session.expire_all()
    assert db.session.get(User, world.m2.id).password_hash == before
    assert api.get("/orgs").status_code == 200  # a refused change revokes nothing


def test_audit_of_administration(world, as_user, db):
    admin = as_user(world.admin)
    name = uniq("aud")
    assert admin.post("/users", new_user_body(world, PASSWORD, name)).status_code == 201
    assert as_user(world.s_t1).post(f"/users/{name}/deactivate").status_code == 200
    assert admin.post(f"/users/{name}/password", {"password": NEW}).status_code == 200
    assert as_user(world.s_t1).put(f"/orgs/{world.v1.code}/policy", {"mediation_days": 20}).status_code == 200
    sub = as_user(world.s_t1).post("/reports/subscriptions", {"org": world.t1.code, "email": "w@example.org"})
    assert as_user(world.s_t1).delete(f"/reports/subscriptions/{sub.get_json()['id']}").status_code == 204
    r = admin.get(f"/audit?actor={world.s_t1.username.upper()}&per_page=200")
    assert r.status_code == 200
    kinds = [e["kind"] for e in r.get_json()["items"]]
    assert kinds == ["subscription.remove", "subscription.add", "policy.set", "user.deactivate"]  # newest first
    entry = r.get_json()["items"][3]
    assert entry["actor"] == world.s_t1.username and entry["target"] == name
    assert entry["before"]["active"] is True and entry["after"]["active"] is False
    policy = r.get_json()["items"][2]
    assert policy["before"]["mediation_days"] is None and policy["after"]["mediation_days"] == 20
    reset = admin.get("/audit?kind=user.password_reset").get_json()["items"]
    assert [e["target"] for e in reset] == [name] and reset[0]["after"]["must_change_password"] is True
    everything = db.session.scalars(select(AuditEntry)).all()
    text = repr([(e.before, e.after) for e in everything])
    assert "password_hash" not in text and NEW not in text and PASSWORD not in text
    created = admin.get("/audit?kind=user.create&per_page=200").get_json()["items"]
    assert name in [e["target"] for e in created]
    # time filters: nothing from the future, everything from the past
    assert admin.get("/audit?from=2999-01-01").get_json()["total"] == 0
    assert admin.get("/audit?to=2000-01-01").get_json()["total"] == 0
    assert admin.get("/audit?from=2000-01-01&kind=policy.set").get_json()["total"] == 1
    error_of(admin.get("/audit?kind=nonsense"), 422)
    error_of(as_user(world.s_city).get("/audit"), 403, "forbidden")
    error_of(as_user(world.m1).get("/audit"), 403, "forbidden")


def test_a_refused_change_leaves_no_audit_entry(world, as_user, db):
    count = len(db.session.scalars(select(AuditEntry)).all())
    error_of(as_user(world.s_co).post(f"/users/{world.s_t1.username}/deactivate"), 403)
    error_of(as_user(world.admin).post("/users", new_user_body(world, "short")), 422)
    assert len(db.session.scalars(select(AuditEntry)).all()) == count


def test_deactivation_revokes_in_the_database(world, as_user, db):
    token_of(as_user, world.m2.username)
    assert as_user(world.admin).post(f"/users/{world.m2.username}/deactivate").status_code == 200
    live = db.session.scalars(select(ApiToken).where(ApiToken.user_id == world.m2.id,
                                                     ApiToken.revoked_at.is_(None))).all()
    assert live == []


@pytest.mark.parametrize("name", ["a\x00b", "ü" * 3, "x" * 65, " m1 "])
def test_impossible_usernames_are_simply_not_found(world, as_user, name):
    from urllib.parse import quote

    error_of(as_user(world.admin).post(f"/users/{quote(name)}/deactivate"), 404, "not_found")
