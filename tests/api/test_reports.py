"""Statistics, weekly snapshots and report subscriptions through the API (the figures themselves are
tested with the services; here: parameters, scope, roles and the shapes the document promises)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from mediation.common.clock import iso_week, local_date, now
from tests.api.conftest import error_of, snapshot
from tests.factories import make_dispute

TODAY = local_date(now())


def test_stats_count_what_was_received(world, as_user):
    api = as_user(world.s_t2)
    day = TODAY.isoformat()
    before = api.get(f"/stats?org={world.t2.code}&from={day}&to={day}").get_json()
    make_dispute(world.cv3, dispute_type="labour")
    r = api.get(f"/stats?org={world.t2.code}&from={day}&to={day}")
    assert r.status_code == 200, r.get_json()
    after = r.get_json()
    assert (after["org"], after["from"], after["to"]) == (world.t2.code, day, day)
    assert after["received"] == before["received"] + 1
    assert after["by_type"]["labour"] == before["by_type"].get("labour", 0) + 1
    for key in ["received", "accepted", "rejected", "concluded", "agreements", "failed", "withdrawn", "success_rate",
                "on_time_rate", "amount_total", "local_resolution_rate", "escalated", "confirmations",
                "performance_rate", "overdue_open", "by_type", "by_source", "prevented"]:
        assert key in after, key
    own = api.get(f"/stats?from={day}&to={day}").get_json()  # default: the caller's own org
    assert own["org"] == world.t2.code and own["received"] == after["received"]


@pytest.mark.parametrize("query,field", [("from=2026-13-01&to=2026-12-31", "from"), ("to=2026-01-01", "from"),
                                         ("from=2026-03-02&to=2026-03-01", "to"), ("from=2026-01-01", "to"),
                                         ("from=01/03/2026&to=2026-03-01", "from"),
                                         ("from=0001-01-01&to=0001-01-01", "from"),
                                         ("from=2026-01-01&to=9999-12-31", "to")])
def test_stats_parameters_are_checked(world, as_user, query, field):
    error = error_of(as_user(world.s_t1).get(f"/stats?org={world.t1.code}&{query}"), 422, "validation_error")
    assert field in error["details"]["fields"], error


def test_stats_scope(world, as_user):
    day = TODAY.isoformat()
    error_of(as_user(world.s_t1).get(f"/stats?org={world.t2.code}&from={day}&to={day}"), 404, "not_found")
    error_of(as_user(world.s_t1).get(f"/stats?org=NOWHERE&from={day}&to={day}"), 404, "not_found")
    error = error_of(as_user(world.admin).get(f"/stats?from={day}&to={day}"), 422)  # an admin without an org
    assert "org" in error["details"]["fields"]
    assert as_user(world.admin).get(f"/stats?org={world.t2.code}&from={day}&to={day}").status_code == 200


def test_weekly_snapshot(world, as_user):
    week = iso_week(TODAY - timedelta(days=7))
    api = as_user(world.s_co)
    r = api.get(f"/reports/weekly?org={world.county.code}&week={week}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["org"] == world.county.code and body["week"] == week and "received" in body["metrics"]
    again = api.get(f"/reports/weekly?org={world.county.code}&week={week}").get_json()
    assert again["id"] == body["id"] and again["generated_at"] == body["generated_at"]  # stored on first request
    for bad in ["2026-47", "2026-W54", "W47", "2026-w47", "0001-W01", "9999-W52"]:
        error = error_of(api.get(f"/reports/weekly?org={world.county.code}&week={bad}"), 422, "validation_error")
        assert "week" in error["details"]["fields"]
    error_of(as_user(world.s_t1).get(f"/reports/weekly?org={world.county.code}&week={week}"), 404)


def test_subscriptions(world, as_user):
    api = as_user(world.s_t1)
    r = api.post("/reports/subscriptions", {"org": world.t1.code, "email": "bureau@example.org"})
    assert r.status_code == 201, r.get_json()
    sub = r.get_json()
    assert (sub["org"], sub["email"]) == (world.t1.code, "bureau@example.org") and sub["id"]
    before = snapshot()
    error_of(api.post("/reports/subscriptions", {"org": world.t1.code, "email": "bureau@example.org"}), 409,
             "conflict")
    error = error_of(api.post("/reports/subscriptions", {"org": world.t1.code, "email": "nope"}), 422)
    assert "email" in error["details"]["fields"]
    error_of(api.post("/reports/subscriptions", {"org": world.t2.code, "email": "x@example.org"}), 404)
    error_of(as_user(world.m1).post("/reports/subscriptions", {"org": world.v1.code, "email": "x@example.org"}),
             403, "forbidden")
    assert snapshot()["report_subscription"] == before["report_subscription"]
    listed = api.get("/reports/subscriptions").get_json()
    assert [s["id"] for s in listed["items"]] == [sub["id"]] and listed["total"] == 1
    assert as_user(world.s_t2).get("/reports/subscriptions").get_json()["total"] == 0
    error_of(as_user(world.s_t2).delete(f"/reports/subscriptions/{sub['id']}"), 404)
    error_of(as_user(world.m1).get("/reports/subscriptions"), 403, "forbidden")
    assert api.delete(f"/reports/subscriptions/{sub['id']}").status_code == 204
    error_of(api.delete(f"/reports/subscriptions/{sub['id']}"), 404, "not_found")
    assert api.get("/reports/subscriptions").get_json()["total"] == 0
