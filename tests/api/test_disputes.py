"""Disputes through the API: intake, reading, editing, every trigger, sessions, preventions, events."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mediation.models import Notification
from tests.api.conftest import error_of, snapshot
from tests.factories import VALID_IDS, dispute_in, make_dispute, party_list

CASE_NO = re.compile(r"^（\d{4}）.+调字第(\d{5})号$")


def body(committee, **over):
    data = {"committee": committee.code, "dispute_type": "neighbourhood", "source": "walk_in",
            "summary": "相邻通行纠纷", "amount": "1200", "risk_level": "none", "parties": party_list(3)}
    data.update(over)
    return data


def fire(api, dispute: dict, trigger: str, status: int = 200, **payload):
    r = api.post(f"/disputes/{dispute['id']}/transitions", {"trigger": trigger, "version": dispute["version"],
                                                            **payload})
    assert r.status_code == status, (trigger, r.status_code, r.get_json())
    return r.get_json()


# -- intake --------------------------------------------------------------------------------------
def test_register_reads_as_api_md_shows(world, as_user):
    r = as_user(world.m1).post("/disputes", body(world.cv1))
    assert r.status_code == 201, r.get_json()
    d = r.get_json()
    assert CASE_NO.match(d["case_number"]) and d["committee"] == world.cv1.code and d["intake_org"] == world.v1.code
    assert d["amount"] == "1200.00" and d["state"] == "registered" and d["outcome"] is None and d["version"] == 1
    assert d["allowed_triggers"] == ["accept", "reject", "withdraw"]
    assert datetime.fromisoformat(d["received_at"]).utcoffset() == timedelta(hours=8)
    applicant, respondent, org = d["parties"]
    assert applicant["id_number"] == VALID_IDS[0][:4] + "*" * 10 + VALID_IDS[0][-4:]
    assert applicant["phone"] == "138****8000" and respondent["phone"] == "139****5678"
    assert set(applicant) == {"id", "role", "kind", "name", "id_number", "phone", "address"}
    assert org["kind"] == "organization" and org["id_number"] is None
    assert d["assignments"] == [] and d["sessions"] == [] and d["agreement"] is None and d["follow_ups"] == []
    assert [(x["kind"], x["status"], x["met_at"]) for x in d["deadlines"]] == [("acceptance", "open", None)]
    assert all(VALID_IDS[0] not in str(v) for v in d.values())


def test_register_defaults_and_back_dating(world, as_user):
    past = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    d = as_user(world.s_t1).post("/disputes", body(world.cv2, received_at=past, amount=None)).get_json()
    assert d["amount"] is None and d["committee"] == world.cv2.code
    assert datetime.fromisoformat(d["received_at"]) == datetime.fromisoformat(past)


@pytest.mark.parametrize("over,field", [
    ({"received_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "received_at"),
    ({"received_at": "yesterday"}, "received_at"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"summary": ""}, "summary"),
    ({"parties": [party_list()[0]]}, "parties"),
    ({"parties": []}, "parties"),
    ({"parties": [dict(party_list()[0], phone="12345"), party_list()[1]]}, "parties.0.phone"),
    ({"parties": [dict(party_list()[0], id_number="11010519491231002"), party_list()[1]]}, "parties.0.id_number"),
    ({"risk_level": "purple"}, "risk_level"),
    ({"source": None}, "source"),
])
def test_register_refusals_are_422_and_change_nothing(world, as_user, over, field):
    api = as_user(world.m1)
    before = snapshot()
    error = error_of(api.post("/disputes", body(world.cv1, **over)), 422, "validation_error")
    assert field in error["details"]["fields"], error
    assert snapshot() == before


@pytest.mark.parametrize("who,committee", [("m1", "cv2"), ("m1", "cv3"), ("s_t1", "cv3"), ("s_t2", "cco"),
                                           ("m1", "nonexistent")])
def test_register_into_a_committee_out_of_reach_is_422_committee(world, as_user, who, committee):
    code = world.committees[committee].code if committee in world.committees else committee
    api = as_user(world.users[who])
    before = snapshot()
    error = error_of(api.post("/disputes", dict(body(world.cv1), committee=code)), 422)
    assert "committee" in error["details"]["fields"]
    assert snapshot() == before


def test_red_risk_alerts_supervisors_at_once(world, as_user):
    d = as_user(world.m3).post("/disputes", body(world.cv3, risk_level="red")).get_json()
    for supervisor in ("s_t2", "s_co", "s_city"):
        items = as_user(world.users[supervisor]).get("/notifications").get_json()["items"]
        assert any(n["kind"] == "risk_alert" and n["dispute_id"] == d["id"] for n in items), supervisor
    assert not as_user(world.s_t1).get("/notifications").get_json()["items"]
    # raising to red by PATCH alerts again
    d2 = as_user(world.m3).post("/disputes", body(world.cv3)).get_json()
    r = as_user(world.m3).patch(f"/disputes/{d2['id']}", {"version": d2["version"], "risk_level": "red"})
    assert r.status_code == 200 and r.get_json()["risk_level"] == "red"
    items = as_user(world.s_t2).get("/notifications").get_json()["items"]
    assert any(n["kind"] == "risk_alert" and n["dispute_id"] == d2["id"] for n in items)


# -- reading -------------------------------------------------------------------------------------
def test_get_and_list_with_filters(world, as_user, db):
    a = make_dispute(world.cv1, summary="宅基地边界", dispute_type="housing_land")
    b = make_dispute(world.cv2, summary="噪音扰民", parties=[dict(party_list()[0], name="王五"), party_list()[1]])
    c = make_dispute(world.cv3, summary="噪音")
    accepted = dispute_in("accepted", world.cv2)
    late = make_dispute(world.cv1, received_at=(datetime.now(UTC) - timedelta(days=40)).isoformat())
    api = as_user(world.s_t1)
    assert api.get(f"/disputes/{a.id}").get_json()["id"] == a.id

    def ids(query=""):
        r = api.get(f"/disputes?per_page=200&{query}")
        assert r.status_code == 200, r.get_json()
        return [x["id"] for x in r.get_json()["items"]]

    assert set(ids()) == {a.id, b.id, accepted.id, late.id}  # c is outside t1
    assert ids("state=accepted") == [accepted.id]
    assert ids("dispute_type=housing_land") == [a.id]
    assert set(ids(f"committee={world.cv1.code}")) == {a.id, late.id}
    assert set(ids(f"org={world.v2.code}")) == {b.id, accepted.id}
    assert set(ids(f"org={world.t1.code}")) == {a.id, b.id, accepted.id, late.id}
    assert ids("q=王五") == [b.id]
    assert ids("q=噪音") == [b.id]
    assert ids(f"q={a.case_number}") == [a.id]
    assert ids("overdue=true") == [late.id]
    error_of(api.get(f"/disputes?org={world.t2.code}"), 404, "not_found")
    error_of(api.get(f"/disputes?committee={world.cv3.code}"), 404, "not_found")
    page = api.get("/disputes?per_page=3&page=2").get_json()
    assert page["total"] == 4 and page["page"] == 2 and page["per_page"] == 3 and len(page["items"]) == 1
    newest_first = ids()
    assert newest_first[-1] == late.id
    assert c.id in [x["id"] for x in as_user(world.s_co).get("/disputes?per_page=200").get_json()["items"]]


def test_mediator_sees_own_committee_and_assigned_disputes(world, as_user):
    own = make_dispute(world.cv1)
    other = make_dispute(world.cv2)
    api = as_user(world.m1)
    assert [x["id"] for x in api.get("/disputes").get_json()["items"]] == [own.id]
    error_of(api.get(f"/disputes/{other.id}"), 404, "not_found")
    error_of(api.get(f"/disputes/{other.id}/events"), 404, "not_found")


# -- editing ---------------------------------------------------------------------------------------
def test_patch_and_version_conflict(world, as_user):
    api = as_user(world.m1)
    d = api.post("/disputes", body(world.cv1)).get_json()
    r = api.patch(f"/disputes/{d['id']}", {"version": d["version"], "summary": "改过的", "amount": 99.5})
    assert r.status_code == 200, r.get_json()
    d2 = r.get_json()
    assert d2["summary"] == "改过的" and d2["amount"] == "99.50" and d2["version"] == d["version"] + 1
    before = snapshot(d["id"])
    error = error_of(api.patch(f"/disputes/{d['id']}", {"version": d["version"], "summary": "stale"}), 409,
                     "version_conflict")
    assert error["details"]["current"] == d2["version"]
    for bad, field in [({"version": d2["version"], "amount": "-5"}, "amount"),
                       ({"summary": "no version"}, "version"),
                       ({"version": d2["version"], "state": "closed"}, "state"),
                       ({"version": "1", "summary": "x"}, "version")]:
        error = error_of(api.patch(f"/disputes/{d['id']}", bad), 422, "validation_error")
        assert field in error["details"]["fields"], (bad, error)
    assert snapshot(d["id"]) == before


# -- the workflow ----------------------------------------------------------------------------------
def test_every_trigger_through_the_api(world, as_user):
    m1, s_co = as_user(world.m1), as_user(world.s_co)
    m1name, m1b = world.m1.username, world.m1b.username
    d = m1.post("/disputes", body(world.cv1)).get_json()
    d = fire(m1, d, "accept")
    assert d["state"] == "accepted" and any(x["kind"] == "mediation" and x["status"] == "open"
                                            for x in d["deadlines"])
    d = fire(m1, d, "assign", mediators=[m1name, m1b], lead=m1b)
    assert d["state"] == "assigned"
    assert [(a["mediator"], a["lead"], a["ended_at"]) for a in d["assignments"]] == [(m1name, False, None),
                                                                                     (m1b, True, None)]
    d = fire(m1, d, "start_mediation")
    d = fire(m1, d, "reassign", mediators=[m1name], reason="回避")
    assert [a["mediator"] for a in d["assignments"] if a["ended_at"] is None] == [m1name]
    due = next(x["due_at"] for x in d["deadlines"] if x["kind"] == "mediation" and x["status"] == "open")
    d = fire(m1, d, "extend", days=10, parties_consent=True, reason="双方同意")
    new_due = next(x["due_at"] for x in d["deadlines"] if x["kind"] == "mediation" and x["status"] == "open")
    assert datetime.fromisoformat(new_due) - datetime.fromisoformat(due) == timedelta(days=10)
    r = m1.post(f"/disputes/{d['id']}/sessions", {"mode": "in_person", "location": "村调解室", "notes": "首次"})
    assert r.status_code == 201, r.get_json()
    session = r.get_json()
    assert session["mode"] == "in_person" and session["dispute_id"] == d["id"]
    d = m1.get(f"/disputes/{d['id']}").get_json()
    assert [s["id"] for s in d["sessions"]] == [session["id"]]
    due_day = (date.today() + timedelta(days=10)).isoformat()
    d = fire(m1, d, "reach_agreement", form="written", terms="赔偿1200元", amount="1200.00", performance_due=due_day)
    assert d["state"] == "agreed" and d["agreement"] == {
        "form": "written", "terms": "赔偿1200元", "amount": "1200.00", "performance_due": due_day,
        "agreed_at": d["agreement"]["agreed_at"], "confirmation": "none", "confirmation_court": None}
    d = fire(m1, d, "request_confirmation", court="测试县人民法院")
    assert d["agreement"]["confirmation"] == "requested"
    d = fire(m1, d, "record_confirmation", result="confirmed")
    assert d["agreement"]["confirmation"] == "confirmed"
    d = fire(m1, d, "start_follow_up")
    d = fire(m1, d, "record_follow_up", performance="partial", method="phone", notes="部分履行")
    d = fire(s_co, d, "reopen", reason="未完全履行")  # a supervisor whose scope holds it may act too
    assert d["state"] == "in_mediation" and d["agreement"]["terms"] == "赔偿1200元"
    d = fire(m1, d, "reach_agreement", form="oral", terms="再赔偿200元", amount=200)
    assert d["agreement"]["amount"] == "200.00" and d["agreement"]["form"] == "oral"
    d = fire(m1, d, "start_follow_up")
    d = fire(m1, d, "record_follow_up", performance="full", method="visit", notes="已履行")
    assert [f["performance"] for f in d["follow_ups"]] == ["partial", "full"]
    d = fire(m1, d, "close")
    assert d["state"] == "closed" and d["outcome"] == "agreement" and d["allowed_triggers"] == []
    assert not [x for x in d["deadlines"] if x["status"] == "open"]
    events = m1.get(f"/disputes/{d['id']}/events").get_json()
    assert [e["trigger"] for e in events] == [
        "register", "accept", "assign", "start_mediation", "reassign", "extend", "record_session",
        "reach_agreement", "request_confirmation", "record_confirmation", "start_follow_up", "record_follow_up",
        "reopen", "reach_agreement", "start_follow_up", "record_follow_up", "close"]
    assert [e["kind"] for e in events] == ["record" if e["trigger"] in ("record_session", "record_follow_up")
                                           else "transition" for e in events]
    assert events[0]["from_state"] is None and events[-1]["to_state"] == "closed"
    assert events[12]["actor"] == world.s_co.username and events[1]["actor"] == m1name
    assert events[6]["occurred_at"] == session["held_at"] and events[6]["payload"] == {"mode": "in_person"}
    assert set(events[0]) == {"id", "trigger", "kind", "from_state", "to_state", "actor", "committee",
                              "occurred_at", "recorded_at", "backdated", "backdate_reason", "payload"}
    assert all(e["committee"] == world.cv1.code for e in events)


def test_reject_fail_withdraw_escalate(world, as_user):
    api = as_user(world.m1)
    d = api.post("/disputes", body(world.cv1)).get_json()
    d = fire(api, d, "reject", reason_code="out_of_scope", reason="不属于民间纠纷")
    assert d["state"] == "rejected" and d["outcome"] == "rejected"
    d = api.post("/disputes", body(world.cv1)).get_json()
    d = fire(api, d, "withdraw", reason="申请人撤回")
    assert (d["state"], d["outcome"]) == ("closed", "withdrawn")
    d = api.get(f"/disputes/{dispute_in('in_mediation', world.cv1).id}").get_json()
    d = fire(api, d, "fail", reason="分歧大", referral="litigation")
    assert (d["state"], d["outcome"]) == ("closed", "failed")
    d = api.get(f"/disputes/{dispute_in('assigned', world.cv1).id}").get_json()
    d = fire(api, d, "escalate", committee=world.ct1.code, reason="案情复杂")
    assert d["state"] == "accepted" and d["committee"] == world.ct1.code
    assert all(a["ended_at"] for a in d["assignments"])
    # escalated upward: the village mediator no longer sees it, the township's does
    error_of(api.get(f"/disputes/{d['id']}"), 404)
    assert as_user(world.mt1).get(f"/disputes/{d['id']}").status_code == 200


@pytest.mark.parametrize("state,trigger,payload,status,code,reason", [
    ("registered", "close", {}, 409, "invalid_transition", None),
    ("registered", "start_mediation", {}, 409, "invalid_transition", None),
    ("closed", "reopen", {"reason": "x"}, 409, "invalid_transition", None),
    ("follow_up", "close", {}, 409, "guard_failed", "no_follow_up"),
    ("in_mediation", "extend", {"days": 10, "parties_consent": False, "reason": "x"}, 409, "guard_failed",
     "no_parties_consent"),
    ("in_mediation", "extend", {"days": 90, "parties_consent": True, "reason": "x"}, 409, "guard_failed",
     "extension_too_long"),
    ("accepted", "assign", {"mediators": ["m3"]}, 409, "guard_failed", "mediator_not_in_committee"),
    ("accepted", "escalate", {"committee": "cv2", "reason": "x"}, 409, "guard_failed", "not_a_higher_committee"),
    ("agreed", "record_confirmation", {"result": "confirmed"}, 409, "guard_failed", "confirmation_not_requested"),
    ("registered", "no_such_trigger", {}, 422, "validation_error", None),
    ("registered", "reject", {"reason_code": "bored", "reason": "x"}, 422, "validation_error", None),
    ("registered", "reject", {"reason_code": "other"}, 422, "validation_error", None),
    ("in_mediation", "reach_agreement", {"form": "written", "terms": "x", "amount": "-1"}, 422, "validation_error",
     None),
    ("in_mediation", "reach_agreement", {"form": "written", "terms": "x", "amount": "1",
                                         "performance_due": "soon"}, 422, "validation_error", None),
    ("in_mediation", "fail", {"reason": "x", "referral": "court"}, 422, "validation_error", None),
    ("accepted", "accept", {"occurred_at": "2099-01-01T00:00:00+08:00"}, 409, "invalid_transition", None),
    ("registered", "accept", {"occurred_at": "2099-01-01T00:00:00+08:00"}, 422, "validation_error", None),
    ("registered", "accept", {"occurred_at": "2000-01-01T00:00:00+08:00"}, 422, "validation_error", None),
])
def test_refused_triggers_change_nothing(world, as_user, state, trigger, payload, status, code, reason):
    dispute = dispute_in(state, world.cv1)
    payload = dict(payload)
    if "mediators" in payload:
        payload["mediators"] = [world.users[m].username for m in payload["mediators"]]
    if "committee" in payload:
        payload["committee"] = world.committees[payload["committee"]].code
    api = as_user(world.m1)
    before = snapshot(dispute.id)
    r = api.post(f"/disputes/{dispute.id}/transitions", {"trigger": trigger, "version": dispute.version, **payload})
    error = error_of(r, status, code)
    if reason:
        assert error["details"]["reason"] == reason
    assert snapshot(dispute.id) == before


def test_stale_version_on_trigger_is_409(world, as_user):
    dispute = dispute_in("registered", world.cv1)
    api = as_user(world.m1)
    before = snapshot(dispute.id)
    error_of(api.post(f"/disputes/{dispute.id}/transitions", {"trigger": "accept", "version": dispute.version - 1}),
             409, "version_conflict")
    error_of(api.post(f"/disputes/{dispute.id}/transitions", {"trigger": "accept"}), 422, "validation_error")
    assert snapshot(dispute.id) == before


def test_back_dated_trigger(world, as_user):
    dispute = dispute_in("registered", world.cv1, days_ago=5)
    when = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    d = as_user(world.m1).post(f"/disputes/{dispute.id}/transitions",
                               {"trigger": "accept", "version": dispute.version, "occurred_at": when}).get_json()
    events = as_user(world.m1).get(f"/disputes/{d['id']}/events").get_json()
    assert datetime.fromisoformat(events[-1]["occurred_at"]) == datetime.fromisoformat(when)
    assert events[-1]["recorded_at"] > events[-1]["occurred_at"]


# -- sessions and preventions ---------------------------------------------------------------------
def test_sessions_only_in_mediation(world, as_user):
    api = as_user(world.m1)
    ok = dispute_in("in_mediation", world.cv1)
    r = api.post(f"/disputes/{ok.id}/sessions", {"held_at": datetime.now(UTC).isoformat(),
                                                 "mode": "video", "location": "线上", "notes": "视频调解"})
    assert r.status_code == 201 and r.get_json()["mode"] == "video"
    not_yet = dispute_in("accepted", world.cv1)
    before = snapshot(not_yet.id)
    error_of(api.post(f"/disputes/{not_yet.id}/sessions", {"mode": "phone"}), 409, "invalid_transition")
    error = error_of(api.post(f"/disputes/{ok.id}/sessions", {"mode": "carrier-pigeon"}), 422)
    assert "mode" in error["details"]["fields"]
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    error = error_of(api.post(f"/disputes/{ok.id}/sessions", {"mode": "phone", "held_at": future}), 422)
    assert "held_at" in error["details"]["fields"]
    assert snapshot(not_yet.id) == before


def test_preventions(world, as_user):
    dispute = dispute_in("in_mediation", world.cv1)
    api = as_user(world.m1)
    r = api.post(f"/disputes/{dispute.id}/preventions", {"kind": "civil_to_criminal", "people": 3})
    assert r.status_code == 201
    assert {k: r.get_json()[k] for k in ("kind", "people", "dispute_id")} == {
        "kind": "civil_to_criminal", "people": 3, "dispute_id": dispute.id}
    assert api.get(f"/disputes/{dispute.id}").get_json()["preventions"][0]["people"] == 3
    before = snapshot(dispute.id)
    for bad, field in [({"kind": "suicide", "people": 0}, "people"), ({"kind": "riot", "people": 1}, "kind"),
                       ({"kind": "suicide", "people": True}, "people")]:
        error = error_of(api.post(f"/disputes/{dispute.id}/preventions", bad), 422)
        assert field in error["details"]["fields"]
    assert snapshot(dispute.id) == before


def test_unknown_dispute_is_404_everywhere(world, as_user, db):
    api = as_user(world.admin)
    before = snapshot()
    for method, path, payload in [("GET", "/disputes/987654", None), ("PATCH", "/disputes/987654", {"version": 1}),
                                  ("POST", "/disputes/987654/transitions", {"trigger": "accept", "version": 1}),
                                  ("POST", "/disputes/987654/sessions", {"mode": "phone"}),
                                  ("POST", "/disputes/987654/preventions", {"kind": "suicide", "people": 1}),
                                  ("GET", "/disputes/987654/events", None)]:
        error_of(api.call(method, path, payload), 404, "not_found")
    assert snapshot() == before
    assert db.session.scalar(select(Notification).limit(1)) is None
