"""Deadlines in scope and the caller's notifications through the API."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediation.notifications import notify
from tests.api.conftest import error_of, snapshot
from tests.factories import dispute_in, make_dispute


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_deadlines_by_status_kind_and_scope(world, as_user):
    soon = make_dispute(world.cv1, received_at=ago(1))       # acceptance due in 2 days
    late = make_dispute(world.cv2, received_at=ago(5.5))     # acceptance 2.5 days overdue
    far = dispute_in("accepted", world.cv1, days_ago=1)       # mediation due in 30 days
    other = make_dispute(world.cv3, received_at=ago(5))
    api = as_user(world.s_t1)

    def listing(query=""):
        r = api.get(f"/deadlines?per_page=200&{query}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    items = listing()
    assert [i["dispute_id"] for i in items] == [late.id, soon.id, far.id]  # earliest first, t1 only
    first = items[0]
    assert set(first) == {"id", "dispute_id", "case_number", "kind", "due_at", "status", "overdue_days"}
    assert (first["case_number"], first["kind"], first["status"], first["overdue_days"]) == (
        late.case_number, "acceptance", "open", 3)
    assert datetime.fromisoformat(first["due_at"]).utcoffset() == timedelta(hours=8)
    assert [i["dispute_id"] for i in listing("status=due_soon")] == [soon.id]
    assert [i["dispute_id"] for i in listing("status=overdue")] == [late.id]
    assert [i["dispute_id"] for i in listing("kind=mediation")] == [far.id]
    assert [(i["dispute_id"], i["status"]) for i in listing("status=met")] == [(far.id, "met")]
    assert [i["dispute_id"] for i in listing(f"committee={world.cv2.code}")] == [late.id]
    assert [i["dispute_id"] for i in listing(f"org={world.v1.code}")] == [soon.id, far.id]
    assert [i["dispute_id"] for i in as_user(world.m2).get("/deadlines").get_json()["items"]] == [late.id]
    assert other.id in [i["dispute_id"] for i in as_user(world.s_co).get("/deadlines").get_json()["items"]]
    error_of(api.get(f"/deadlines?org={world.t2.code}"), 404)
    error_of(api.get("/deadlines?status=late"), 422, "validation_error")


def _notify(user, kind, dispute, hours_ago, channel="in_app"):
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    return notify.create_notifications([{"recipient_id": user.id, "kind": kind, "channel": channel,
                                         "dispute_id": dispute.id, "address": user.email if channel == "email" else None,
                                         "dedupe_key": f"test:{kind}:{dispute.id}:{user.id}:{channel}"}], at=at)[0]


def test_notifications_newest_first_and_mark_read(world, as_user):
    d = make_dispute(world.cv1)
    old = _notify(world.m1, "due_soon", d, 5)
    new = _notify(world.m1, "overdue", d, 1)
    mail = _notify(world.m1, "overdue", d, 1, channel="email")
    theirs = _notify(world.s_t1, "supervisor_overdue", d, 1)
    api = as_user(world.m1)
    page = api.get("/notifications").get_json()
    assert [n["id"] for n in page["items"]] == [mail, new, old] and page["total"] == 3
    item = page["items"][1]
    assert set(item) == {"id", "kind", "dispute_id", "deadline_id", "channel", "created_at", "sent_at", "read_at"}
    assert (item["kind"], item["dispute_id"], item["channel"], item["read_at"]) == ("overdue", d.id, "in_app", None)
    assert item["sent_at"] is not None and page["items"][0]["sent_at"] is None  # email: not yet accepted by SMTP
    r = api.post(f"/notifications/{new}/read")
    assert r.status_code == 200 and r.get_json()["read_at"] is not None
    first_read = r.get_json()["read_at"]
    assert api.post(f"/notifications/{new}/read").get_json()["read_at"] == first_read
    assert [n["id"] for n in api.get("/notifications?unread=true").get_json()["items"]] == [mail, old]
    before = snapshot()
    error_of(api.post(f"/notifications/{theirs}/read"), 404, "not_found")   # another user's
    error_of(as_user(world.admin).post(f"/notifications/{new}/read"), 404)  # even an admin's is only their own
    error_of(api.post("/notifications/999999/read"), 404)
    assert snapshot()["notification"] == before["notification"]
    assert as_user(world.s_t1).get("/notifications").get_json()["items"][0]["read_at"] is None
