"""Statements per request (issue 14): each response loads exactly what it shows in a fixed number of
statements, however many rows it shows, so an N+1 cannot come back unnoticed.

Each test counts the SQL statements one request sends (the token look-up included) for a small
and a larger world, and asserts the count does not grow with the rows and stays under a ceiling.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import event

from mediation.disputes import cases
from mediation.extensions import db
from tests.factories import dispute_in, fire, make_dispute

# Ceilings: the statements each request needs today, plus a little room; an N+1 over a page of
# 5 rows or more breaks them at once, and the equality checks catch any growth with the rows.
LIST_MAX = 12
PAGE_MAX = 12
EVENTS_MAX = 6
BOARD_MAX = 6
TRANSITION_MAX = 18


@contextmanager
def counted() -> Iterator[list[str]]:
    """The statements sent to the database inside the block (savepoints left out). The session starts
    empty, as a request's does in production (the tests share one session with the app)."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "SAVEPOINT" not in statement.upper():
            seen.append(statement)

    db.session.flush()
    original = db.session
    db.session = db._make_scoped_session({"bind": original.connection(), "join_transaction_mode": "create_savepoint",
                                          "class_": type(original())})
    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
        db.session.remove()
        db.session = original


def _rich(world, n: int) -> list:
    """n disputes with parties, assignments, sessions, agreements, follow-ups, deadlines and preventions."""
    made = []
    for _ in range(n):
        d = dispute_in("follow_up", world.cv1)
        d = fire(d, "record_follow_up", performance="partial")
        cases.record_prevention(d.id, {"kind": "civil_to_criminal", "people": 2,  # dated within the mediation
                                       "occurred_at": d.concluded_at.isoformat(), "backdate_reason": "纸质记录补录"},
                                actor=None)
        made.append(d)
    return made


def _count(api, path: str) -> int:
    with counted() as seen:
        r = api.get(path)
    assert r.status_code == 200, r.get_json()
    return len(seen)


def test_the_dispute_list_costs_the_same_for_2_and_7_rows(world, as_user):
    api = as_user(world.s_city)
    _rich(world, 2)
    few = _count(api, "/disputes")
    _rich(world, 5)
    assert len(api.get("/disputes").get_json()["items"]) == 7
    many = _count(api, "/disputes")
    assert many == few <= LIST_MAX, (few, many)
    name = quote(api.get("/disputes").get_json()["items"][0]["parties"][0]["name"])
    assert len(api.get(f"/disputes?q={name}").get_json()["items"]) >= 1
    assert _count(api, f"/disputes?q={name}") == _count(api, "/disputes?state=follow_up") <= LIST_MAX
    mediator = as_user(world.m1)
    assert _count(mediator, "/disputes") <= LIST_MAX


def test_a_dispute_page_and_its_events_in_a_fixed_number_of_statements(world, as_user):
    api = as_user(world.s_city)
    plain = make_dispute(world.cv1)
    rich = _rich(world, 1)[0]
    for _ in range(3):
        rich = fire(rich, "record_follow_up", performance="partial")
    assert _count(api, f"/disputes/{plain.id}") == _count(api, f"/disputes/{rich.id}") <= PAGE_MAX
    assert _count(api, f"/disputes/{plain.id}/events") == _count(api, f"/disputes/{rich.id}/events") <= EVENTS_MAX


def test_the_deadline_board_costs_the_same_for_2_and_8_deadlines(world, as_user):
    api = as_user(world.s_city)
    for _ in range(2):
        dispute_in("in_mediation", world.cv1, days_ago=90)
    few = _count(api, "/deadlines")
    overdue_few = _count(api, "/deadlines?status=overdue")
    for committee in (world.cv1, world.cv2, world.cv3):
        for _ in range(2):
            dispute_in("in_mediation", committee, days_ago=90)
    assert api.get("/deadlines").get_json()["total"] >= 8
    assert _count(api, "/deadlines") == few <= BOARD_MAX
    assert _count(api, "/deadlines?status=overdue") == overdue_few <= BOARD_MAX


def test_a_transition_does_not_grow_with_the_disputes_records(world, as_user):
    api = as_user(world.m1)

    def follow_up(d) -> int:
        path, version = f"/disputes/{d.id}/transitions", d.version
        with counted() as seen:
            r = api.post(path, {"trigger": "record_follow_up", "version": version, "performance": "partial",
                                "method": "phone"})
        assert r.status_code == 200, r.get_json()
        return len(seen)

    small = _rich(world, 1)[0]
    big = _rich(world, 1)[0]
    for _ in range(4):
        big = fire(big, "record_follow_up", performance="partial")
    assert follow_up(small) == follow_up(big) <= TRANSITION_MAX
