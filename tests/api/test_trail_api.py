"""The trail through the API (issue 15): kinds of events, back-dating, preventions and their
withdrawal, the supervisors' list of flagged entries, the new figures in /stats and the document."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import error_of, snapshot
from tests.api.test_disputes import body, fire


def _in_mediation(api, world, received_days_ago: int = 20):
    received = (datetime.now(UTC) - timedelta(days=received_days_ago)).isoformat()
    d = api.post("/disputes", body(world.cv1, received_at=received)).get_json()
    back = datetime.now(UTC) - timedelta(days=received_days_ago) + timedelta(hours=1)
    reason = {"backdate_reason": "纸质卷宗补录"}
    d = fire(api, d, "accept", occurred_at=back.isoformat(), **reason)
    d = fire(api, d, "assign", occurred_at=(back + timedelta(hours=1)).isoformat(), mediators=[world.m1.username],
             **reason)
    return fire(api, d, "start_mediation", occurred_at=(back + timedelta(hours=2)).isoformat(), **reason)


def test_back_dating_a_trigger_through_the_api(world, as_user):
    m1 = as_user(world.m1)
    d = _in_mediation(m1, world)
    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    before = snapshot(d["id"])
    error = error_of(m1.post(f"/disputes/{d['id']}/transitions", {
        "trigger": "fail", "version": d["version"], "occurred_at": ten_days_ago, "reason": "r",
        "referral": "none"}), 422, "validation_error")
    assert set(error["details"]["fields"]) == {"backdate_reason"}
    assert snapshot(d["id"]) == before
    d = fire(m1, d, "fail", occurred_at=ten_days_ago, reason="r", referral="none", backdate_reason="纸质卷宗")
    trail = m1.get(f"/disputes/{d['id']}/events").get_json()
    last = trail[-1]
    assert last["trigger"] == "fail" and last["kind"] == "transition"
    assert last["backdated"] is True and last["backdate_reason"] == "纸质卷宗"
    assert all(e["kind"] == "transition" for e in trail)

    flagged = as_user(world.s_t1).get("/events/backdated", query_string={"org": world.v1.code}).get_json()
    assert d["id"] in {e["dispute_id"] for e in flagged["items"]}
    item = next(e for e in flagged["items"] if e["trigger"] == "fail")
    assert item["case_number"] == d["case_number"] and item["days_back"] == 10 and item["kind"] == "transition"
    assert as_user(world.s_t2).get("/events/backdated").get_json()["total"] == 0  # not their subtree
    error_of(as_user(world.s_t2).get("/events/backdated", query_string={"org": world.v1.code}), 404)
    error_of(m1.get("/events/backdated"), 403)
    error_of(as_user(world.s_t1).get("/events/backdated", query_string={"from": "2026-11-10", "to": "2026-11-01"}),
             422, "validation_error")


def test_preventions_sessions_and_withdrawal_through_the_api(world, as_user):
    m1 = as_user(world.m1)
    d = _in_mediation(m1, world, received_days_ago=2)
    r = m1.post(f"/disputes/{d['id']}/preventions", {"kind": "suicide", "people": 100000})
    assert set(error_of(r, 422, "validation_error")["details"]["fields"]) == {"people"}
    r = m1.post(f"/disputes/{d['id']}/preventions", {"kind": "group_fight", "people": 12})
    assert r.status_code == 201, r.get_json()
    record = r.get_json()
    assert record["withdrawn_at"] is None and record["occurred_at"]
    r = m1.post(f"/disputes/{d['id']}/sessions", {"mode": "phone", "held_at": "2025-01-01T10:00:00+08:00"})
    assert "held_at" in error_of(r, 422, "validation_error")["details"]["fields"]
    r = m1.post(f"/disputes/{d['id']}/preventions/{record['id']}/withdraw", {})
    assert "reason" in error_of(r, 422, "validation_error")["details"]["fields"]
    r = m1.post(f"/disputes/{d['id']}/preventions/{record['id']}/withdraw", {"reason": "录入错误"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["withdrawal_reason"] == "录入错误" and r.get_json()["withdrawn_at"]
    error_of(m1.post(f"/disputes/{d['id']}/preventions/{record['id']}/withdraw", {"reason": "again"}), 409,
             "conflict")
    error_of(as_user(world.m3).post(f"/disputes/{d['id']}/preventions/{record['id']}/withdraw", {"reason": "x"}),
             404)
    trail = m1.get(f"/disputes/{d['id']}/events").get_json()
    records = [(e["trigger"], e["kind"]) for e in trail if e["kind"] == "record"]
    assert records == [("record_prevention", "record"), ("withdraw_prevention", "record")]
    today = datetime.now(UTC).date()
    stats = as_user(world.s_t1).get("/stats", query_string={
        "org": world.v1.code, "from": (today - timedelta(days=3)).isoformat(), "to": today.isoformat()}).get_json()
    assert stats["prevented"]["group_fight"] == {"cases": 0, "people": 0}
    assert set(stats["late_entries"]) == {"count", "flagged", "max_days", "on_time_by_date_only"}
    assert stats["as_of"]


def test_the_document_names_the_kinds_and_the_new_figures(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    event = schemas["EventOut"]["properties"]
    assert event["kind"]["enum"] == ["transition", "record", "access"]
    assert {"backdated", "backdate_reason", "id"} <= set(event)
    stats = schemas["StatsOut"]["properties"]
    assert {"late_entries", "as_of", "by_level"} <= set(stats)
    assert {"backdate_reason"} <= set(schemas["TransitionIn"]["properties"])
    assert {"occurred_at", "backdate_reason"} <= set(schemas["PreventionIn"]["properties"])
    assert {"late_since_snapshot", "recomputed"} <= set(schemas["SnapshotOut"]["properties"])
    assert "days_back" in schemas["BackdatedOut"]["properties"]
    policy = schemas["PolicyOut"]["properties"]
    assert {"max_backdate_days", "max_prevention_people"} <= set(policy)
