"""What a workflow step does to a dispute's record, written once for every place a dispute lives.

`take_step` checks the step's dates, gathers the facts the guards read, fires the machine and
applies the effects of the transition's tags: state, outcome and timestamps changed, deadlines
opened, met, moved or cancelled, assignments, agreements and follow-ups added, the event's facts
(amount, deadline in force, result) filled in. It touches no database: what it needs from where
the dispute lives (new child rows, users, committees, policies) it asks of a `Store`.

Two stores exist: `triggers.OrmStore` (a dispute loaded in a transaction: `fire_trigger`) and the
demo's in-memory case file store (demo/casefile.py), which lives 100,000 disputes by exactly
these rules and writes them in bulk. A rule changed here changes for both.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Optional, Protocol

from flask_babel import lazy_gettext as _l

import workflows
from mediation.common.clock import isoformat, local_date, local_midnight
from mediation.common.errors import GuardFailed, InvalidTransition, ValidationError
from mediation.disputes import deadlines
from mediation.disputes.policy import CONFIRMATION_DAYS
from mediation.disputes.workdays import WorkingCalendar, add_days

Payload = dict[str, Any]
# Triggers whose facts name other records (mediators, a committee) that the store looks up.
LOOKUP_TRIGGERS = ("assign", "reassign", "escalate")
# The machine's answer for a step without guards depends on (workflow, state, trigger) alone.
_UNGUARDED: dict[tuple[str, str, str], str] = {}


class Store(Protocol):
    """Where a dispute lives: how its child rows are made, and the look-ups its facts need."""

    def users(self, usernames: list[str]) -> dict[str, Any]: ...

    def committee(self, code: str) -> Optional[Any]: ...

    def policy_of(self, committee: Any) -> dict[str, Any]: ...

    def add_deadline(self, record: Any, kind: str, due_at: datetime, at: datetime) -> Any: ...

    def add_assignment(self, record: Any, mediator: Any, lead: bool, at: datetime) -> Any: ...

    def add_agreement(self, record: Any, form: str, terms: str, amount: Any, performance_due: Optional[date],
                      at: datetime) -> Any: ...

    def add_follow_up(self, record: Any, performance: str, method: str, notes: str, at: datetime,
                      actor: Optional[Any]) -> Any: ...


# -- deadlines, as docs/deadlines.md counts them ----------------------------------------------
def follow_up_due(agreed_at: datetime, performance_due: Optional[date], policy: dict[str, Any],
                  calendar: Optional[WorkingCalendar] = None) -> datetime:
    """回访期限: the end of the day `performance_due + follow_up_days` (Asia/Shanghai), or, without a
    due date, `agreed_at + follow_up_days`; counted as the policy says (calendar or working days)."""
    days = policy["follow_up_days"]
    if performance_due is None:
        return add_days(agreed_at, days, policy["day_count"], calendar)
    last_day = local_date(add_days(local_midnight(performance_due), days, policy["day_count"], calendar))
    return local_midnight(last_day + timedelta(days=1))


def open_acceptance(record: Any, store: Store, received_at: datetime, policy: dict[str, Any],
                    at: datetime) -> None:
    """受理期限, opened at registration."""
    due = add_days(received_at, policy["acceptance_days"], policy["day_count"], None)
    store.add_deadline(record, "acceptance", due, at)


def _new_mediation_term(record: Any, store: Store, at: datetime, policy: dict, calendar: WorkingCalendar) -> None:
    deadlines.cancel(record, at, "mediation")
    store.add_deadline(record, "mediation", add_days(at, policy["mediation_days"], policy["day_count"], calendar), at)
    record.extensions_used = 0


def _end_assignments(record: Any, at: datetime) -> None:
    for assignment in record.active_assignments:
        assignment.ended_at = at


# -- the facts the guards read ----------------------------------------------------------------
def gather_facts(record: Any, store: Store, trigger: str, payload: Payload, occurred_at: datetime,
                 policy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain facts for the guards, and the looked-up records the effects need."""
    facts: dict[str, Any] = {"handling_org_path": record.committee.org.ancestor_ids, "occurred_at": occurred_at,
                             "extensions_used": record.extensions_used,
                             "max_extensions": policy["max_extensions"],
                             "max_extension_days": policy["max_extension_days"],
                             "follow_up_count": len(record.follow_ups),
                             "last_performance": record.follow_ups[-1].performance if record.follow_ups else None}
    loaded: dict[str, Any] = {}
    agreement = record.agreement
    if agreement is not None:
        facts.update(agreement_form=agreement.form, agreed_at=agreement.agreed_at,
                     confirmation=agreement.confirmation)
    if trigger in ("assign", "reassign"):
        users = store.users(payload["mediators"])
        loaded["mediators"] = users
        facts["committee_mediators"] = {
            u.username: u.display_name for u in users.values()
            if u.role == "mediator" and u.active and u.committee_id == record.committee_id}
        facts["mediators"] = {u.username: u.display_name for u in users.values()}
        facts["party_names"] = [p.name for p in record.parties if p.kind == "person"]
    if trigger == "escalate":
        target = store.committee(payload["committee"])
        if target is None:
            raise ValidationError({"committee": ["no such committee"]})
        loaded["target"] = target
        facts["target_org_path"] = target.org.ancestor_ids
        facts["target_active"] = target.active
    return facts, loaded


# -- one step ----------------------------------------------------------------------------------
def check_dates(record: Any, trigger: str, clean: Payload, when: datetime) -> None:
    """A step is not dated before the dispute's previous event; an agreement's performance date
    not before the day of the agreement."""
    if when < record.last_event_at:
        raise ValidationError({"occurred_at": [_l("cannot lie before the dispute's previous event (%(at)s)",
                                                  at=isoformat(record.last_event_at))]})
    due = clean.get("performance_due")
    if trigger == "reach_agreement" and due is not None and due < local_date(when):
        raise ValidationError({"performance_due": [_l("cannot lie before the day of the agreement")]})


