"""Random sequences of triggers against the real database, with the workflow's invariants checked after
every step (hypothesis RuleBasedStateMachine).

The session's `world` (org tree, committees, mediators) is made once per test; every example
registers disputes of its own and resets the policy it may change, so examples do not depend on
each other and hypothesis can replay and shrink them.
"""
from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from mediation.common.clock import local_date
from mediation.common.errors import DomainError
from mediation.disputes import triggers
from mediation.disputes.policy import set_policy
from mediation.extensions import db
from mediation.models import Dispute, Event, User
from tests.core_helpers import HOUR, NOW, T0, TABLE, TRIGGERS, events, register, reload, snapshot

OPEN_TERM = ("accepted", "assigned", "in_mediation")
FINAL_OUTCOME = {"reject": "rejected", "fail": "failed", "withdraw": "withdrawn", "close": "agreement"}
FINAL = ("closed", "rejected")
# how often a declared trigger is picked: forward steps often, detours and endings rarely
WEIGHT = {"reject": 1, "withdraw": 1, "fail": 1, "close": 4, "escalate": 1, "reassign": 1, "extend": 2, "reopen": 2,
          "request_confirmation": 2, "record_confirmation": 2}
REASONS = st.sampled_from(["双方分歧", "申请人撤回", "回避", "案情复杂", "x"])
JUNK = st.dictionaries(
    st.sampled_from(["days", "form", "amount", "mediators", "lead", "result", "reason", "reason_code", "committee",
                     "performance", "method", "referral", "parties_consent", "performance_due", "terms"]),
    st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3), st.booleans(), st.lists(st.integers(), max_size=2)),
    max_size=4)


class DisputeWorkflow(RuleBasedStateMachine):
    """Three disputes (two in a village committee, one in a township one) driven at random."""

    def __init__(self, world) -> None:
        super().__init__()
        self.world = world
        self.ids: list[int] = []
        self.applied: dict[int, int] = {}  # steps applied per dispute
        self.states: dict[int, str] = {}  # the state each dispute should be in, by the table
        self.mediators = {c.id: [u.username for u in db.session.scalars(
            select(User).where(User.committee_id == c.id, User.role == "mediator", User.active.is_(True)))]
            for c in world.committees.values()}

    @initialize()
    def register_disputes(self) -> None:
        set_policy(self.world.county, {"max_extensions": None, "max_extension_days": None, "day_count": None})
        for i, committee in enumerate((self.world.cv1, self.world.cv1, self.world.ct1)):
            dispute = register(committee, T0 + i * HOUR)
            self.ids.append(dispute.id)
            self.applied[dispute.id] = 0
            self.states[dispute.id] = "registered"

    # -- payloads -------------------------------------------------------------------------------
    def valid_payload(self, data, trigger: str, dispute) -> dict:
        """A payload that passes validation (guards may still refuse it)."""
        draw = data.draw
        if trigger == "reject":
            return {"reason_code": draw(st.sampled_from(["party_refused", "out_of_scope", "already_handled", "other"])),
                    "reason": draw(REASONS)}
        if trigger in ("assign", "reassign"):
            own = self.mediators[dispute.committee_id]
            others = [u.username for u in (self.world.m2, self.world.m3, self.world.mco)]
            names = draw(st.lists(st.sampled_from(own + others), min_size=1, max_size=3, unique=True)
                         if draw(st.integers(0, 4)) == 0 or not own else
                         st.lists(st.sampled_from(own), min_size=1, max_size=len(own), unique=True))
            return {"mediators": names, "lead": draw(st.sampled_from(names)), "reason": draw(REASONS)}
        if trigger == "extend":
            return {"days": draw(st.integers(1, 35)), "parties_consent": draw(st.sampled_from([True, True, False])),
                    "reason": draw(REASONS)}
        if trigger == "escalate":
            code = draw(st.sampled_from(sorted(c.code for c in self.world.committees.values())))
            return {"committee": code, "reason": draw(REASONS)}
        if trigger == "reach_agreement":
            payload = {"form": draw(st.sampled_from(["oral", "written"])), "terms": "赔偿",
                       "amount": str(draw(st.decimals(0, 100000, places=2, allow_nan=False, allow_infinity=False)))}
            if draw(st.booleans()):
                payload["performance_due"] = (local_date(dispute.last_event_at) + timedelta(days=draw(
                    st.integers(1, 60)))).isoformat()
            return payload
        if trigger == "fail":
            return {"reason": draw(REASONS),
                    "referral": draw(st.sampled_from(["litigation", "arbitration", "administrative", "none"]))}
        if trigger in ("withdraw", "reopen"):
            return {"reason": draw(REASONS)}
        if trigger == "request_confirmation":
            return draw(st.sampled_from([{}, {"court": "测试县人民法院"}]))
        if trigger == "record_confirmation":
            return {"result": draw(st.sampled_from(["confirmed", "denied"]))}
        if trigger == "record_follow_up":
            return {"performance": draw(st.sampled_from(["full", "partial", "none"])),
                    "method": draw(st.sampled_from(["visit", "phone", "video"])), "notes": "回访"}
        return {}

    # -- rules ----------------------------------------------------------------------------------------
    @rule(data=st.data(), index=st.integers(0, 2), any_trigger=st.sampled_from(TRIGGERS + ("bogus",)),
          declared=st.integers(0, 3), valid=st.integers(0, 5), hours=st.integers(-3, 120), stale=st.integers(0, 12),
          policy=st.one_of(st.none(), st.none(), st.none(), st.none(), st.none(), st.tuples(
              st.integers(0, 2), st.integers(5, 30), st.sampled_from(["calendar", "working"]))))
    def fire(self, data, index: int, any_trigger: str, declared: int, valid: int, hours: int, stale: int,
             policy) -> None:
        """One trigger on one dispute; now and then the county's policy changes first (it applies to
        deadlines created afterwards)."""
        if policy is not None:
            max_extensions, max_days, day_count = policy
            set_policy(self.world.county, {"max_extensions": max_extensions, "max_extension_days": max_days,
                                           "day_count": day_count})
        if declared:  # mostly work on a dispute that is still open
            order = self.ids[index:] + self.ids[:index]
            index = self.ids.index(next((i for i in order if self.states[i] not in FINAL), order[0]))
        dispute_id = self.ids[index]
        dispute = reload(dispute_id)
        assert dispute.state == self.states[dispute_id]
        state, version = dispute.state, dispute.version
        allowed = triggers.allowed_triggers(dispute)
        # mostly a trigger the table declares from here, rarely one that ends the case, so that runs
        # get deep into the workflow (agreement, follow-up, reopen)
        weighted = [t for t in allowed for _ in range(WEIGHT.get(t, 6))]
        trigger = data.draw(st.sampled_from(weighted)) if declared and weighted else any_trigger
        payload = self.valid_payload(data, trigger, dispute) if valid else data.draw(JUNK)
        when = dispute.last_event_at + timedelta(hours=hours)
        sent_version = version - 1 if stale == 0 else version
        before = snapshot(dispute_id)
        try:
            self.fire_and_check(dispute_id, trigger, sent_version, when, payload)
        except DomainError as exc:
            event(f"refused {exc.code}")
            assert snapshot(dispute_id) == before, f"refused {trigger} ({exc.code}) changed rows"
            if sent_version != version:
                assert exc.code == "version_conflict"
            elif (trigger, state) not in TABLE:
                assert exc.code == "invalid_transition", (trigger, state, exc.code)
            else:
                assert exc.code in ("validation_error", "guard_failed"), (exc.code, exc.message)
            return
        assert sent_version == version and (trigger, state) in TABLE and hours >= 0
        self.applied[dispute_id] += 1
        self.states[dispute_id] = TABLE[(trigger, state)]
        assert reload(dispute_id).state == TABLE[(trigger, state)]
        event(f"reached {TABLE[(trigger, state)]}")
        last = events(dispute_id)[-1]
        assert (last.trigger, last.from_state, last.occurred_at) == (trigger, state, when)

    def fire_and_check(self, dispute_id: int, trigger: str, version: int, when, payload: dict) -> None:
        """Fires, then checks every invariant of the dispute, applied or refused."""
        try:
            triggers.fire_trigger(dispute_id, trigger, version=version, occurred_at=when.isoformat(),
                                     payload=payload, at=NOW)
        finally:
            applied = self.applied[dispute_id] + (0 if sys.exc_info()[0] else 1)
            check(reload(dispute_id), events(dispute_id), applied)

    # -- invariants ------------------------------------------------------------------------------------
    @invariant()
    def every_dispute_is_where_the_table_says(self) -> None:
        """Cheap, after every step, for all disputes: state and version as tracked, no stray event.
        (The full `check` runs on the dispute a step touched, in the rule itself.)"""
        if not self.ids:
            return
        rows = dict(db.session.execute(select(Dispute.id, Dispute.state).where(Dispute.id.in_(self.ids))).all())
        versions = dict(db.session.execute(select(Dispute.id, Dispute.version).where(Dispute.id.in_(self.ids))).all())
        assert rows == self.states
        assert versions == {i: 1 + n for i, n in self.applied.items()}
        count = db.session.scalar(select(func.count(Event.id)).where(Event.dispute_id.in_(self.ids)))
        assert count == sum(self.applied.values()) + len(self.ids)


