"""Firing a workflow trigger on a dispute: one transaction, one event (DESIGN.md, The workflow).

The machine in `workflows/` decides *whether* a step may happen; this module decides how it is
stored: the dispute row locked and its version checked, the payload validated, guards evaluated,
state, outcome and timestamps changed, deadlines opened, met, moved or cancelled, one Event written.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select

import workflows
from mediation.common.clock import local_date
from mediation.common.clock import now as clock_now
from mediation.common.errors import GuardFailed, InvalidTransition, ValidationError, VersionConflict
from mediation.disputes import deadlines
from mediation.disputes.cases import CLOCK_SKEW, choice, ensure_may_act, load_dispute, parse_amount, parse_time, text
from mediation.disputes.policy import effective_policy
from mediation.disputes.workdays import WorkingCalendar, add_days
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import Agreement, Assignment, Committee, Dispute, Event, FollowUp, User  # noqa: F401
from mediation.models.enums import AGREEMENT_FORMS, FOLLOW_UP_METHODS, PERFORMANCE, REFERRALS, REJECT_REASONS

Payload = dict[str, Any]


# -- payload validation per trigger (422 validation_error) ---------------------------------------
def _mediators(raw: Payload, fields: dict) -> Payload:
    names = raw.get("mediators")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        fields["mediators"] = ["must be a list of usernames"]
        return {}
    names = list(dict.fromkeys(names))
    lead = raw.get("lead") or (names[0] if names else None)
    if names and lead not in names:
        fields["lead"] = ["must be one of the mediators"]
    # An empty list is well-formed; the workflow's `no_mediator` rule refuses it (guard_failed).
    return {"mediators": names, "lead": lead}


def _reject(raw: Payload, fields: dict) -> Payload:
    return {"reason_code": choice(raw.get("reason_code"), "reason_code", fields, REJECT_REASONS),
            "reason": text(raw.get("reason"), "reason", fields, 2000)}


def _reassign(raw: Payload, fields: dict) -> Payload:
    return {**_mediators(raw, fields), "reason": text(raw.get("reason"), "reason", fields, 2000)}


def _extend(raw: Payload, fields: dict) -> Payload:
    days = raw.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1 or days > 365:
        fields["days"] = ["must be a whole number of days ≥ 1"]
    consent = raw.get("parties_consent")
    if not isinstance(consent, bool):
        fields["parties_consent"] = ["must be true or false"]
    return {"days": days, "parties_consent": consent, "reason": text(raw.get("reason"), "reason", fields, 2000)}


def _escalate(raw: Payload, fields: dict) -> Payload:
    code = raw.get("committee")
    if not isinstance(code, str) or not code:
        fields["committee"] = ["is required"]
    return {"committee": code, "reason": text(raw.get("reason"), "reason", fields, 2000)}


def _agreement(raw: Payload, fields: dict) -> Payload:
    due = raw.get("performance_due")
    parsed_due = None
    if due not in (None, ""):
        try:
            parsed_due = date.fromisoformat(str(due))
        except ValueError:
            fields["performance_due"] = ["must be a date YYYY-MM-DD"]
    return {"form": choice(raw.get("form"), "form", fields, AGREEMENT_FORMS),
            "terms": text(raw.get("terms"), "terms", fields, 20000),
            "amount": parse_amount(raw.get("amount"), "amount", fields, required=True),
            "performance_due": parsed_due}


def _fail(raw: Payload, fields: dict) -> Payload:
    return {"reason": text(raw.get("reason"), "reason", fields, 2000),
            "referral": choice(raw.get("referral"), "referral", fields, REFERRALS)}


def _reason(raw: Payload, fields: dict) -> Payload:
    return {"reason": text(raw.get("reason"), "reason", fields, 2000)}


def _request_confirmation(raw: Payload, fields: dict) -> Payload:
    return {"court": text(raw.get("court"), "court", fields, 120, required=False) or None}


def _record_confirmation(raw: Payload, fields: dict) -> Payload:
    return {"result": choice(raw.get("result"), "result", fields, ("confirmed", "denied"))}


def _follow_up(raw: Payload, fields: dict) -> Payload:
    return {"performance": choice(raw.get("performance"), "performance", fields, PERFORMANCE),
            "method": choice(raw.get("method"), "method", fields, FOLLOW_UP_METHODS),
            "notes": text(raw.get("notes"), "notes", fields, 20000, required=False)}


PAYLOADS: dict[str, Callable[[Payload, dict], Payload]] = {
    "reject": _reject, "assign": _mediators, "reassign": _reassign, "extend": _extend, "escalate": _escalate,
    "reach_agreement": _agreement, "fail": _fail, "withdraw": _reason, "reopen": _reason,
    "request_confirmation": _request_confirmation, "record_confirmation": _record_confirmation,
    "record_follow_up": _follow_up,
}


def validate_payload(trigger: str, raw: Payload) -> Payload:
    fields: dict[str, list[str]] = {}
    parse = PAYLOADS.get(trigger)
    payload = parse(raw, fields) if parse else {}
    if fields:
        raise ValidationError(fields)
    return payload


# -- facts the guards read -------------------------------------------------------------------
def _users(usernames: list[str]) -> dict[str, User]:
    if not usernames:
        return {}
    return {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}


def gather_facts(dispute: Dispute, trigger: str, payload: Payload, occurred_at: datetime,
                 policy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain facts for the guards, and the loaded objects the effects need."""
    org = dispute.committee.org
    facts: dict[str, Any] = {"handling_org_path": org.ancestor_ids, "occurred_at": occurred_at,
                             "extensions_used": dispute.extensions_used,
                             "max_extensions": policy["max_extensions"],
                             "max_extension_days": policy["max_extension_days"],
                             "follow_up_count": len(dispute.follow_ups),
                             "last_performance": dispute.follow_ups[-1].performance if dispute.follow_ups else None}
    loaded: dict[str, Any] = {}
    agreement = dispute.agreement
    if agreement is not None:
        facts.update(agreement_form=agreement.form, agreed_at=agreement.agreed_at,
                     confirmation=agreement.confirmation)
    if trigger in ("assign", "reassign"):
        users = _users(payload["mediators"])
        loaded["mediators"] = users
        facts["committee_mediators"] = {
            u.username: u.display_name for u in users.values()
            if u.role == "mediator" and u.active and u.committee_id == dispute.committee_id}
        facts["mediators"] = {u.username: u.display_name for u in users.values()}
        facts["party_names"] = [p.name for p in dispute.parties if p.kind == "person"]
    if trigger == "escalate":
        target = db.session.scalar(select(Committee).where(Committee.code == payload["committee"]))
        if target is None:
            raise ValidationError({"committee": ["no such committee"]})
        loaded["target"] = target
        facts["target_org_path"] = target.org.ancestor_ids
        facts["target_active"] = target.active
    return facts, loaded


