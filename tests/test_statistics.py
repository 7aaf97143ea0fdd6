"""Edge cases of each Fengqiao figure (DESIGN.md), one behaviour per test."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from mediation.common.clock import LOCAL
from mediation.common.errors import NotFound, ValidationError
from mediation.disputes import cases
from mediation.models.enums import DISPUTE_TYPES, SOURCES
from mediation.reports import statistics
from tests.factories import fire, make_dispute

MON, SUN = date(2026, 10, 5), date(2026, 10, 11)  # a past ISO week, 2026-W41


def at(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> str:
    """A local (Asia/Shanghai) time in October 2026, as ISO text with offset."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL).isoformat()


def week(org, first: date = MON, last: date = SUN) -> dict:
    return statistics.compute(org, first, last)


def registered(committee, day: int, hour: int = 9, month: int = 10, **kw):
    return make_dispute(committee, received_at=at(day, hour, month=month), **kw)


def mediating(committee, day: int = 5):
    d = registered(committee, day)
    d = fire(d, "accept", occurred_at=at(day, 10))
    d = fire(d, "assign", occurred_at=at(day, 11))
    return fire(d, "start_mediation", occurred_at=at(day, 12))


def test_days_are_counted_in_shanghai_at_both_ends(world):
    registered(world.cv1, 5, 0)                   # Monday 00:00 local: in
    make_dispute(world.cv1, received_at=at(4, 23, 59))  # Sunday before: out
    registered(world.cv1, 11, 23)                 # Sunday 23:00 local: in
    make_dispute(world.cv1, received_at=at(12, 0))  # next Monday 00:00: out
    got = week(world.v1)
    assert got["received"] == 2
    assert got["by_type"]["neighbourhood"] == 2 and got["by_source"]["walk_in"] == 2
    assert set(got["by_type"]) == set(DISPUTE_TYPES) and set(got["by_source"]) == set(SOURCES)


def test_empty_scope_has_null_rates_and_zero_amount(world):
    got = week(world.v3)
    assert got["org"] == world.v3.code and got["from"] == "2026-10-05" and got["to"] == "2026-10-11"
    assert got["concluded"] == 0 and got["success_rate"] is None and got["on_time_rate"] is None
    assert got["local_resolution_rate"] is None and got["performance_rate"] is None
    assert got["amount_total"] == "0.00"
    assert got["prevented"] == {k: {"cases": 0, "people": 0} for k in
                                ("civil_to_criminal", "suicide", "group_petition", "group_fight")}
    for key in statistics.FIGURES:
        assert key in got


def test_conclusions_success_and_amounts(world):
    a = fire(mediating(world.cv1), "reach_agreement", occurred_at=at(6), amount="1234.56")
    b = fire(mediating(world.cv1), "reach_agreement", occurred_at=at(7), amount="0.44", form="oral")
    fire(mediating(world.cv2), "fail", occurred_at=at(8))
    fire(mediating(world.cv2), "withdraw", occurred_at=at(8))
    fire(registered(world.cv2, 5), "reject", occurred_at=at(6))
    got = week(world.t1)
    assert (got["concluded"], got["agreements"], got["failed"], got["withdrawn"]) == (4, 2, 1, 1)
    assert got["rejected"] == 1 and got["accepted"] == 4
    assert got["success_rate"] == 0.5
    assert got["amount_total"] == "1235.00"
    assert week(world.v1)["amount_total"] == "1235.00" and week(world.v2)["amount_total"] == "0.00"
    assert a.state == b.state == "agreed"


def test_rates_round_to_four_decimals(world):
    for _ in range(2):
        fire(mediating(world.cv1), "reach_agreement", occurred_at=at(6))
    fire(mediating(world.cv1), "fail", occurred_at=at(6))
    assert week(world.v1)["success_rate"] == 0.6667


