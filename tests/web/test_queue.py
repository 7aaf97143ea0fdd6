"""The work queue (the mediator's landing page): order, counts, search, filters, pages, statements."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import event

from mediation.common.errors import ValidationError
from mediation.disputes import queue as work_queue
from mediation.extensions import db as _db
from tests.factories import PASSWORD, drive, make_dispute, party_list

NOW = datetime.now(UTC)


def received(days_ago: float, committee, **overrides):
    return make_dispute(committee, received_at=(NOW - timedelta(days=days_ago)).isoformat(), **overrides)


@pytest.fixture
def queue_world(world):
    """cv1: one overdue acceptance, one due tomorrow-ish, one in mediation (a month left), one closed;
    cv3: one of another village."""
    parties = party_list()
    parties[0] = {**parties[0], "name": "王小明"}
    late = received(10, world.cv1, summary="宅基地边界纠纷")
    soon = received(1, world.cv1, parties=parties, dispute_type="housing_land")
    mediating = drive(received(2, world.cv1, summary="邻里噪音"), "accept", "assign", "start_mediation")
    closed = drive(received(20, world.cv1), "accept", "assign", "start_mediation", "reach_agreement",
                   "start_follow_up", "record_follow_up", "close")
    other = received(10, world.cv3)
    return {"late": late, "soon": soon, "mediating": mediating, "closed": closed, "other": other}


def ids(queue) -> list[int]:
    return [row.dispute.id for row in queue["items"]]


def test_nearest_deadline_first_with_counts(world, queue_world):
    q = work_queue.work_queue(world.m1)
    w = queue_world
    assert ids(q) == [w["late"].id, w["soon"].id, w["mediating"].id]  # no closed one, no other village's
    assert q["counts"] == {"open": 3, "overdue": 1, "due_soon": 1, "awaiting_acceptance": 2}
    late, soon, mediating = q["items"]
    assert (late.status, late.next_kind) == ("overdue", "acceptance") and late.days >= 5
    assert (soon.status, soon.next_kind) == ("due_soon", "acceptance") and 1 <= soon.days <= 3
    assert mediating.status == "ok" and mediating.next_kind == "mediation" and mediating.days > 20
    assert soon.applicants == ["王小明"] and soon.respondents == ["李四"]


def test_search_and_filters(world, queue_world):
    w = queue_world
    assert ids(work_queue.work_queue(world.m1, q="王小明")) == [w["soon"].id]
    assert ids(work_queue.work_queue(world.m1, q="宅基地 边界")) == [w["late"].id]  # every word must match
    assert ids(work_queue.work_queue(world.m1, q=w["mediating"].case_number)) == [w["mediating"].id]
    assert ids(work_queue.work_queue(world.m1, q="100%_")) == []  # wildcards are literal
    assert ids(work_queue.work_queue(world.m1, state="in_mediation")) == [w["mediating"].id]
    assert ids(work_queue.work_queue(world.m1, dispute_type="housing_land")) == [w["soon"].id]
    assert ids(work_queue.work_queue(world.m1, due="overdue")) == [w["late"].id]
    assert ids(work_queue.work_queue(world.m1, due="due_soon")) == [w["soon"].id]
    filtered = work_queue.work_queue(world.m1, state="registered")
    assert filtered["total"] == 2 and filtered["counts"]["open"] == 3  # counts stay those of the whole queue
    for bad in ({"state": "closed"}, {"dispute_type": "nope"}, {"due": "someday"}):
        with pytest.raises(ValidationError):
            work_queue.work_queue(world.m1, **bad)


def test_scope_supervisor_sees_the_subtree(world, queue_world):
    w = queue_world
    assert set(ids(work_queue.work_queue(world.s_co))) == {w["late"].id, w["soon"].id, w["mediating"].id,
                                                           w["other"].id}
    assert ids(work_queue.work_queue(world.s_t2)) == [w["other"].id]
    assert ids(work_queue.work_queue(world.m2)) == []


class Statements:
    def __init__(self) -> None:
        self.count = 0
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, *args) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            self.count += 1
            self.seen.append(statement[:80])


def statements_for(call) -> int:
    counter = Statements()
    engine = _db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return counter.count


def test_a_page_costs_the_same_statements_whatever_its_size(world, db):
    user = world.m1
    for i in range(2):
        received(1 + i, world.cv1)
    db.session.flush()
    _ = user.committee  # the user as the view has it, already loaded
    small = statements_for(lambda: work_queue.work_queue(user, per_page=50))
    for i in range(23):
        drive(received(3 + i % 5, world.cv1), "accept", "assign")
    db.session.expire_all()
    _ = user.committee  # the user as the view has it, already loaded
    large = statements_for(lambda: work_queue.work_queue(user, per_page=50))
    assert small == large == 4  # counts, total, page, parties of the page


def test_queue_page_paginated_and_marked(world, queue_world, client):
    for _ in range(25):
        received(30, world.cv2)
    client.post("/login", data={"username": world.m2.username, "password": PASSWORD})
    for key in ("_login_user", "_flask_babel"):
        g.pop(key, None)
    page = client.get("/").get_data(as_text=True)
    assert page.count("data-dispute-id=") == 20 and 'data-page="next"' in page and "第 1 / 2 页" in page
    assert 'data-count="overdue" data-value="25"' in page and "超期" in page
    g.pop("_login_user", None)
    page2 = client.get("/?page=2").get_data(as_text=True)
    assert page2.count("data-dispute-id=") == 5
    g.pop("_login_user", None)
    r = client.get("/?state=closed")
    assert r.status_code == 200 and "筛选条件无法识别" in r.get_data(as_text=True)
