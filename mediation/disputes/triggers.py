"""Firing a workflow trigger on a dispute: one transaction, one event (docs/workflow.md).

The machine in `workflows/` decides *whether* a step may happen; this module decides how it is
stored: the dispute row locked and its version checked, the payload validated, then the step
taken by disputes/effects.py (guards, state, deadlines, child rows) on this transaction's rows
through `OrmStore`, and one Event written.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Optional

import workflows
from mediation.common.clock import now as clock_now
from mediation.common.errors import InvalidTransition, ValidationError, VersionConflict
from mediation.disputes import effects
from mediation.disputes.cases import CLOCK_SKEW, choice, ensure_may_act, load_dispute, parse_amount, parse_time, text
from mediation.disputes.store import STORE
from mediation.infra.database import unit_of_work
from mediation.models import Dispute, Event, User
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
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        if dispute.version != version:
            raise VersionConflict("the dispute was changed by someone else; reload it", current=dispute.version)
        try:
            workflows.get(dispute.workflow).transition_for(trigger, dispute.state)
        except workflows.InvalidTransition as exc:
            raise InvalidTransition(exc.message, **exc.details) from None
        clean = validate_payload(trigger, raw)
        if when > now + CLOCK_SKEW:
            raise ValidationError({"occurred_at": ["cannot lie in the future"]})
        when = min(when, now)  # a client clock slightly ahead records "now", not a future instant

        def make_event(from_state: str, to_state: str) -> Event:
            return Event(dispute=dispute, trigger=trigger, from_state=from_state, to_state=to_state, actor=actor,
                         committee_id=dispute.committee_id, org_id=dispute.committee.org_id, occurred_at=when,
                         recorded_at=now, payload=effects.event_payload(clean))

        event = effects.take_step(dispute, STORE, trigger, clean, when, actor, make_event)
        session.add(event)
        session.flush()
    return dispute


def allowed_triggers(dispute: Dispute) -> list[str]:
    return workflows.get(dispute.workflow).allowed_triggers(dispute.state)


