"""The trail (issue 15): every change to a dispute's record is an event; what may be recorded when;
back-dating under control; figures that count only what an event stands behind."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from mediation.common.clock import LOCAL, local_date
from mediation.common.errors import Conflict, DomainError, Forbidden, NotFound
from mediation.disputes import cases, trail, triggers
from mediation.disputes.policy import set_policy
from mediation.extensions import db
from mediation.models import Event
from mediation.reports import statistics, weekly
from tests.core_helpers import DAY, HOUR, events, refused, reload, snapshot
from tests.factories import fire, make_dispute

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=LOCAL)  # Fri 2026-11-20 12:00 in Asia/Shanghai
START = NOW - 6 * DAY  # Sat 11-14: recent enough that nothing below needs a backdate_reason


def mediating(world, committee=None, at: datetime = START, actor=None):
    """Received at `at`, accepted, assigned to m1 and in mediation an hour a step later (recorded then)."""
    committee = committee or world.cv1
    mediator = {world.cv1.id: world.m1, world.cv2.id: world.m2, world.cv3.id: world.m3}[committee.id]
    d = make_dispute(committee, at=at, received_at=at.isoformat())
    for i, trigger in enumerate(("accept", "assign", "start_mediation"), start=1):
        d = fire(d, trigger, actor=actor, occurred_at=(at + i * HOUR).isoformat(), at=at + i * HOUR,
                 mediators=[mediator.username], backdate_reason=None)
    return d


def kinds(dispute) -> list[tuple[str, str]]:
    return [(e.trigger, trail.kind_of(e.trigger)) for e in events(dispute)]


# -- 1. every change an event ----------------------------------------------------------------------
def test_a_session_is_a_record_dated_when_it_was_held(world):
    d = mediating(world)
    version = d.version
    held = START + 5 * HOUR
    session = cases.record_session(d.id, {"held_at": held.isoformat(), "mode": "in_person", "location": "村调解室"},
                                   actor=world.m1, at=NOW)
    e = events(d)[-1]
    assert (e.trigger, trail.kind_of(e.trigger), e.occurred_at, e.recorded_at, e.actor_id) == (
        "record_session", "record", held, NOW, world.m1.id)
    assert e.payload == {"mode": "in_person"} and not e.backdated and e.from_state == e.to_state == "in_mediation"
    assert session.held_at == held and reload(d).version == version + 1


def test_an_edit_keeps_the_values_before_and_after(world):
    d = mediating(world)
    cases.update_dispute(d.id, {"version": d.version, "summary": "新的摘要", "amount": "99.50"}, actor=world.m1,
                         at=NOW)
    e = events(d)[-1]
    assert e.trigger == "update" and trail.kind_of("update") == "record" and e.actor_id == world.m1.id
    assert e.payload == {"before": {"summary": "相邻通行纠纷", "amount": "1200.00"},
                         "after": {"summary": "新的摘要", "amount": "99.50"}}


def test_a_prevention_record_is_an_event_the_figures_count(world):
    d = mediating(world)
    when = START + 4 * HOUR
    row = cases.record_prevention(d.id, {"kind": "suicide", "people": 1, "occurred_at": when.isoformat()},
                                  actor=world.m1, at=NOW)
    e = events(d)[-1]
    assert (e.trigger, e.result, e.people, e.occurred_at, e.recorded_at) == ("record_prevention", "suicide", 1,
                                                                             when, NOW)
    assert row.occurred_at == when and row.withdrawn_at is None
    got = statistics.compute(world.city, local_date(START), local_date(NOW), at=NOW)["prevented"]
    assert got["suicide"] == {"cases": 1, "people": 1}


def test_the_kinds_of_the_trail_in_order(world):
    d = mediating(world)
    cases.record_session(d.id, {"mode": "phone"}, actor=world.m1, at=START + 5 * HOUR)
    cases.record_prevention(d.id, {"kind": "group_fight", "people": 9}, actor=world.m1, at=START + 6 * HOUR)
    with db.session.begin_nested():
        trail.record_access(db.session, reload(d), world.m1, "reveal", START + 7 * HOUR, party_id=1)
    assert kinds(d) == [("register", "transition"), ("accept", "transition"), ("assign", "transition"),
                        ("start_mediation", "transition"), ("record_session", "record"),
                        ("record_prevention", "record"), ("reveal", "access")]


# -- 2. what may be recorded when ------------------------------------------------------------------
def test_sessions_only_in_mediation_and_within_its_life(world):
    d = mediating(world)
    began = START + 3 * HOUR
    refused(d.id, lambda: cases.record_session(d.id, {"mode": "phone", "held_at": (began - HOUR).isoformat()},
                                               at=NOW), "validation_error", fields={"held_at"})
    refused(d.id, lambda: cases.record_session(d.id, {"mode": "phone", "held_at": "2025-01-01T10:00:00+08:00"},
                                               at=NOW), "validation_error", fields={"held_at"})
    refused(d.id, lambda: cases.record_session(d.id, {"mode": "phone", "held_at": (NOW + HOUR).isoformat()},
                                               at=NOW), "validation_error", fields={"held_at"})
    registered = make_dispute(world.cv1, at=NOW)
    refused(registered.id, lambda: cases.record_session(registered.id, {"mode": "phone"}, at=NOW),
            "invalid_transition")


def test_prevention_records_from_acceptance_up_to_the_conclusion(world):
    fresh = make_dispute(world.cv1, at=START, received_at=START.isoformat())
    refused(fresh.id, lambda: cases.record_prevention(fresh.id, {"kind": "suicide", "people": 1}, at=NOW),
            "invalid_transition")
    d = mediating(world)
    refused(d.id, lambda: cases.record_prevention(
        d.id, {"kind": "suicide", "people": 1, "occurred_at": START.isoformat()}, at=NOW),
        "validation_error", fields={"occurred_at"})  # before the acceptance
    concluded_at = START + 2 * DAY
    d = fire(d, "fail", occurred_at=concluded_at.isoformat(), at=concluded_at)
    assert d.state == "closed"
    # the case: a record on a closed dispute, dated now → refused, nothing changes
    refused(d.id, lambda: cases.record_prevention(d.id, {"kind": "suicide", "people": 1}, at=NOW),
            "validation_error", fields={"occurred_at"})
    # a paper record of the mediation, dated at or before the conclusion, is accepted
    cases.record_prevention(d.id, {"kind": "suicide", "people": 1, "occurred_at": concluded_at.isoformat()},
                            at=NOW)
    assert events(d)[-1].trigger == "record_prevention"


def test_people_bounded_by_the_policy(world):
    d = mediating(world)
    refused(d.id, lambda: cases.record_prevention(d.id, {"kind": "suicide", "people": 100000}, at=NOW),
            "validation_error", fields={"people"})
    refused(d.id, lambda: cases.record_prevention(d.id, {"kind": "group_petition", "people": 51}, at=NOW),
            "validation_error", fields={"people"})
    set_policy(world.county, {"max_prevention_people": 300})
    cases.record_prevention(d.id, {"kind": "group_petition", "people": 280}, at=NOW)


def test_a_withdrawal_is_recorded_and_nets_the_record_out(world):
    d = mediating(world)
    first_day = (local_date(START), local_date(START))
    when = START + 4 * HOUR
    keep = cases.record_prevention(d.id, {"kind": "civil_to_criminal", "people": 3,
                                          "occurred_at": when.isoformat()}, actor=world.m1, at=NOW - DAY)
    wrong = cases.record_prevention(d.id, {"kind": "civil_to_criminal", "people": 40,
                                           "occurred_at": when.isoformat()}, actor=world.m1, at=NOW - DAY)
    figures = statistics.compute(world.v1, *first_day, at=NOW)["prevented"]["civil_to_criminal"]
    assert figures == {"cases": 1, "people": 43}
    withdrawn = cases.withdraw_prevention(d.id, wrong.id, {"reason": "人数录错"}, actor=world.s_t1, at=NOW)
    assert withdrawn.withdrawn_at == NOW and withdrawn.withdrawal_reason == "人数录错"
    e = events(d)[-1]
    assert (e.trigger, trail.kind_of(e.trigger), e.people, e.result, e.occurred_at, e.recorded_at, e.actor_id) == (
        "withdraw_prevention", "record", -40, "civil_to_criminal", when, NOW, world.s_t1.id)
    assert e.payload == {"prevention_id": wrong.id, "kind": "civil_to_criminal", "people": 40, "reason": "人数录错"}
    figures = statistics.compute(world.v1, *first_day, at=NOW)["prevented"]["civil_to_criminal"]
    assert figures == {"cases": 1, "people": 3}
    refused(d.id, lambda: cases.withdraw_prevention(d.id, wrong.id, {"reason": "again"}, at=NOW), "conflict")
    refused(d.id, lambda: cases.withdraw_prevention(d.id, keep.id, {"reason": " "}, at=NOW), "validation_error",
            fields={"reason"})
    cases.withdraw_prevention(d.id, keep.id, {"reason": "并非防止民转刑"}, at=NOW)
    assert statistics.compute(world.v1, *first_day, at=NOW)["prevented"]["civil_to_criminal"] == {
        "cases": 0, "people": 0}
    other = mediating(world, world.cv2)
    with pytest.raises(NotFound):
        cases.withdraw_prevention(other.id, keep.id, {"reason": "x"}, at=NOW)


# -- 3. back-dating under control ------------------------------------------------------------------
def test_a_trigger_dated_beyond_max_backdate_days_needs_a_reason_and_is_flagged(world):
    d = mediating(world, at=NOW - 20 * DAY)
    ten_days_ago = NOW - 10 * DAY
    exc = refused(d.id, lambda: triggers.fire_trigger(
        d.id, "reach_agreement", version=d.version, occurred_at=ten_days_ago.isoformat(), at=NOW,
        payload={"form": "oral", "terms": "赔偿", "amount": "10.00"}), "validation_error",
        fields={"backdate_reason"})
    assert "7" in exc.details["fields"]["backdate_reason"][0]
    d = triggers.fire_trigger(d.id, "reach_agreement", version=d.version, occurred_at=ten_days_ago.isoformat(),
                              at=NOW, payload={"form": "oral", "terms": "赔偿", "amount": "10.00",
                                               "backdate_reason": "纸质协议补录"}, actor=world.m1)
    e = events(d)[-1]
    assert e.backdated and e.backdate_reason == "纸质协议补录" and "backdate_reason" not in e.payload
    # within the limit: no reason needed, nothing flagged
    d2 = mediating(world, at=NOW - 5 * DAY)
    d2 = fire(d2, "fail", occurred_at=(NOW - 4 * DAY).isoformat(), at=NOW, backdate_reason=None)
    assert not events(d2)[-1].backdated
    # the policy can widen (or narrow) the window
    set_policy(world.v1, {"max_backdate_days": 30})
    d3 = mediating(world, at=NOW - 20 * DAY)
    fire(d3, "withdraw", occurred_at=ten_days_ago.isoformat(), at=NOW, backdate_reason=None)
    set_policy(world.v1, {"max_backdate_days": 0})
    d4 = mediating(world, at=NOW - 2 * DAY)
    refused(d4.id, lambda: cases.record_session(d4.id, {"mode": "phone", "held_at": (NOW - DAY).isoformat()},
                                                at=NOW), "validation_error", fields={"backdate_reason"})


def test_access_records_never_constrain_back_dating(world):
    d = mediating(world, at=NOW - 3 * DAY)
    with db.session.begin_nested():
        trail.record_access(db.session, reload(d), world.m1, "reveal", NOW - HOUR, party_id=1)
    # dated before the reveal, after the last transition: accepted
    d = fire(reload(d), "fail", occurred_at=(NOW - 2 * HOUR).isoformat(), at=NOW, backdate_reason=None)
    assert d.state == "closed"
    # a record does constrain: a transition may not be dated before it
    d2 = mediating(world, at=NOW - 3 * DAY)
    cases.record_session(d2.id, {"mode": "phone", "held_at": (NOW - 2 * HOUR).isoformat()}, at=NOW)
    refused(d2.id, try_fail(reload(d2), NOW - 3 * HOUR), "validation_error", fields={"occurred_at"})


def try_fail(d, when):
    return lambda: triggers.fire_trigger(d.id, "fail", version=d.version, occurred_at=when.isoformat(), at=NOW,
                                         payload={"reason": "r", "referral": "none"})


def test_supervisors_list_the_flagged_entries_of_their_subtree(world):
    in_t1 = mediating(world, world.cv1, at=NOW - 30 * DAY)
    in_t2 = mediating(world, world.cv3, at=NOW - 30 * DAY)
    for d in (in_t1, in_t2):
        fire(d, "withdraw", occurred_at=(NOW - 20 * DAY).isoformat(), at=NOW, backdate_reason="补录")
    mine = trail.list_backdated(world.s_t1)
    assert [e.dispute_id for e in mine["items"]] == [in_t1.id] and mine["total"] == 1
    assert {e.dispute_id for e in trail.list_backdated(world.s_co)["items"]} >= {in_t1.id, in_t2.id}
    assert trail.list_backdated(world.s_co, org=world.t2.code)["total"] == 1
    day = local_date(NOW - 20 * DAY)
    assert trail.list_backdated(world.s_co, date_from=day, date_to=day)["total"] == 2
    assert trail.list_backdated(world.s_co, date_from=day + timedelta(days=1))["total"] == 0
    with pytest.raises(NotFound):
        trail.list_backdated(world.s_t2, org=world.t1.code)
    with pytest.raises(Forbidden):
        trail.list_backdated(world.m1)


def test_late_entries_in_the_figures_and_on_time_by_real_dates(world):
    """The issue's case: an agreement back-dated ten days turns a deadline nine days overdue into
    "met on time": on_time_rate keeps the real dates, late_entries says so."""
    d = mediating(world, at=NOW - 39 * DAY - HOUR)  # the mediation deadline falls due 9 days before now
    due = next(x.due_at for x in reload(d).deadlines if x.kind == "mediation" and x.status == "open")
    agreed = NOW - 10 * DAY
    assert agreed < due < NOW - 8 * DAY
    fire(d, "reach_agreement", occurred_at=agreed.isoformat(), at=NOW, backdate_reason="纸质协议")
    on_time = mediating(world, at=NOW - 3 * DAY)
    fire(on_time, "fail", occurred_at=(NOW - DAY).isoformat(), at=NOW - DAY + HOUR, backdate_reason=None)
    got = statistics.compute(world.v1, local_date(NOW - 12 * DAY), local_date(NOW), at=NOW)
    assert got["concluded"] == 2 and got["on_time_rate"] == 1.0
    assert got["late_entries"] == {"count": 1, "flagged": 1, "max_days": 10, "on_time_by_date_only": 1}


def test_a_stored_week_never_changes_and_says_what_came_later(world):
    monday = date(2026, 11, 2)
    week = "2026-W45"
    d = mediating(world, at=datetime(2026, 11, 2, 9, tzinfo=LOCAL))
    stored_at = datetime(2026, 11, 9, 9, tzinfo=LOCAL)
    first = weekly.weekly_snapshot(world.v1.code, week, None, at=stored_at)
    assert first["final"] and first["metrics"]["concluded"] == 0 and first["late_since_snapshot"] == 0
    fire(d, "reach_agreement", occurred_at=datetime(2026, 11, 4, 9, tzinfo=LOCAL).isoformat(), at=NOW,
         backdate_reason="补录")
    again = weekly.weekly_snapshot(world.v1.code, week, None, at=NOW, recompute=True)
    assert again["metrics"] == first["metrics"] and again["generated_at"] == first["generated_at"]
    assert again["late_since_snapshot"] == 1
    assert again["recomputed"]["concluded"] == 1 and again["recomputed"]["late_entries"]["count"] == 1
    assert monday.isoformat() == again["from"]


# -- 5. a period that ends in the future is computed as of now ----------------------------------
def test_overdue_open_counts_only_what_is_overdue_now(world):
    soon = make_dispute(world.cv1, at=NOW - DAY, received_at=(NOW - DAY).isoformat())  # due in 2 days
    late = make_dispute(world.cv1, at=NOW - 5 * DAY, received_at=(NOW - 5 * DAY).isoformat())  # 2 days overdue
    assert soon and late
    this_week = statistics.compute(world.v1, date(2026, 11, 16), date(2026, 11, 22), at=NOW)
    assert this_week["overdue_open"] == 1 and this_week["as_of"] == NOW.isoformat()
    # a finished period keeps its end: by 11-22's end both are overdue
    assert statistics.compute(world.v1, date(2026, 11, 16), date(2026, 11, 22),
                              at=NOW + 10 * DAY)["overdue_open"] == 2


def test_a_refused_record_changes_nothing(world):
    d = mediating(world)
    before = snapshot(d.id)
    for call in (lambda: cases.record_prevention(d.id, {"kind": "nope", "people": 1}, at=NOW),
                 lambda: cases.record_prevention(d.id, {"kind": "suicide", "people": True}, at=NOW),
                 lambda: cases.record_prevention(d.id, {"kind": "suicide", "people": 1, "occurred_at": "x"}, at=NOW),
                 lambda: cases.record_session(d.id, {"mode": "phone", "backdate_reason": 5,
                                                     "held_at": (NOW - 30 * DAY).isoformat()}, at=NOW)):
        with pytest.raises(DomainError):
            call()
    assert snapshot(d.id) == before
    assert db.session.scalar(select(Event.id).where(Event.dispute_id == d.id, Event.backdated.is_(True))) is None
    with pytest.raises(Conflict):
        row = cases.record_prevention(d.id, {"kind": "suicide", "people": 1}, at=NOW)
        cases.withdraw_prevention(d.id, row.id, {"reason": "x"}, at=NOW)
        cases.withdraw_prevention(d.id, row.id, {"reason": "x"}, at=NOW)
