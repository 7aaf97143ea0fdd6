"""Firing triggers through the service, against the real database (DESIGN.md, The workflow and Deadlines;
API.md, transitions). Every allowed step changes what it should; every refusal changes nothing."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mediation.common.errors import DomainError
from mediation.disputes import cases, triggers
from mediation.disputes.policy import set_policy
from mediation.extensions import db
from mediation.models import Committee, Deadline, Dispute, User
from mediation.orgs import users
from tests import factories
from tests.core_helpers import (
    DAY,
    HOUR,
    NOW,
    OUTCOMES,
    STATES,
    T0,
    TABLE,
    TRIGGERS,
    events,
    local,
    open_deadlines,
    reach,
    refused,
    register,
    reload,
    snapshot,
    step,
    try_fire,
)


def payload_for(trigger: str, world) -> dict:
    """A payload the trigger accepts (factories' defaults, plus an escalation target)."""
    if trigger == "escalate":
        return {"committee": world.cco.code, "reason": "案情复杂，提请上级调委会"}
    return {}


def prepared(state: str, trigger: str, world):
    """A dispute in `state` whose facts satisfy `trigger`'s guards when it is allowed there."""
    extra: tuple[str, ...] = ()
    if state in ("agreed", "follow_up") and trigger == "record_confirmation":
        extra = ("request_confirmation",)
    if state == "follow_up" and trigger in ("reopen", "close"):
        extra = ("record_follow_up",)  # partial performance
    return reach(state, world.cv1, extra=extra)


# -- the whole table through the service ----------------------------------------------------------
@pytest.mark.parametrize("trigger, state", sorted(TABLE))
def test_every_allowed_trigger_moves_as_the_table_says(world, trigger, state):
    d = prepared(state, trigger, world)
    assert d.state == state
    before_events, version = events(d), d.version
    when = d.last_event_at + HOUR
    expected = TABLE[(trigger, state)]
    d = step(d, trigger, when=when, **payload_for(trigger, world))
    d = reload(d)
    assert d.state == expected
    assert d.version == version + 1
    assert d.outcome == OUTCOMES.get(trigger)
    after = events(d)
    assert len(after) == len(before_events) + 1
    e = after[-1]
    assert (e.trigger, e.from_state, e.to_state) == (trigger, state, expected)
    assert e.committee_id == world.cv1.id and e.org_id == world.v1.id  # the handling committee at that moment
    assert e.occurred_at == when and e.recorded_at == NOW
    assert e.actor_id is None
    assert d.last_event_at == when
    if expected in ("closed", "rejected"):
        assert open_deadlines(d) == []
        assert d.closed_at == when
        assert d.active_assignments == []


@pytest.mark.parametrize("state", STATES)
def test_every_other_trigger_is_refused_and_changes_nothing(world, state):
    refusing = [t for t in TRIGGERS if (t, state) not in TABLE]
    assert refusing
    d = reach(state, world.cv1)
    for trigger in refusing:
        payload = {**factories.DEFAULT_PAYLOADS.get(trigger, {}), **payload_for(trigger, world),
                   "mediators": [world.m1.username]}
        exc = refused(d.id, try_fire(d, trigger, payload=payload), "invalid_transition")
        assert exc.details["state"] == state and exc.details["trigger"] == trigger, trigger
    assert sorted(triggers.allowed_triggers(reload(d))) == sorted(t for t, s in TABLE if s == state)


def test_registration_is_the_first_event(world):
    d = register(world.cv1, T0)
    (e,) = events(d)
    assert (e.trigger, e.from_state, e.to_state, e.occurred_at) == ("register", None, "registered", T0)
    assert e.payload == {"case_number": d.case_number}
    assert d.version == 1 and d.state == "registered" and d.outcome is None
    (acceptance,) = open_deadlines(d)
    assert acceptance.kind == "acceptance" and acceptance.due_at == T0 + 3 * DAY  # received_at + acceptance_days


def test_unknown_trigger_changes_nothing(world):
    d = register(world.cv1)
    for trigger in ("fly", "register", "update", "ACCEPT"):
        refused(d.id, try_fire(d, trigger), "invalid_transition")
    for trigger in ("", None, 7):
        refused(d.id, try_fire(d, trigger), "validation_error", fields={"trigger"})


# -- accept / reject ------------------------------------------------------------------------------
def test_accept_meets_acceptance_and_opens_the_mediation_term(world):
    d = register(world.cv1, T0)
    when = T0 + 2 * DAY
    d = reload(step(d, "accept", when=when))
    assert d.accepted_at == when
    acceptance = next(x for x in d.deadlines if x.kind == "acceptance")
    assert (acceptance.status, acceptance.met_at) == ("met", when)
    (mediation,) = open_deadlines(d)
    assert mediation.kind == "mediation" and mediation.due_at == when + 30 * DAY  # accepted_at + mediation_days


def test_a_late_acceptance_is_still_met_at_its_time(world):
    d = register(world.cv1, T0)
    d = reload(step(d, "accept", when=T0 + 5 * DAY))
    acceptance = next(x for x in d.deadlines if x.kind == "acceptance")
    assert acceptance.status == "met" and acceptance.met_at > acceptance.due_at


@pytest.mark.parametrize("code", ["party_refused", "out_of_scope", "already_handled", "other"])
def test_reject_with_each_reason_code(world, code):
    d = register(world.cv1, T0)
    when = T0 + DAY
    d = reload(step(d, "reject", when=when, reason_code=code, reason="理由"))
    assert (d.state, d.outcome, d.closed_at, d.concluded_at) == ("rejected", "rejected", when, None)
    e = events(d)[-1]
    assert e.result == code and e.payload == {"reason_code": code, "reason": "理由"} and e.due_at is None
    acceptance = next(x for x in d.deadlines if x.kind == "acceptance")
    assert (acceptance.status, acceptance.met_at) == ("met", when)  # rejecting decides on acceptance
    assert open_deadlines(d) == []


@pytest.mark.parametrize("payload, bad", [
    ({"reason": "x"}, {"reason_code"}),
    ({"reason_code": "bored", "reason": "x"}, {"reason_code"}),
    ({"reason_code": "other"}, {"reason"}),
    ({"reason_code": "other", "reason": "   "}, {"reason"}),
    ({"reason_code": "other", "reason": 42}, {"reason"}),
    ({"reason_code": "other", "reason": "x" * 2001}, {"reason"}),
    ({}, {"reason_code", "reason"}),
])
def test_reject_payload_rules(world, payload, bad):
    d = register(world.cv1)
    refused(d.id, try_fire(d, "reject", payload=payload), "validation_error", fields=bad)


# -- assign / reassign ------------------------------------------------------------------------------
def test_assign_creates_assignments_with_a_lead(world):
    d = reach("accepted", world.cv1)
    when = d.last_event_at + HOUR
    d = reload(step(d, "assign", when=when, mediators=[world.m1.username, world.m1b.username],
                    lead=world.m1b.username))
    assert d.state == "assigned"
    got = sorted((a.mediator_id, a.lead, a.assigned_at, a.ended_at) for a in d.assignments)
    assert got == sorted([(world.m1.id, False, when, None), (world.m1b.id, True, when, None)])
    assert events(d)[-1].payload == {"mediators": [world.m1.username, world.m1b.username], "lead": world.m1b.username}


def test_assign_lead_defaults_to_the_first(world):
    d = reach("accepted", world.cv1)
    d = reload(step(d, "assign", mediators=[world.m1b.username, world.m1.username, world.m1b.username]))
    leads = {a.mediator_id: a.lead for a in d.assignments}
    assert leads == {world.m1b.id: True, world.m1.id: False}  # duplicates named once


@pytest.mark.parametrize("payload, bad", [
    ({}, {"mediators"}),
    ({"mediators": "m1"}, {"mediators"}),
    ({"mediators": [1, 2]}, {"mediators"}),
    ({"mediators": ["@m1"], "lead": "@m3"}, {"lead"}),
])
def test_assign_payload_rules(world, payload, bad):
    d = reach("accepted", world.cv1)
    payload = {k: ([world.m1.username if x == "@m1" else x for x in v] if isinstance(v, list) else
                   (world.m3.username if v == "@m3" else v)) for k, v in payload.items()}
    refused(d.id, try_fire(d, "assign", payload=payload), "validation_error", fields=bad)


def _inactive_mediator(world) -> User:
    user = users.create_user(factories.uniq("gone"), factories.PASSWORD, "mediator", display_name="离职调解员",
                             committee=world.cv1.code)
    user = db.session.get(User, user.id)
    user.active = False
    db.session.commit()
    return user


@pytest.mark.parametrize("who, reason", [
    ([], "no_mediator"),
    (["m2"], "mediator_not_in_committee"),  # a mediator of another committee
    (["m1", "m3"], "mediator_not_in_committee"),
    (["s_t1"], "mediator_not_in_committee"),  # a supervisor is no mediator
    (["nobody-such"], "mediator_not_in_committee"),
    (["inactive"], "mediator_not_in_committee"),
    (["party"], "mediator_is_party"),  # 回避: a party cannot mediate their own dispute
])
@pytest.mark.parametrize("trigger, state", [("assign", "accepted"), ("reassign", "assigned"),
                                            ("reassign", "in_mediation")])
def test_assign_and_reassign_guards(world, who, reason, trigger, state):
    d = reach(state, world.cv1)
    named = []
    for key in who:
        if key == "inactive":
            named.append(_inactive_mediator(world).username)
        elif key == "party":
            person = users.create_user(factories.uniq("zs"), factories.PASSWORD, "mediator", display_name="张三",
                                       committee=world.cv1.code)  # 张三 is the applicant
            named.append(person.username)
        elif key == "nobody-such":
            named.append(key)
        else:
            named.append(world.users[key].username)
    d = reload(d)
    refused(d.id, try_fire(d, trigger, payload={"mediators": named, "reason": "回避"}), "guard_failed", reason=reason)


def test_reassign_ends_the_old_assignments(world):
    d = reach("in_mediation", world.cv1)
    first = {a.id for a in d.assignments}
    when = d.last_event_at + HOUR
    d = reload(step(d, "reassign", when=when, mediators=[world.m1b.username], reason="回避"))
    assert d.state == "in_mediation"
    ended = {a.id: a.ended_at for a in d.assignments if a.id in first}
    assert ended and all(t == when for t in ended.values())
    (active,) = d.active_assignments
    assert (active.mediator_id, active.lead, active.assigned_at) == (world.m1b.id, True, when)
    refused(d.id, try_fire(d, "reassign", payload={"mediators": [world.m1.username]}), "validation_error",
            fields={"reason"})


# -- extend -----------------------------------------------------------------------------------------
def test_extend_moves_the_mediation_deadline(world):
    d = reach("in_mediation", world.cv1)
    (mediation,) = open_deadlines(d, "mediation")
    due = mediation.due_at
    d = reload(step(d, "extend", days=12, parties_consent=True, reason="双方同意"))
    (moved,) = open_deadlines(d, "mediation")
    assert moved.id == mediation.id and moved.due_at == due + 12 * DAY
    assert d.extensions_used == 1
    e = events(d)[-1]
    assert e.payload["days"] == 12 and e.payload["parties_consent"] is True
    assert e.payload["due_before"] == due.isoformat() and e.payload["due_after"] == moved.due_at.isoformat()


def test_extensions_per_term_and_policy_maximum(world):
    d = reach("in_mediation", world.cv1)
    refused(d.id, try_fire(d, "extend", payload={"days": 31, "parties_consent": True, "reason": "r"}),
            "guard_failed", reason="extension_too_long")
    d = step(d, "extend", days=30)  # exactly the maximum
    refused(d.id, try_fire(reload(d), "extend", payload={"days": 1, "parties_consent": True, "reason": "r"}),
            "guard_failed", reason="extensions_exhausted")


def test_extension_limits_come_from_the_policy(world):
    set_policy(world.county, {"max_extensions": 2, "max_extension_days": 10})
    d = reach("in_mediation", world.cv1)
    refused(d.id, try_fire(d, "extend", payload={"days": 11, "parties_consent": True, "reason": "r"}),
            "guard_failed", reason="extension_too_long")
    d = step(d, "extend", days=10)
    d = step(d, "extend", days=5)
    assert reload(d).extensions_used == 2
    refused(d.id, try_fire(reload(d), "extend", payload={"days": 1, "parties_consent": True, "reason": "r"}),
            "guard_failed", reason="extensions_exhausted")


def test_extend_needs_the_parties_consent(world):
    d = reach("in_mediation", world.cv1)
    refused(d.id, try_fire(d, "extend", payload={"days": 5, "parties_consent": False, "reason": "r"}),
            "guard_failed", reason="no_parties_consent")


@pytest.mark.parametrize("payload, bad", [
    ({"parties_consent": True, "reason": "r"}, {"days"}),
    ({"days": 0, "parties_consent": True, "reason": "r"}, {"days"}),
    ({"days": -3, "parties_consent": True, "reason": "r"}, {"days"}),
    ({"days": "10", "parties_consent": True, "reason": "r"}, {"days"}),
    ({"days": 2.5, "parties_consent": True, "reason": "r"}, {"days"}),
    ({"days": True, "parties_consent": True, "reason": "r"}, {"days"}),
    ({"days": 5, "reason": "r"}, {"parties_consent"}),
    ({"days": 5, "parties_consent": "yes", "reason": "r"}, {"parties_consent"}),
    ({"days": 5, "parties_consent": True}, {"reason"}),
])
def test_extend_payload_rules(world, payload, bad):
    d = reach("in_mediation", world.cv1)
    refused(d.id, try_fire(d, "extend", payload=payload), "validation_error", fields=bad)


def test_extend_counts_working_days_when_the_policy_says_so(world):
    set_policy(world.county, {"day_count": "working"})
    accepted = local(2026, 9, 1, 10, 0)  # Tue; the mid-autumn and national-day holidays follow
    d = register(world.cv1, accepted - DAY)
    d = step(d, "accept", when=accepted)
    (mediation,) = open_deadlines(d, "mediation")
    # 30 working days after 2026-09-01: 09-20 (Sun) and 10-10 (Sat) are make-up working days,
    # 09-25…27 (mid-autumn) and 10-01…07 (national day) are off
    assert mediation.due_at == local(2026, 10, 19, 10, 0)
    d = step(d, "assign")
    d = step(d, "start_mediation")
    d = step(d, "extend", days=3)
    (moved,) = open_deadlines(d, "mediation")
    assert moved.due_at == local(2026, 10, 22, 10, 0)  # Mon 19th + Tue 20th, Wed 21st, Thu 22nd


# -- escalate ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["accepted", "assigned", "in_mediation"])
@pytest.mark.parametrize("target", ["ct1", "cco", "cmed"])
def test_escalate_to_a_committee_of_a_strict_ancestor(world, state, target):
    set_policy(world.v1, {"mediation_days": 20})
    set_policy(world.t1, {"mediation_days": 25})
    set_policy(world.county, {"mediation_days": 45})
    d = reach(state, world.cv1)
    old_mediation = open_deadlines(d, "mediation")[0]
    d = step(d, "extend", days=5) if state == "in_mediation" else d
    when = reload(d).last_event_at + HOUR
    to = world.committees[target]
    d = reload(step(d, "escalate", when=when, committee=to.code, reason="案情复杂"))
    assert d.state == "accepted" and d.committee_id == to.id and d.intake_org_id == world.v1.id
    assert d.active_assignments == [] and all(a.ended_at == when for a in d.assignments)
    assert d.extensions_used == 0
    old = db.session.get(Deadline, old_mediation.id)
    assert old.status == "cancelled"
    (mediation,) = open_deadlines(d, "mediation")
    days = 25 if target == "ct1" else 45  # the policy of the org that handles it now
    assert mediation.due_at == when + days * DAY  # restarted from the escalation
    e = events(d)[-1]
    assert (e.trigger, e.committee_id, e.org_id) == ("escalate", world.cv1.id, world.v1.id)  # the one it left
    assert e.payload["to_committee"] == to.code and e.payload["from_committee"] == world.cv1.code
    assert e.payload["committee"] == to.code and e.payload["reason"] == "案情复杂"
    # from now on the new committee handles it
    d = step(d, "withdraw")
    assert events(d)[-1].committee_id == to.id


@pytest.mark.parametrize("source, target", [
    ("cv1", "cv1"),  # itself
    ("cv1", "cv2"),  # a sibling village
    ("cv1", "cv3"),  # a cousin
    ("ct1", "cv1"),  # downwards
    ("cco", "cmed"),  # another committee of the same org
])
def test_escalate_refuses_anything_but_a_strict_ancestor(world, source, target):
    d = reach("accepted", world.committees[source])
    refused(d.id, try_fire(d, "escalate", payload={"committee": world.committees[target].code, "reason": "r"}),
            "guard_failed", reason="not_a_higher_committee")


def test_escalate_refuses_an_inactive_committee(world):
    target = db.session.get(Committee, world.cco.id)
    target.active = False
    db.session.commit()
    d = reach("accepted", world.cv1)
    refused(d.id, try_fire(d, "escalate", payload={"committee": world.cco.code, "reason": "r"}), "guard_failed",
            reason="committee_inactive")


@pytest.mark.parametrize("payload, bad", [
    ({"reason": "r"}, {"committee"}),
    ({"committee": "NO-SUCH", "reason": "r"}, {"committee"}),
    ({"committee": 5, "reason": "r"}, {"committee"}),
    ({"committee": "@cco"}, {"reason"}),
])
def test_escalate_payload_rules(world, payload, bad):
    d = reach("accepted", world.cv1)
    payload = {k: (world.cco.code if v == "@cco" else v) for k, v in payload.items()}
    refused(d.id, try_fire(d, "escalate", payload=payload), "validation_error", fields=bad)


def test_after_escalation_the_old_committee_loses_the_case(world):
    d = reach("assigned", world.cv1)
    d = step(d, "escalate", committee=world.cco.code, reason="r", actor=world.m1)
    d = reload(d)
    refused(d.id, try_fire(d, "assign", actor=world.m1, payload={"mediators": [world.mco.username]}), "not_found")
    refused(d.id, try_fire(d, "assign", actor=world.s_t1, payload={"mediators": [world.mco.username]}), "not_found")
    d = step(d, "assign", actor=world.mco, mediators=[world.mco.username])
    assert reload(d).state == "assigned"
    refused(d.id, try_fire(reload(d), "reassign", payload={"mediators": [world.m1.username], "reason": "r"}),
            "guard_failed", reason="mediator_not_in_committee")


# -- reach_agreement ----------------------------------------------------------------------------------
def test_reach_agreement_without_due_date(world):
    d = reach("in_mediation", world.cv1)
    (mediation,) = open_deadlines(d, "mediation")
    when = d.last_event_at + HOUR
    d = reload(step(d, "reach_agreement", when=when, form="written", terms="赔偿", amount="1200.5"))
    assert (d.state, d.concluded_at, d.outcome) == ("agreed", when, None)
    a = d.agreement
    assert (a.form, a.terms, a.amount, a.performance_due, a.agreed_at, a.confirmation) == (
        "written", "赔偿", Decimal("1200.50"), None, when, "none")
    e = events(d)[-1]
    assert e.amount == Decimal("1200.50") and e.due_at == mediation.due_at
    met = db.session.get(Deadline, mediation.id)
    assert (met.status, met.met_at) == ("met", when)
    by_kind = {x.kind: x for x in open_deadlines(d)}
    assert set(by_kind) == {"confirmation", "follow_up"}
    assert by_kind["follow_up"].due_at == when + 15 * DAY  # agreed_at + follow_up_days
    assert by_kind["confirmation"].due_at == when + 30 * DAY  # 30 days from the agreement (art. 33)


def test_reach_agreement_with_due_date_and_oral_form(world):
    d = reach("in_mediation", world.cv1)
    d = reload(step(d, "reach_agreement", form="oral", terms="道歉", amount=0, performance_due="2026-03-20"))
    assert d.agreement.performance_due == date(2026, 3, 20) and d.agreement.amount == Decimal("0.00")
    (follow_up,) = open_deadlines(d)  # an oral agreement has no confirmation window
    # performance_due + 15 days, to the end of that day in Asia/Shanghai
    assert follow_up.kind == "follow_up" and follow_up.due_at == local(2026, 4, 5, 0, 0)


def test_follow_up_deadline_in_working_days(world):
    set_policy(world.t1, {"day_count": "working", "follow_up_days": 5})
    d = reach("in_mediation", world.cv1)
    d = reload(step(d, "reach_agreement", form="oral", terms="t", amount=1, performance_due="2026-09-24"))
    (follow_up,) = open_deadlines(d, "follow_up")
    # after Thu 09-24: 25…27 off (mid-autumn), 28, 29, 30 worked, 10-01…07 off, 10-08, 10-09 → end of 10-09
    assert follow_up.due_at == local(2026, 10, 10, 0, 0)


@pytest.mark.parametrize("payload, bad", [
    ({"terms": "t", "amount": "1"}, {"form"}),
    ({"form": "verbal", "terms": "t", "amount": "1"}, {"form"}),
    ({"form": "oral", "amount": "1"}, {"terms"}),
    ({"form": "oral", "terms": "t"}, {"amount"}),
    ({"form": "oral", "terms": "t", "amount": "-0.01"}, {"amount"}),
    ({"form": "oral", "terms": "t", "amount": "abc"}, {"amount"}),
    ({"form": "oral", "terms": "t", "amount": "1.234"}, {"amount"}),
    ({"form": "oral", "terms": "t", "amount": "NaN"}, {"amount"}),
    ({"form": "oral", "terms": "t", "amount": True}, {"amount"}),
    ({"form": "oral", "terms": "t", "amount": "1", "performance_due": "2026-13-01"}, {"performance_due"}),
    ({"form": "oral", "terms": "t", "amount": "1", "performance_due": "2026-03-01"}, {"performance_due"}),  # before
    ({}, {"form", "terms", "amount"}),
])
def test_reach_agreement_payload_rules(world, payload, bad):
    d = reach("in_mediation", world.cv1)
    refused(d.id, try_fire(d, "reach_agreement", payload=payload), "validation_error", fields=bad)


# -- fail / withdraw --------------------------------------------------------------------------------
@pytest.mark.parametrize("referral", ["litigation", "arbitration", "administrative", "none"])
def test_fail_closes_with_the_referral(world, referral):
    d = reach("in_mediation", world.cv1)
    (mediation,) = open_deadlines(d, "mediation")
    when = d.last_event_at + HOUR
    d = reload(step(d, "fail", when=when, referral=referral, reason="分歧大"))
    assert (d.state, d.outcome, d.concluded_at, d.closed_at) == ("closed", "failed", when, when)
    e = events(d)[-1]
    assert e.result == referral and e.due_at == mediation.due_at
    assert db.session.get(Deadline, mediation.id).status == "met"
    assert open_deadlines(d) == [] and d.active_assignments == []


@pytest.mark.parametrize("payload, bad", [
    ({"referral": "court"}, {"referral", "reason"}),
    ({"reason": "r"}, {"referral"}),
])
def test_fail_payload_rules(world, payload, bad):
    d = reach("in_mediation", world.cv1)
    refused(d.id, try_fire(d, "fail", payload=payload), "validation_error", fields=bad)


def test_withdraw_before_acceptance(world):
    d = register(world.cv1)
    when = T0 + HOUR
    d = reload(step(d, "withdraw", when=when, reason="申请人撤回"))
    assert (d.state, d.outcome, d.concluded_at, d.closed_at) == ("closed", "withdrawn", when, when)
    e = events(d)[-1]
    assert e.due_at is None and e.payload == {"reason": "申请人撤回"}  # no mediation deadline yet
    (acceptance,) = d.deadlines
    assert (acceptance.status, acceptance.cancelled_at) == ("cancelled", when)  # no decision was needed


@pytest.mark.parametrize("state", ["accepted", "assigned", "in_mediation"])
def test_withdraw_after_acceptance_concludes_the_mediation_term(world, state):
    d = reach(state, world.cv1)
    (mediation,) = open_deadlines(d, "mediation")
    when = d.last_event_at + HOUR
    d = reload(step(d, "withdraw", when=when))
    assert events(d)[-1].due_at == mediation.due_at
    met = db.session.get(Deadline, mediation.id)
    assert (met.status, met.met_at) == ("met", when)
    assert open_deadlines(d) == [] and d.active_assignments == []


def test_withdraw_needs_a_reason(world):
    d = register(world.cv1)
    refused(d.id, try_fire(d, "withdraw"), "validation_error", fields={"reason"})


# -- judicial confirmation ------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["agreed", "follow_up"])
def test_request_and_record_confirmation(world, state):
    d = reach(state, world.cv1)
    (window,) = open_deadlines(d, "confirmation")
    when = d.last_event_at + HOUR
    d = reload(step(d, "request_confirmation", when=when, court="测试县人民法院"))
    a = d.agreement
    assert (a.confirmation, a.confirmation_court, a.confirmation_requested_at) == ("requested", "测试县人民法院", when)
    assert d.state == state
    met = db.session.get(Deadline, window.id)
    assert (met.status, met.met_at) == ("met", when)
    refused(d.id, try_fire(d, "request_confirmation"), "guard_failed", reason="confirmation_already_requested")
    refused(d.id, try_fire(d, "record_confirmation", payload={"result": "maybe"}), "validation_error",
            fields={"result"})
    decided = d.last_event_at + DAY
    d = reload(step(d, "record_confirmation", when=decided, result="denied"))
    assert (d.agreement.confirmation, d.agreement.confirmation_decided_at) == ("denied", decided)
    assert events(d)[-1].result == "denied"
    refused(d.id, try_fire(d, "record_confirmation", payload={"result": "confirmed"}), "guard_failed",
            reason="confirmation_not_requested")


def test_request_confirmation_court_is_optional(world):
    d = reach("agreed", world.cv1)
    d = reload(factories.fire(d, "request_confirmation", occurred_at=d.last_event_at + HOUR, at=NOW, court=None))
    assert d.agreement.confirmation == "requested" and d.agreement.confirmation_court is None


def test_confirmation_only_for_written_agreements(world):
    d = reach("in_mediation", world.cv1)
    d = step(d, "reach_agreement", form="oral", terms="t", amount="1")
    refused(d.id, try_fire(reload(d), "request_confirmation"), "guard_failed", reason="agreement_not_written")


def test_confirmation_within_30_days_of_the_agreement(world):
    d = reach("agreed", world.cv1)
    agreed_at = d.agreement.agreed_at
    refused(d.id, try_fire(d, "request_confirmation", when=agreed_at + 30 * DAY + HOUR), "guard_failed",
            reason="confirmation_window_closed")
    d = reload(step(d, "request_confirmation", when=agreed_at + 30 * DAY))
    assert d.agreement.confirmation == "requested"


def test_record_confirmation_needs_a_pending_request(world):
    d = reach("agreed", world.cv1)
    refused(d.id, try_fire(d, "record_confirmation", payload={"result": "confirmed"}), "guard_failed",
            reason="confirmation_not_requested")


# -- follow-up, reopen, close --------------------------------------------------------------------------
def test_record_follow_up_meets_the_follow_up_deadline(world):
    d = reach("follow_up", world.cv1)
    (deadline,) = open_deadlines(d, "follow_up")
    when = d.last_event_at + DAY
    d = reload(step(d, "record_follow_up", when=when, performance="none", method="phone", notes="未履行"))
    (f,) = d.follow_ups
    assert (f.performance, f.method, f.notes, f.visited_at) == ("none", "phone", "未履行", when)
    assert events(d)[-1].result == "none"
    assert db.session.get(Deadline, deadline.id).status == "met"
    d = reload(step(d, "record_follow_up", performance="partial", method="video", notes=None))
    assert [x.performance for x in d.follow_ups] == ["none", "partial"] and d.follow_ups[-1].notes == ""


@pytest.mark.parametrize("payload, bad", [
    ({"method": "visit"}, {"performance"}),
    ({"performance": "most", "method": "visit"}, {"performance"}),
    ({"performance": "full"}, {"method"}),
    ({"performance": "full", "method": "letter"}, {"method"}),
    ({"performance": "full", "method": "visit", "notes": 5}, {"notes"}),
])
def test_record_follow_up_payload_rules(world, payload, bad):
    d = reach("follow_up", world.cv1)
    refused(d.id, try_fire(d, "record_follow_up", payload=payload), "validation_error", fields=bad)


def test_reopen_starts_a_new_mediation_term(world):
    d = reach("follow_up", world.cv1, extra=("record_follow_up",))  # partial
    windows = {x.kind: x.id for x in open_deadlines(d)}
    assert set(windows) == {"confirmation"}  # follow-up met by the visit
    when = d.last_event_at + HOUR
    d = reload(step(d, "reopen", when=when, reason="未履行"))
    assert (d.state, d.concluded_at, d.outcome, d.extensions_used) == ("in_mediation", None, None, 0)
    assert db.session.get(Deadline, windows["confirmation"]).status == "cancelled"
    (mediation,) = open_deadlines(d)
    assert mediation.kind == "mediation" and mediation.due_at == when + 30 * DAY
    assert d.active_assignments  # the mediators stay on the case
    d = reload(step(d, "reach_agreement", form="oral", terms="新协议", amount="10"))
    assert len(d.agreements) == 2 and d.agreement.terms == "新协议"


def test_reopen_guards_and_reason(world):
    d = reach("follow_up", world.cv1)
    refused(d.id, try_fire(d, "reopen", payload={"reason": "r"}), "guard_failed", reason="no_follow_up")
    d = reload(step(d, "record_follow_up", performance="full"))
    refused(d.id, try_fire(d, "reopen", payload={"reason": "r"}), "guard_failed", reason="performance_full")
    d = reload(step(d, "record_follow_up", performance="partial"))
    refused(d.id, try_fire(d, "reopen"), "validation_error", fields={"reason"})
    assert reload(step(d, "reopen", reason="r")).state == "in_mediation"


def test_close_needs_a_follow_up_and_leaves_nothing_open(world):
    d = reach("follow_up", world.cv1)
    refused(d.id, try_fire(d, "close"), "guard_failed", reason="no_follow_up")
    d = step(d, "record_follow_up", performance="full")
    when = reload(d).last_event_at + HOUR
    d = reload(step(d, "close", when=when))
    assert (d.state, d.outcome, d.closed_at) == ("closed", "agreement", when)
    assert events(d)[-1].result == "full"
    assert open_deadlines(d) == []
    confirmation = next(x for x in d.deadlines if x.kind == "confirmation")
    assert confirmation.status == "cancelled"  # an unused confirmation window lapses, never goes overdue
    assert d.active_assignments == []


@pytest.mark.parametrize("path", [
    ("reject",), ("withdraw",), ("accept", "withdraw"), ("accept", "assign", "start_mediation", "fail"),
    ("accept", "assign", "start_mediation", "extend", "withdraw"),
    ("accept", "assign", "start_mediation", "reach_agreement", "start_follow_up", "record_follow_up", "close"),
    ("accept", "assign", "start_mediation", "reach_agreement", "request_confirmation", "start_follow_up",
     "record_follow_up", "close"),
])
def test_final_states_leave_no_deadline_open(world, path):
    d = register(world.cv1)
    for trigger in path:
        d = step(d, trigger)
    d = reload(d)
    assert d.state in ("closed", "rejected")
    assert d.deadlines and all(x.status in ("met", "cancelled") for x in d.deadlines)
    assert all((x.met_at is None) != (x.cancelled_at is None) for x in d.deadlines)


# -- occurred_at ----------------------------------------------------------------------------------------
def test_occurred_at_rules(world):
    d = register(world.cv1, T0)
    refused(d.id, try_fire(d, "accept", when=NOW + timedelta(minutes=10)), "validation_error", fields={"occurred_at"})
    refused(d.id, try_fire(d, "accept", when=T0 - timedelta(seconds=1)), "validation_error", fields={"occurred_at"})
    refused(d.id, try_fire(d, "accept", when="yesterday"), "validation_error", fields={"occurred_at"})
    d = reload(step(d, "accept", when=T0))  # the same instant as the previous event is allowed
    d = reload(step(d, "assign", when=T0))  # ties keep recording order
    assert [e.trigger for e in events(d)] == ["register", "accept", "assign"]
    assert d.accepted_at == T0


def test_occurred_at_may_be_back_dated_and_defaults_to_now(world):
    d = register(world.cv1, T0)
    d = reload(step(d, "accept", when="2026-03-03T08:30:00"))  # no offset: Asia/Shanghai
    assert d.accepted_at == local(2026, 3, 3, 8, 30)
    d = reload(triggers.fire_trigger(d.id, "withdraw", version=d.version, payload={"reason": "r"}, at=NOW))
    assert d.closed_at == NOW and events(d)[-1].occurred_at == NOW and events(d)[-1].recorded_at == NOW


def test_a_client_clock_slightly_ahead_records_now(world):
    d = register(world.cv1, T0)
    d = reload(step(d, "accept", when=NOW + timedelta(seconds=90)))
    assert d.accepted_at == NOW
    d = reload(triggers.fire_trigger(d.id, "withdraw", version=d.version, payload={"reason": "r"}, at=NOW))
    assert d.state == "closed"  # "now" is not before the previous event


# -- versions and who may fire -----------------------------------------------------------------------
def test_version_conflict_changes_nothing(world):
    d = register(world.cv1)
    for version in (0, 2, 99):
        refused(d.id, try_fire(d, "accept", version=version), "version_conflict")
    for version in ("1", True, None, 1.0):
        refused(d.id, lambda v=version: triggers.fire_trigger(d.id, "accept", version=v, at=NOW),
                "validation_error", fields={"version"})
    d = reload(step(d, "accept"))
    refused(d.id, try_fire(d, "withdraw", version=1, payload={"reason": "r"}), "version_conflict")


def test_who_may_fire(world):
    d = register(world.cv1)
    for key in ("m2", "m3", "mt1", "mco", "s_t2"):
        refused(d.id, try_fire(d, "accept", actor=world.users[key]), "not_found")
    refused(d.id, lambda: triggers.fire_trigger(10 ** 9, "accept", version=1, at=NOW), "not_found")
    d = step(d, "accept", actor=world.m1b)  # a mediator of the handling committee
    d = step(d, "assign", actor=world.s_t1, mediators=[world.m1b.username])  # supervisors whose scope holds it
    d = step(d, "start_mediation", actor=world.s_co)
    d = step(d, "extend", actor=world.s_city, days=3)
    # an assigned mediator who has since moved to another committee may still act on the case
    moved = db.session.get(User, world.m1b.id)
    moved.committee_id = world.cv2.id
    db.session.commit()
    d = step(reload(d), "reach_agreement", actor=moved, form="oral", terms="t", amount="1")
    assert reload(d).state == "agreed"
    refused(d.id, try_fire(reload(d), "start_follow_up", actor=world.m2), "not_found")


# -- deadline policy ----------------------------------------------------------------------------------------
def test_policy_applies_to_deadlines_created_afterwards(world):
    before = register(world.cv1, T0)
    set_policy(world.county, {"acceptance_days": 5, "mediation_days": 60})
    after = register(world.cv1, T0)
    assert open_deadlines(before)[0].due_at == T0 + 3 * DAY  # unchanged
    assert open_deadlines(after)[0].due_at == T0 + 5 * DAY  # inherited from the county
    set_policy(world.v1, {"acceptance_days": 2})
    own = register(world.cv1, T0)
    assert open_deadlines(own)[0].due_at == T0 + 2 * DAY  # the village's own value wins
    other = register(world.cv3, T0)
    assert open_deadlines(other)[0].due_at == T0 + 5 * DAY
    d = reload(step(before, "accept", when=T0 + DAY))
    assert open_deadlines(d, "mediation")[0].due_at == T0 + DAY + 60 * DAY  # mediation term under the new policy


def test_acceptance_in_working_days_over_the_spring_festival(world):
    set_policy(world.city, {"day_count": "working"})
    received = local(2026, 2, 13, 10, 0)  # Fri; Sat 02-14 is worked (调休), 02-15…23 are off
    d = register(world.cv1, received)
    assert open_deadlines(d)[0].due_at == local(2026, 2, 25, 10, 0)  # 02-14, 02-24, 02-25
    set_policy(world.city, {"day_count": "calendar"})
    d = register(world.cv1, received)
    assert open_deadlines(d)[0].due_at == received + 3 * DAY


def test_a_working_day_deadline_into_an_unknown_year_is_refused(world):
    set_policy(world.county, {"day_count": "working"})
    d = register(world.cv1, local(2026, 11, 2, 9, 0))
    when = local(2026, 11, 20, 9, 0)  # + 30 working days reaches January 2027
    exc = refused(d.id, try_fire(d, "accept", when=when), "calendar_year_unknown")
    assert exc.details["year"] == 2027 and "2027" in exc.message
    # registering on 30 December: 3 working days reach 2027 too; nothing is stored, no number is used up
    late = local(2026, 12, 30, 9, 0)
    with pytest.raises(DomainError) as caught:
        factories.make_dispute(world.cv1, at=late + DAY, received_at=late.isoformat())
    assert caught.value.code == "calendar_year_unknown" and caught.value.details["year"] == 2027
    assert db.session.scalar(select(func.count(Dispute.id)).where(Dispute.committee_id == world.cv1.id)) == 1
    assert register(world.cv1).case_seq == d.case_seq + 1


# -- refusals in bulk: a snapshot check of each kind ----------------------------------------------------------
def test_snapshot_sees_every_kind_of_change(world):
    d = reach("in_mediation", world.cv1)
    before = snapshot(d.id)
    cases.record_session(d.id, {"mode": "phone", "held_at": (NOW - DAY).isoformat()}, at=NOW)
    assert snapshot(d.id) != before