# -- effects by tag ---------------------------------------------------------------------------
def _end_assignments(dispute: Dispute, at: datetime) -> None:
    for assignment in dispute.active_assignments:
        assignment.ended_at = at


def _assign(dispute: Dispute, payload: Payload, loaded: dict, at: datetime) -> None:
    _end_assignments(dispute, at)
    users = loaded["mediators"]
    for name in payload["mediators"]:
        dispute.assignments.append(Assignment(mediator=users[name], lead=(name == payload["lead"]),
                                              assigned_at=at))


def _new_mediation_term(dispute: Dispute, at: datetime, policy: dict, calendar: WorkingCalendar) -> None:
    deadlines.cancel(dispute, at, "mediation")
    deadlines.open_deadline(dispute, "mediation", at, policy["mediation_days"], policy, calendar)
    dispute.extensions_used = 0


def apply_effects(dispute: Dispute, transition: workflows.Transition, payload: Payload, loaded: dict,
                  at: datetime, actor: Optional[User], policy: dict, event: Event) -> None:
    tags = transition.tags
    calendar = WorkingCalendar()
    if "accept" in tags:
        dispute.accepted_at = at
        deadlines.meet(dispute, "acceptance", at)
        _new_mediation_term(dispute, at, policy, calendar)
    if "decide_acceptance" in tags:
        deadlines.meet(dispute, "acceptance", at)
        event.result = payload["reason_code"]
    if "assign" in tags:
        _assign(dispute, payload, loaded, at)
    if "start_mediation" in tags:
        dispute.mediation_started_at = at
    if "extend" in tags:
        for deadline in deadlines.open_deadlines(dispute, "mediation"):
            event.payload = {**event.payload, "due_before": deadline.due_at.isoformat()}
            deadline.due_at = add_days(deadline.due_at, payload["days"], policy["day_count"], calendar)
            event.payload = {**event.payload, "due_after": deadline.due_at.isoformat()}
        dispute.extensions_used += 1
    if "escalate" in tags:
        target: Committee = loaded["target"]
        event.payload = {**event.payload, "from_committee": dispute.committee.code, "to_committee": target.code,
                         "to_org": target.org.code}
        _end_assignments(dispute, at)
        dispute.committee_id = target.id
        dispute.committee = target
        _new_mediation_term(dispute, at, effective_policy(target.org), calendar)
    if "conclude" in tags:
        # Agreement, failure and withdrawal all conclude the mediation term (the statistics count
        # each as concluded against this deadline), so it is met; a withdrawal before acceptance
        # has none, and its acceptance deadline is cancelled below (no decision was needed).
        mediation = deadlines.open_deadlines(dispute, "mediation")
        event.due_at = mediation[0].due_at if mediation else None
        dispute.concluded_at = at
        deadlines.meet(dispute, "mediation", at)
    if "agree" in tags:
        agreement = Agreement(form=payload["form"], terms=payload["terms"], amount=payload["amount"],
                              performance_due=payload["performance_due"], agreed_at=at, confirmation="none")
        dispute.agreements.append(agreement)
        event.amount = payload["amount"]
        if payload["form"] == "written":
            deadlines.open_confirmation_window(dispute, at)
        deadlines.open_follow_up(dispute, at, payload["performance_due"], policy, calendar)
    if "request_confirmation" in tags:
        agreement = dispute.agreement
        agreement.confirmation, agreement.confirmation_requested_at = "requested", at
        agreement.confirmation_court = payload["court"]
        deadlines.meet(dispute, "confirmation", at)
    if "record_confirmation" in tags:
        agreement = dispute.agreement
        agreement.confirmation, agreement.confirmation_decided_at = payload["result"], at
        event.result = payload["result"]
    if "follow_up" in tags:
        dispute.follow_ups.append(FollowUp(performance=payload["performance"], method=payload["method"],
                                           notes=payload["notes"], visited_at=at,
                                           recorded_by_id=actor.id if actor else None))
        deadlines.meet(dispute, "follow_up", at)
        event.result = payload["performance"]
    if "reopen" in tags:
        deadlines.cancel(dispute, at, "follow_up")
        deadlines.cancel(dispute, at, "confirmation")
        dispute.concluded_at = None
        _new_mediation_term(dispute, at, policy, calendar)
    if transition.trigger == "fail":
        event.result = payload["referral"]
    if transition.trigger == "close":
        event.result = dispute.follow_ups[-1].performance if dispute.follow_ups else None
    if "finish" in tags:
        dispute.closed_at = at
        _end_assignments(dispute, at)
        deadlines.cancel(dispute, at)