def test_on_time_against_the_deadline_then_in_force(world):
    late = registered(world.cv1, 1, month=9)
    late = fire(late, "accept", occurred_at=at(1, 10, month=9))    # due 2026-10-01 10:00
    late = fire(late, "assign", occurred_at=at(1, 11, month=9))
    late = fire(late, "start_mediation", occurred_at=at(1, 12, month=9))
    fire(late, "fail", occurred_at=at(6))                            # after the due date: late
    extended = registered(world.cv1, 1, month=9)
    extended = fire(extended, "accept", occurred_at=at(1, 10, month=9))
    extended = fire(extended, "assign", occurred_at=at(1, 11, month=9))
    extended = fire(extended, "start_mediation", occurred_at=at(1, 12, month=9))
    extended = fire(extended, "extend", occurred_at=at(20, 12, month=9), days=10)  # due 2026-10-11
    fire(extended, "reach_agreement", occurred_at=at(7))             # on time thanks to the extension
    fire(registered(world.cv1, 5), "withdraw", occurred_at=at(6))    # before acceptance: no deadline, on time
    got = week(world.v1)
    assert got["concluded"] == 3 and got["on_time_rate"] == 0.6667


def test_escalation_counts_at_the_org_it_left_and_conclusion_at_the_new_one(world):
    d = mediating(world.cv1)
    d = fire(d, "escalate", occurred_at=at(6), committee=world.cco.code, reason="重大复杂")
    d = fire(d, "assign", occurred_at=at(6, 13), mediators=[world.mco.username])
    d = fire(d, "start_mediation", occurred_at=at(6, 14))
    fire(d, "reach_agreement", occurred_at=at(8))
    v1, t1, county = week(world.v1), week(world.t1), week(world.county)
    assert v1["escalated"] == 1 and t1["escalated"] == 1 and county["escalated"] == 1
    assert v1["concluded"] == 0 and county["concluded"] == 1
    assert county["local_resolution_rate"] == 0.0
    assert county["by_level"]["county_and_above"]["concluded"] == 1
    assert v1["received"] == 1 and v1["accepted"] == 1


def test_local_resolution_by_committee_level(world):
    fire(mediating(world.cv1), "reach_agreement", occurred_at=at(6))
    t = registered(world.ct1, 5)
    t = fire(t, "accept", occurred_at=at(5, 10))
    t = fire(t, "assign", occurred_at=at(5, 11), mediators=[world.mt1.username])
    fire(fire(t, "start_mediation", occurred_at=at(5, 12)), "fail", occurred_at=at(6))
    c = registered(world.cco, 5)
    c = fire(c, "accept", occurred_at=at(5, 10))
    c = fire(c, "assign", occurred_at=at(5, 11), mediators=[world.mco.username])
    fire(fire(c, "start_mediation", occurred_at=at(5, 12)), "reach_agreement", occurred_at=at(6))
    got = week(world.county)
    assert got["concluded"] == 3 and got["local_resolution_rate"] == 0.6667
    assert {k: v["concluded"] for k, v in got["by_level"].items()} == {"village": 1, "township": 1,
                                                                       "county_and_above": 1}


def test_confirmations_count_only_confirmed_results(world):
    a = fire(mediating(world.cv1), "reach_agreement", occurred_at=at(5, 13))
    a = fire(a, "request_confirmation", occurred_at=at(5, 14))
    fire(a, "record_confirmation", occurred_at=at(6), result="confirmed")
    b = fire(mediating(world.cv1), "reach_agreement", occurred_at=at(5, 13))
    b = fire(b, "request_confirmation", occurred_at=at(5, 14))
    fire(b, "record_confirmation", occurred_at=at(6), result="denied")
    assert week(world.v1)["confirmations"] == 1


def test_performance_rate_uses_the_last_follow_up_before_closing(world):
    def closed(*performances, close_day=9):
        d = fire(mediating(world.cv1), "reach_agreement", occurred_at=at(5, 13))
        d = fire(d, "start_follow_up", occurred_at=at(5, 14))
        for i, p in enumerate(performances):
            d = fire(d, "record_follow_up", occurred_at=at(6 + i), performance=p)
        return fire(d, "close", occurred_at=at(close_day))

    closed("partial", "full")
    closed("full", "partial")
    closed("none")
    closed("full", close_day=12)  # next week
    got = week(world.v1)
    assert got["performance_rate"] == 0.3333