def check(d, trail, applied: int) -> None:
    """The invariants of one dispute."""
    assert len(trail) == applied + 1 and trail[0].trigger == "register"
    assert d.version == 1 + applied
    assert d.state == trail[-1].to_state
    assert [e.id for e in trail] == sorted(e.id for e in trail)  # occurred_at never went backwards
    assert d.last_event_at == trail[-1].occurred_at
    open_by_kind: dict[str, int] = {}
    for deadline in d.deadlines:
        if deadline.status == "open":
            open_by_kind[deadline.kind] = open_by_kind.get(deadline.kind, 0) + 1
    assert all(n == 1 for n in open_by_kind.values()), open_by_kind
    if d.state in ("closed", "rejected"):
        assert open_by_kind == {} and d.closed_at is not None
        assert d.active_assignments == []
        assert d.outcome == FINAL_OUTCOME[trail[-1].trigger]
    else:
        assert d.outcome is None and d.closed_at is None
    if d.state in ("agreed", "follow_up"):
        assert d.agreement is not None and d.concluded_at == d.agreement.agreed_at
    assert ("mediation" in open_by_kind) == (d.state in OPEN_TERM)
    assert ("acceptance" in open_by_kind) == (d.state == "registered")
    if d.state in ("assigned", "in_mediation"):
        assert d.active_assignments
    if d.accepted_at is not None:
        accept = next(e for e in trail if e.trigger == "accept")
        assert d.accepted_at == accept.occurred_at
    for e in trail:
        if e.trigger == "reach_agreement":
            assert e.amount is not None and e.amount >= Decimal("0")


def test_random_trigger_sequences_keep_the_invariants(world):
    run_state_machine_as_test(
        lambda: DisputeWorkflow(world),
        settings=settings(max_examples=8, stateful_step_count=30, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