def _event_payload(trigger: str, payload: Payload) -> dict[str, Any]:
    """The payload as stored on the event: plain JSON values."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, (date, datetime)) else (
            str(value) if not isinstance(value, (str, int, float, bool, list, dict)) else value)
    return out


def fire_trigger(dispute_id: int, trigger: str, *, version: Any, actor: Optional[User] = None,
                 occurred_at: Any = None, payload: Optional[Payload] = None, at: Optional[datetime] = None) -> Dispute:
    """Applies `trigger` to the dispute, or raises a typed error and changes nothing.

    `occurred_at` (default now) may be back-dated for paper records, but never lies in the future
    nor before the dispute's previous event. `at` injects "now" (tests, the demo generator).
    """
    raw = payload or {}
    now = at or clock_now()
    fields: dict[str, list[str]] = {}
    if not isinstance(trigger, str) or not trigger:
        raise ValidationError({"trigger": ["is required"]})
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError({"version": ["is required (the version you read)"]})
    when = parse_time(occurred_at, "occurred_at", fields, default=now)
    if fields:
        raise ValidationError(fields)
    with unit_of_work(keep_loaded=True) as session:  # the response shows the dispute as committed
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        if dispute.version != version:
            raise VersionConflict("the dispute was changed by someone else; reload it", current=dispute.version)
        definition = workflows.get(dispute.workflow)
        try:
            transition = definition.transition_for(trigger, dispute.state)
        except workflows.InvalidTransition as exc:
            raise InvalidTransition(exc.message, **exc.details) from None
        clean = validate_payload(trigger, raw)
        if when > now + CLOCK_SKEW:
            raise ValidationError({"occurred_at": ["cannot lie in the future"]})
        when = min(when, now)  # a client clock slightly ahead records "now", not a future instant
        if when < dispute.last_event_at:
            raise ValidationError({"occurred_at": ["cannot lie before the dispute's previous event "
                                                   f"({dispute.last_event_at.isoformat()})"]})
        due = clean.get("performance_due")
        if trigger == "reach_agreement" and due is not None and due < local_date(when):
            raise ValidationError({"performance_due": ["cannot lie before the day of the agreement"]})
        policy = effective_policy(dispute.committee.org)
        facts, loaded = gather_facts(dispute, trigger, clean, when, policy)
        try:
            new_state = definition.fire(dispute.state, trigger, facts, clean)
        except workflows.GuardFailed as exc:
            raise GuardFailed(exc.message, reason=exc.reason, trigger=trigger) from None
        except workflows.InvalidTransition as exc:  # pragma: no cover - checked above
            raise InvalidTransition(exc.message, **exc.details) from None
        event = Event(dispute=dispute, trigger=trigger, from_state=dispute.state, to_state=new_state, actor=actor,
                      committee_id=dispute.committee_id, org_id=dispute.committee.org_id, occurred_at=when,
                      recorded_at=now, payload=_event_payload(trigger, clean))
        apply_effects(dispute, transition, clean, loaded, when, actor, policy, event)
        dispute.state = new_state
        if transition.outcome:
            dispute.outcome = transition.outcome
        dispute.last_event_at = when
        dispute.version += 1
        session.add(event)
        session.flush()
    return dispute


def allowed_triggers(dispute: Dispute) -> list[str]:
    return workflows.get(dispute.workflow).allowed_triggers(dispute.state)