def test_prevented_counts_cases_and_people_per_kind(world):
    d = mediating(world.cv1)
    e = mediating(world.cv2)
    when = datetime(2026, 10, 6, 10, tzinfo=LOCAL)
    cases.record_prevention(d.id, {"kind": "civil_to_criminal", "people": 3}, at=when)
    cases.record_prevention(d.id, {"kind": "civil_to_criminal", "people": 2}, at=when)
    cases.record_prevention(e.id, {"kind": "civil_to_criminal", "people": 1}, at=when)
    cases.record_prevention(e.id, {"kind": "group_petition", "people": 12}, at=when)
    cases.record_prevention(e.id, {"kind": "suicide", "people": 1}, at=datetime(2026, 10, 12, tzinfo=LOCAL))
    got = week(world.t1)["prevented"]
    assert got["civil_to_criminal"] == {"cases": 2, "people": 6}
    assert got["group_petition"] == {"cases": 1, "people": 12}
    assert got["suicide"] == {"cases": 0, "people": 0} and got["group_fight"] == {"cases": 0, "people": 0}
    assert week(world.v1)["prevented"]["civil_to_criminal"] == {"cases": 1, "people": 5}


def test_overdue_open_is_reconstructed_as_at_the_end_of_the_period(world):
    unaccepted = registered(world.cv1, 1)                      # acceptance due 10-04: overdue at week's end
    accepted_late = registered(world.cv1, 1)
    registered(world.cv1, 10)                                  # due 10-13: not yet overdue
    before = week(world.v1)["overdue_open"]
    assert before == 2
    fire(accepted_late, "accept", occurred_at=at(15))          # met after the week: still overdue then
    fire(unaccepted, "reject", occurred_at=at(16))
    assert week(world.v1)["overdue_open"] == before
    assert week(world.v1, date(2026, 10, 12), date(2026, 10, 18))["overdue_open"] == 0 + 1  # 10-10 one, due 10-13


def test_overdue_open_follows_a_later_extension_and_escalation(world):
    d = registered(world.cv1, 1, month=9)
    d = fire(d, "accept", occurred_at=at(1, 10, month=9))       # mediation due 10-01
    d = fire(d, "assign", occurred_at=at(1, 11, month=9))
    d = fire(d, "start_mediation", occurred_at=at(1, 12, month=9))
    assert week(world.v1)["overdue_open"] == 1
    d = fire(d, "extend", occurred_at=at(14), days=30)          # after the week: it was overdue then
    assert week(world.v1)["overdue_open"] == 1
    d = fire(d, "escalate", occurred_at=at(15), committee=world.ct1.code, reason="上交")
    assert week(world.v1)["overdue_open"] == 1 and week(world.t2)["overdue_open"] == 0
    assert week(world.v1, date(2026, 10, 12), date(2026, 10, 18))["overdue_open"] == 0  # new term, due 11-14
    items = statistics.most_overdue(world.county, SUN)
    assert [(i["case_number"], i["kind"], i["days_overdue"]) for i in items] == [(d.case_number, "mediation", 11)]


def test_confirmation_windows_lapse_rather_than_go_overdue(world):
    d = registered(world.cv1, 1, month=8)
    d = fire(d, "accept", occurred_at=at(1, 10, month=8))
    d = fire(d, "assign", occurred_at=at(1, 11, month=8))
    d = fire(d, "start_mediation", occurred_at=at(1, 12, month=8))
    d = fire(d, "reach_agreement", occurred_at=at(2, 12, month=8), performance_due="2026-12-31")
    kinds = {x.kind for x in d.deadlines if x.status == "open"}
    assert kinds == {"confirmation", "follow_up"}
    assert week(world.v1)["overdue_open"] == 0


def test_stats_for_checks_scope_and_period(world):
    got = statistics.stats_for(world.t1.code, MON, SUN, world.s_t1)
    assert got["org"] == world.t1.code
    assert statistics.stats_for(world.t1.code, "2026-10-05", "2026-10-11", world.s_co)["from"] == "2026-10-05"
    with pytest.raises(NotFound):
        statistics.stats_for(world.t1.code, MON, SUN, world.s_t2)
    with pytest.raises(NotFound):
        statistics.stats_for("NO-SUCH-ORG", MON, SUN, world.admin)
    with pytest.raises(ValidationError) as bad:
        statistics.stats_for(world.t1.code, SUN, MON, world.s_t1)
    assert "to" in bad.value.fields
    with pytest.raises(ValidationError) as bad:
        statistics.stats_for(world.t1.code, date(2024, 1, 1), date(2026, 1, 1), world.s_t1)
    assert "to" in bad.value.fields
    with pytest.raises(ValidationError) as bad:
        statistics.stats_for(world.t1.code, "05/10/2026", None, world.s_t1)
    assert set(bad.value.fields) == {"from", "to"}
