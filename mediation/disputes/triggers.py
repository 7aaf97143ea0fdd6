"""Firing a workflow trigger on a dispute: one transaction, one event (docs/workflow.md).

The machine in `workflows/` decides *whether* a step may happen; this module decides how it is
stored: the dispute row locked and its version checked, the payload validated, then the step
taken by disputes/effects.py (guards, state, deadlines, child rows) on this transaction's rows
through `OrmStore`, and one Event written.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import workflows
from mediation.common.clock import now as clock_now
from mediation.common.errors import InvalidTransition, ValidationError, VersionConflict
from mediation.common.validation import load
from mediation.disputes import effects, trail
from mediation.disputes.cases import CLOCK_SKEW, ensure_may_act, load_dispute
from mediation.disputes.schemas import WhenIn, payload_schema
from mediation.disputes.store import STORE
from mediation.infra.database import unit_of_work
from mediation.models import Dispute, Event, User

Payload = dict[str, Any]


def validate_payload(trigger: str, raw: Payload) -> Payload:
    """The trigger's payload loaded through its schema (disputes/schemas.py), or ValidationError."""
    return load(payload_schema(trigger), raw)


def fire_trigger(dispute_id: int, trigger: str, *, version: Any, actor: Optional[User] = None,
                 occurred_at: Any = None, payload: Optional[Payload] = None, at: Optional[datetime] = None) -> Dispute:
    """Applies `trigger` to the dispute, or raises a typed error and changes nothing.

    `occurred_at` (default now) may be back-dated for paper records, but never lies in the future
    nor before the dispute's previous transition or record; dated further back than the policy's
    `max_backdate_days` it needs `backdate_reason` (in `payload`) and the event is flagged
    `backdated` (docs/events.md). `at` injects "now" (tests, the demo generator).
    """
    raw = dict(payload or {})
    backdate_reason = raw.pop("backdate_reason", None)
    now = at or clock_now()
    if not isinstance(trigger, str) or not trigger:
        raise ValidationError({"trigger": ["is required"]})
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError({"version": ["is required (the version you read)"]})
    when = load(WhenIn(), {"occurred_at": occurred_at})["occurred_at"] or now
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

        policy = STORE.policy_of(dispute.committee)  # the handling org's, before an escalation moves it
        event = effects.take_step(dispute, STORE, trigger, clean, when, actor, make_event)
        # after the guards (a refusal of the workflow is the answer that matters most); raising here
        # rolls the whole step back
        fields: dict[str, list[str]] = {}
        reason = trail.backdating(when, now, policy, backdate_reason, fields)
        if fields:
            raise ValidationError(fields)
        event.backdated, event.backdate_reason = reason is not None, reason
        session.add(event)
        session.flush()
    return dispute


def allowed_triggers(dispute: Dispute) -> list[str]:
    return workflows.get(dispute.workflow).allowed_triggers(dispute.state)


