"""Orgs, deadline policies, committees and users through the API."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from mediation.extensions import db
from tests.api.conftest import error_of, snapshot
from tests.factories import PASSWORD, party_list, uniq


# -- orgs ------------------------------------------------------------------------------------------
def test_admin_creates_orgs(world, as_user):
    api = as_user(world.admin)
    code = uniq("VX")
    r = api.post("/orgs", {"code": code, "name": "新村", "level": "village", "parent": world.t2.code})
    assert r.status_code == 201
    assert r.get_json() == {"code": code, "name": "新村", "level": "village", "parent": world.t2.code}
    top = uniq("PR")
    assert api.post("/orgs", {"code": top, "name": "某省", "level": "province", "parent": None}).get_json() == {
        "code": top, "name": "某省", "level": "province", "parent": None}
    listed = api.get("/orgs?per_page=200").get_json()["items"]
    assert {"code": code, "name": "新村", "level": "village", "parent": world.t2.code} in listed


@pytest.mark.parametrize("over,status,code,field", [
    ({"level": "township"}, 422, "validation_error", "level"),      # a village's child? no: t2's child is a village
    ({"parent": "NOWHERE"}, 422, "validation_error", "parent"),
    ({"level": "hamlet"}, 422, "validation_error", "level"),
    ({"code": ""}, 422, "validation_error", "code"),
    ({"code": "DUP"}, 409, "conflict", None),
])
def test_org_refusals(world, as_user, over, status, code, field):
    api = as_user(world.admin)
    body = {"code": uniq("VX"), "name": "新村", "level": "village", "parent": world.t2.code}
    if over.get("code") == "DUP":
        over = {"code": world.v3.code}
    before = snapshot()
    error = error_of(api.post("/orgs", {**body, **over}), status, code)
    if field:
        assert field in error["details"]["fields"], error
    assert snapshot() == before


def test_orgs_list_in_scope(world, as_user):
    codes = {o["code"] for o in as_user(world.s_t1).get("/orgs?per_page=200").get_json()["items"]}
    assert codes == {world.t1.code, world.v1.code, world.v2.code}
    codes = {o["code"] for o in as_user(world.m3).get("/orgs").get_json()["items"]}
    assert codes == {world.v3.code}
    page = as_user(world.s_co).get(f"/orgs?level=village&parent={world.t1.code}").get_json()
    assert {o["code"] for o in page["items"]} == {world.v1.code, world.v2.code} and page["total"] == 2


# -- policy ----------------------------------------------------------------------------------------
def test_policy_inherited_and_own(world, as_user):
    r = as_user(world.s_co).put(f"/orgs/{world.county.code}/policy", {"acceptance_days": 5, "day_count": "calendar"})
    assert r.status_code == 200, r.get_json()
    p = as_user(world.m1).get(f"/orgs/{world.v1.code}/policy").get_json()
    assert p["org"] == world.v1.code and p["acceptance_days"] == 5 and p["mediation_days"] == 30
    assert p["source"]["acceptance_days"] == world.county.code and p["source"]["mediation_days"] is None
    assert p["own"]["acceptance_days"] is None and p["remind_before_days"] == [3, 1]
    own = as_user(world.s_t1).put(f"/orgs/{world.v1.code}/policy", {**p, "acceptance_days": 2}).get_json()
    assert own["acceptance_days"] == 2 and own["own"]["acceptance_days"] == 2
    # applies to deadlines created afterwards
    d = as_user(world.m1).post("/disputes", {"committee": world.cv1.code, "dispute_type": "other", "source": "walk_in",
                                             "summary": "x", "parties": party_list()}).get_json()
    due = datetime.fromisoformat(d["deadlines"][0]["due_at"]) - datetime.fromisoformat(d["received_at"])
    assert due == timedelta(days=2)
    cleared = as_user(world.admin).put(f"/orgs/{world.v1.code}/policy", {"acceptance_days": None}).get_json()
    assert cleared["acceptance_days"] == 5 and cleared["own"]["acceptance_days"] is None


def test_a_policy_value_set_back_to_inherited_keeps_the_reminders_going(world, as_user):
    """`PUT …/policy {"remind_before_days": null}` stores absence, not a JSON null the scan trips over."""
    from mediation.models import Notification, OrgPolicy
    from mediation.notifications import reminders
    from tests.live import open_deadline, registered, rows

    admin = as_user(world.admin)
    assert admin.put(f"/orgs/{world.county.code}/policy", {"remind_before_days": [2], "follow_up_days": 10}).status_code == 200
    cleared = admin.put(f"/orgs/{world.county.code}/policy", {"remind_before_days": None}).get_json()
    assert cleared["remind_before_days"] == [3, 1] and cleared["own"]["remind_before_days"] is None
    stored = db.session.execute(select(OrgPolicy.remind_before_days).where(OrgPolicy.org_id == world.county.id)
                                .where(OrgPolicy.remind_before_days.is_(None))).all()
    assert len(stored) == 1  # SQL NULL: inherited
    d = registered(world)
    due = open_deadline(d, "acceptance").due_at
    result = reminders.scan(due - timedelta(hours=20))
    assert result.created["due_soon"] > 0
    assert {n.payload["threshold_days"] for n in rows(dispute_id=d.id) if n.kind == "due_soon"} == {1}
    assert db.session.scalar(select(func.count()).select_from(Notification)) >= result.total


@pytest.mark.parametrize("body,field", [({"acceptance_days": 0}, "acceptance_days"),
                                        ({"day_count": "lunar"}, "day_count"),
                                        ({"remind_before_days": []}, "remind_before_days"),
                                        ({"mediation_days": "30"}, "mediation_days"),
                                        ({"max_extensions": -1}, "max_extensions"),
                                        ({"grace_days": 3}, "grace_days")])
def test_policy_refusals(world, as_user, body, field):
    api = as_user(world.s_t1)
    before = snapshot()
    error = error_of(api.put(f"/orgs/{world.v1.code}/policy", body), 422, "validation_error")
    assert field in error["details"]["fields"]
    assert snapshot() == before


# -- committees ------------------------------------------------------------------------------------
def test_committees(world, as_user):
    code = uniq("C")
    r = as_user(world.s_t1).post("/committees", {"code": code, "name": "二村调委会", "org": world.v2.code,
                                                 "kind": "professional", "specialties": ["labour", "medical"]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"code": code, "name": "二村调委会", "org": world.v2.code, "kind": "professional",
                            "specialties": ["labour", "medical"], "active": True}
    listed = as_user(world.s_t1).get(f"/committees?org={world.v2.code}").get_json()
    assert {c["code"] for c in listed["items"]} == {code, world.cv2.code}
    everything = {c["code"] for c in as_user(world.s_t1).get("/committees?per_page=200").get_json()["items"]}
    assert everything == {code, world.cv1.code, world.cv2.code, world.ct1.code}
    error_of(as_user(world.s_t1).get(f"/committees?org={world.v3.code}"), 404, "not_found")


@pytest.mark.parametrize("over,status,code,field", [
    ({"kind": "club"}, 422, "validation_error", "kind"),
    ({"specialties": ["gossip"]}, 422, "validation_error", "specialties.0"),
    ({"specialties": "labour"}, 422, "validation_error", "specialties"),
    ({"org": "NOWHERE"}, 422, "validation_error", "org"),
    ({"code": "DUP"}, 409, "conflict", None),
])
def test_committee_refusals(world, as_user, over, status, code, field):
    api = as_user(world.admin)
    body = {"code": uniq("C"), "name": "x", "org": world.v1.code, "kind": "people", "specialties": []}
    if over.get("code") == "DUP":
        over = {"code": world.cv1.code}
    before = snapshot()
    error = error_of(api.post("/committees", {**body, **over}), status, code)
    if field:
        assert field in error["details"]["fields"], error
    assert snapshot() == before


# -- users -----------------------------------------------------------------------------------------
def test_users(world, as_user):
    name = uniq("med")
    r = as_user(world.s_t1).post("/users", {"username": name, "password": PASSWORD, "display_name": "新调解员",
                                            "email": f"{name}@example.org", "role": "mediator", "org": None,
                                            "committee": world.cv2.code})
    assert r.status_code == 201, r.get_json()
    user = r.get_json()
    assert "password" not in user and PASSWORD not in r.get_data(as_text=True)
    assert (user["role"], user["org"], user["committee"]) == ("mediator", world.v2.code, world.cv2.code)
    assert as_user(None).post("/auth/token", {"username": name, "password": PASSWORD}).status_code == 200
    listed = as_user(world.s_t1).get(f"/users?role=mediator&org={world.v2.code}").get_json()
    assert [u["username"] for u in listed["items"]] == sorted([name, world.m2.username])
    all_t1 = {u["username"] for u in as_user(world.s_t1).get("/users?per_page=200").get_json()["items"]}
    assert world.m3.username not in all_t1 and world.s_t1.username in all_t1


@pytest.mark.parametrize("over,status,code,field", [
    ({"role": "mediator", "committee": None}, 422, "validation_error", "committee"),
    ({"role": "supervisor", "org": None}, 422, "validation_error", "org"),
    ({"role": "admin"}, 422, "validation_error", "role"),           # a supervisor may not create admins
    ({"role": "janitor"}, 422, "validation_error", "role"),
    ({"password": "short"}, 422, "validation_error", "password"),
    ({"email": "not-an-email"}, 422, "validation_error", "email"),
    ({"username": "has space"}, 422, "validation_error", "username"),
    ({"org": "V3"}, 422, "validation_error", "org"),                  # outside the supervisor's scope
    ({"username": "DUP"}, 409, "conflict", None),
])
def test_user_refusals(world, as_user, over, status, code, field):
    api = as_user(world.s_t1)
    body = {"username": uniq("u"), "password": PASSWORD, "display_name": "x", "email": "x@example.org",
            "role": "supervisor", "org": world.v1.code, "committee": None}
    over = dict(over)
    if over.get("username") == "DUP":
        over["username"] = world.m1.username
    if over.get("org") == "V3":
        over["org"] = world.v3.code
    before = snapshot()
    error = error_of(api.post("/users", {**body, **over}), status, code)
    if field:
        assert field in error["details"]["fields"], error
    assert PASSWORD not in str(error)
    assert snapshot() == before


def test_policy_validated_as_a_whole_through_the_api(world, as_user):
    admin = as_user(world.admin)
    before = snapshot()
    error = error_of(admin.put(f"/orgs/{world.v1.code}/policy", {"remind_before_days": [40, 1]}), 422,
                     "validation_error")
    assert "remind_before_days" in error["details"]["fields"]
    assert snapshot() == before
    body = admin.put(f"/orgs/{world.v1.code}/policy", {"max_backdate_days": 30, "max_prevention_people": 120})
    assert body.status_code == 200, body.get_json()
    got = body.get_json()
    assert got["max_backdate_days"] == 30 and got["own"]["max_prevention_people"] == 120
    assert got["source"]["max_backdate_days"] == world.v1.code
    cleared = admin.put(f"/orgs/{world.v1.code}/policy", {"max_backdate_days": None}).get_json()
    assert cleared["max_backdate_days"] == 7 and cleared["source"]["max_backdate_days"] is None
