"""Deadline policy per org, inherited down the tree (DESIGN.md, Deadlines; API.md, policy)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mediation.common.errors import ValidationError
from mediation.disputes.policy import DEFAULTS, KEYS, describe_policy, effective_policy, set_policy
from mediation.extensions import db
from mediation.models import OrgPolicy
from tests.core_helpers import DAY, T0, open_deadlines, reach, register, step


def test_the_defaults_of_design_md():
    assert DEFAULTS == {"acceptance_days": 3, "mediation_days": 30, "max_extension_days": 30, "max_extensions": 1,
                        "follow_up_days": 15, "remind_before_days": [3, 1], "supervisor_after_days": 1,
                        "day_count": "calendar", "max_backdate_days": 7, "max_prevention_people": 50}


def test_nothing_set_means_the_defaults(world):
    described = describe_policy(world.v1)
    assert described["effective"] == DEFAULTS
    assert described["own"] == {k: None for k in KEYS}
    assert described["source"] == {k: None for k in KEYS}
    assert described["org"] == world.v1.code


def test_inheritance_own_values_then_ancestors_then_defaults(world):
    set_policy(world.city, {"acceptance_days": 5, "day_count": "working"})
    set_policy(world.county, {"acceptance_days": 4, "mediation_days": 45})
    set_policy(world.t1, {"remind_before_days": [1, 7, 3, 3]})
    set_policy(world.v1, {"mediation_days": 20})
    v1 = describe_policy(world.v1)
    assert v1["effective"] == {**DEFAULTS, "acceptance_days": 4, "mediation_days": 20, "day_count": "working",
                               "remind_before_days": [7, 3, 1]}
    assert v1["own"] == {**{k: None for k in KEYS}, "mediation_days": 20}
    assert v1["source"]["acceptance_days"] == world.county.code  # the nearest ancestor wins
    assert v1["source"]["day_count"] == world.city.code
    assert v1["source"]["mediation_days"] == world.v1.code
    assert v1["source"]["remind_before_days"] == world.t1.code
    assert v1["source"]["follow_up_days"] is None  # the default
    assert effective_policy(world.v2)["mediation_days"] == 45  # a sibling does not inherit v1's value
    assert effective_policy(world.v3)["remind_before_days"] == [3, 1]  # nor t1's
    assert effective_policy(world.city)["acceptance_days"] == 5


def test_none_clears_an_own_value(world):
    set_policy(world.county, {"mediation_days": 45})
    set_policy(world.v1, {"mediation_days": 20, "max_extensions": 0})
    described = set_policy(world.v1, {"mediation_days": None})
    assert described["effective"]["mediation_days"] == 45 and described["own"]["max_extensions"] == 0
    assert described["effective"]["max_extensions"] == 0  # zero is a value, not "unset"


@pytest.mark.parametrize("values, bad", [
    ({"acceptance_days": 0}, {"acceptance_days"}),
    ({"mediation_days": -1}, {"mediation_days"}),
    ({"mediation_days": 366}, {"mediation_days"}),
    ({"mediation_days": "30"}, {"mediation_days"}),
    ({"mediation_days": 30.0}, {"mediation_days"}),
    ({"follow_up_days": True}, {"follow_up_days"}),
    ({"max_extensions": -1}, {"max_extensions"}),
    ({"supervisor_after_days": -1}, {"supervisor_after_days"}),
    ({"day_count": "lunar"}, {"day_count"}),
    ({"remind_before_days": []}, {"remind_before_days"}),
    ({"remind_before_days": 3}, {"remind_before_days"}),
    ({"remind_before_days": [3, 0]}, {"remind_before_days"}),
    ({"remind_before_days": [61]}, {"remind_before_days"}),
    ({"remind_before_days": [True]}, {"remind_before_days"}),
    ({"weekend_days": 2}, {"weekend_days"}),
    ({"acceptance_days": 0, "day_count": "x", "nope": 1}, {"acceptance_days", "day_count", "nope"}),
    ("acceptance_days=3", {"policy"}),
])
def test_validation_refuses_and_changes_nothing(world, values, bad):
    set_policy(world.county, {"acceptance_days": 4})
    before = describe_policy(world.county)
    with pytest.raises(ValidationError) as caught:
        set_policy(world.county, values)
    assert set(caught.value.fields) == bad
    assert describe_policy(world.county) == before


def test_zero_is_allowed_where_it_means_something(world):
    described = set_policy(world.county, {"max_extensions": 0, "supervisor_after_days": 0})
    assert described["effective"]["max_extensions"] == 0 and described["effective"]["supervisor_after_days"] == 0


def test_one_row_per_org(world):
    set_policy(world.county, {"acceptance_days": 4})
    set_policy(world.county, {"mediation_days": 40})
    rows = db.session.scalars(select(OrgPolicy).where(OrgPolicy.org_id == world.county.id)).all()
    assert len(rows) == 1 and (rows[0].acceptance_days, rows[0].mediation_days) == (4, 40)


def test_set_policy_applies_to_deadlines_created_afterwards(world):
    early = reach("in_mediation", world.cv1)
    early_due = open_deadlines(early, "mediation")[0].due_at
    set_policy(world.county, {"mediation_days": 60, "follow_up_days": 7, "acceptance_days": 1})
    assert open_deadlines(early, "mediation")[0].due_at == early_due  # existing deadlines keep their dates
    late = register(world.cv1, T0)
    assert open_deadlines(late)[0].due_at == T0 + DAY
    late = step(late, "accept", when=T0 + 2 * DAY)
    assert open_deadlines(late, "mediation")[0].due_at == T0 + 2 * DAY + 60 * DAY
    early = step(early, "reach_agreement", form="oral", terms="t", amount="0")
    agreed_at = early.agreement.agreed_at
    assert open_deadlines(early, "follow_up")[0].due_at == agreed_at + 7 * DAY  # created after the change


def test_an_org_with_no_value_of_its_own_keeps_no_row(world):
    set_policy(world.county, {"acceptance_days": 4, "remind_before_days": [5]})
    set_policy(world.county, {"acceptance_days": None, "remind_before_days": None})
    assert db.session.get(OrgPolicy, world.county.id) is None
    assert describe_policy(world.county)["effective"] == DEFAULTS


# -- the policy in force, validated as a whole (issue 15) ------------------------------------------
def test_a_threshold_no_term_is_longer_than_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        set_policy(world.v1, {"remind_before_days": [45, 3]})
    assert "45" in caught.value.fields["remind_before_days"][0]
    set_policy(world.v1, {"remind_before_days": [45, 3], "mediation_days": 60})  # together they make sense
    assert effective_policy(world.v1)["remind_before_days"] == [45, 3]


def test_a_change_that_breaks_an_org_below_is_refused_and_changes_nothing(world):
    set_policy(world.county, {"mediation_days": 60})
    set_policy(world.v1, {"remind_before_days": [45]})  # fine while the county gives 60 days
    before = describe_policy(world.county)
    with pytest.raises(ValidationError) as caught:
        set_policy(world.county, {"mediation_days": None})  # back to 30: v1's 45-day reminder could never fire
    message = caught.value.fields["remind_before_days"][0]
    assert world.v1.code in message
    db.session.expire_all()
    assert describe_policy(world.county) == before


@pytest.mark.parametrize("values", [{"max_backdate_days": -1}, {"max_backdate_days": 366},
                                    {"max_backdate_days": "7"}, {"max_prevention_people": 0},
                                    {"max_prevention_people": 100001}, {"max_backdate_days": True}])
def test_bounds_of_the_new_keys(world, values):
    with pytest.raises(ValidationError) as caught:
        set_policy(world.v1, values)
    assert set(caught.value.fields) == set(values)
    assert db.session.scalar(select(OrgPolicy).where(OrgPolicy.org_id == world.v1.id)) is None


def test_the_new_keys_are_inherited_and_cleared_like_the_others(world):
    set_policy(world.city, {"max_backdate_days": 14, "max_prevention_people": 200})
    set_policy(world.v1, {"max_backdate_days": 0})
    assert effective_policy(world.v1)["max_backdate_days"] == 0
    assert effective_policy(world.v2)["max_backdate_days"] == 14
    assert effective_policy(world.v1)["max_prevention_people"] == 200
    set_policy(world.v1, {"max_backdate_days": None})
    assert db.session.scalar(select(OrgPolicy).where(OrgPolicy.org_id == world.v1.id)) is None
    assert effective_policy(world.v1)["max_backdate_days"] == 14


def test_a_stored_value_the_scan_cannot_use_is_named(world):
    from mediation.disputes.policy import policy_problems

    assert policy_problems(dict(DEFAULTS)) == {}
    assert set(policy_problems({**DEFAULTS, "remind_before_days": None})) == {"remind_before_days"}
    assert set(policy_problems({**DEFAULTS, "remind_before_days": ["3"]})) == {"remind_before_days"}
    assert set(policy_problems({k: v for k, v in DEFAULTS.items() if k != "day_count"})) == {"day_count"}