def take_step(record: Any, store: Store, trigger: str, clean: Payload, when: datetime, actor: Optional[Any],
              make_event: Callable[[str, str], Any]) -> Any:
    """Fires `trigger` on the record (payload already validated), applies its effects and returns
    the event `make_event(from_state, to_state)` made; raises a typed error and changes nothing
    when the machine or a guard says no."""
    definition = workflows.get(record.workflow)
    try:
        transition = definition.transition_for(trigger, record.state)
    except workflows.InvalidTransition as exc:
        raise InvalidTransition(exc.message, **exc.details) from None
    check_dates(record, trigger, clean, when)
    policy = store.policy_of(record.committee)
    key = (record.workflow, record.state, trigger)
    if not transition.guards and key in _UNGUARDED:
        new_state, loaded = _UNGUARDED[key], {}
    else:
        facts, loaded = gather_facts(record, store, trigger, clean, when, policy)
        try:
            new_state = definition.fire(record.state, trigger, facts, clean)
        except workflows.GuardFailed as exc:
            raise GuardFailed(exc.message, reason=exc.reason, trigger=trigger) from None
        if not transition.guards and trigger not in LOOKUP_TRIGGERS:
            _UNGUARDED[key] = new_state
    event = make_event(record.state, new_state)
    apply_effects(record, store, transition, clean, loaded, when, actor, policy, event)
    record.state = new_state
    if transition.outcome:
        record.outcome = transition.outcome
    record.last_event_at = when
    record.version += 1
    return event


def apply_effects(record: Any, store: Store, transition: workflows.Transition, payload: Payload, loaded: dict,
                  at: datetime, actor: Optional[Any], policy: dict, event: Any) -> None:
    """The effects of the transition's tags, in a fixed order (docs/workflow.md, effects)."""
    tags = transition.tags
    calendar = WorkingCalendar()
    if "accept" in tags:
        record.accepted_at = at
        deadlines.meet(record, "acceptance", at)
        _new_mediation_term(record, store, at, policy, calendar)
    if "decide_acceptance" in tags:
        deadlines.meet(record, "acceptance", at)
        event.result = payload["reason_code"]
    if "assign" in tags:
        _end_assignments(record, at)
        users = loaded["mediators"]
        for name in payload["mediators"]:
            store.add_assignment(record, users[name], name == payload["lead"], at)
    if "start_mediation" in tags:
        record.mediation_started_at = at
    if "extend" in tags:
        for deadline in deadlines.open_deadlines(record, "mediation"):
            event.payload = {**event.payload, "due_before": deadline.due_at.isoformat()}
            deadline.due_at = add_days(deadline.due_at, payload["days"], policy["day_count"], calendar)
            event.payload = {**event.payload, "due_after": deadline.due_at.isoformat()}
        record.extensions_used += 1
    if "escalate" in tags:
        target = loaded["target"]
        event.payload = {**event.payload, "from_committee": record.committee.code, "to_committee": target.code,
                         "to_org": target.org.code}
        _end_assignments(record, at)
        record.committee_id, record.committee = target.id, target
        _new_mediation_term(record, store, at, store.policy_of(target), calendar)
    if "conclude" in tags:
        # Agreement, failure and withdrawal all conclude the mediation term (the statistics count
        # each as concluded against this deadline), so it is met; a withdrawal before acceptance
        # has none, and its acceptance deadline is cancelled below (no decision was needed).
        mediation = deadlines.open_deadlines(record, "mediation")
        event.due_at = mediation[0].due_at if mediation else None
        record.concluded_at = at
        deadlines.meet(record, "mediation", at)
    if "agree" in tags:
        store.add_agreement(record, payload["form"], payload["terms"], payload["amount"], payload["performance_due"],
                            at)
        event.amount = payload["amount"]
        if payload["form"] == "written":  # 30 calendar days, fixed by law (art. 33)
            store.add_deadline(record, "confirmation", at + timedelta(days=CONFIRMATION_DAYS), at)
        store.add_deadline(record, "follow_up", follow_up_due(at, payload["performance_due"], policy, calendar), at)
    if "request_confirmation" in tags:
        agreement = record.agreement
        agreement.confirmation, agreement.confirmation_requested_at = "requested", at
        agreement.confirmation_court = payload["court"]
        deadlines.meet(record, "confirmation", at)
    if "record_confirmation" in tags:
        agreement = record.agreement
        agreement.confirmation, agreement.confirmation_decided_at = payload["result"], at
        event.result = payload["result"]
    if "follow_up" in tags:
        store.add_follow_up(record, payload["performance"], payload["method"], payload["notes"], at, actor)
        deadlines.meet(record, "follow_up", at)
        event.result = payload["performance"]
    if "reopen" in tags:
        deadlines.cancel(record, at, "follow_up")
        deadlines.cancel(record, at, "confirmation")
        record.concluded_at = None
        _new_mediation_term(record, store, at, policy, calendar)
    if transition.trigger == "fail":
        event.result = payload["referral"]
    if transition.trigger == "close":
        event.result = record.follow_ups[-1].performance if record.follow_ups else None
    if "finish" in tags:
        record.closed_at = at
        _end_assignments(record, at)
        deadlines.cancel(record, at)


def event_payload(payload: Payload) -> dict[str, Any]:
    """The payload as stored on the event: plain JSON values."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, (date, datetime)) else (
            str(value) if not isinstance(value, (str, int, float, bool, list, dict)) else value)
    return out
