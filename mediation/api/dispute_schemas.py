"""How a dispute reads and is written in the API (docs/api.md).

ID and phone numbers leave only through the masking helpers of common/personal.py, and free text
(summary, addresses, notes, terms, event payloads) through `Redacted` (personal.redact).
"""
from __future__ import annotations

from marshmallow import fields, validate

import workflows
from mediation.api.schemas import Day, Instant, Money, PageArgs, Redacted, RedactedDict, Schema, one_of
from mediation.common.personal import mask_id_number, mask_phone, redact
from mediation.disputes.schemas import (  # noqa: F401  the resources declare them from here
    DisputeIn,
    DisputePatch,
    PartyIn,
    PreventionIn,
    PreventionWithdrawal,
    SessionIn,
    WhenIn,
    payload_fields,
)
from mediation.disputes.triggers import allowed_triggers
from mediation.models.enums import (
    DISPUTE_TYPES,
)

STANDARD = workflows.get("standard")


# -- reading ---------------------------------------------------------------------------------
class PartyOut(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    kind = fields.String(required=True)
    name = Redacted(required=True)
    id_number = fields.Function(lambda p: mask_id_number(p.id_number), required=True, allow_none=True,
                                metadata={"type": "string", "description": "masked, e.g. 3301**********0018"})
    phone = fields.Function(lambda p: mask_phone(p.phone), required=True, allow_none=True,
                            metadata={"type": "string", "description": "masked, e.g. 139****5678"})
    address = Redacted(required=True, allow_none=True)


class PartyRevealedOut(Schema):
    """A party with its numbers in full (the reveal route only; recorded as an access record)."""

    id = fields.Integer(required=True)
    dispute_id = fields.Integer(required=True)
    role = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, allow_none=True, metadata={"description": "in full"})
    phone = fields.String(required=True, allow_none=True, metadata={"description": "in full"})
    address = fields.String(required=True, allow_none=True)


class AssignmentOut(Schema):
    mediator = fields.Function(lambda a: a.mediator.username, required=True, metadata={"type": "string"})
    display_name = fields.Function(lambda a: redact(a.mediator.display_name), required=True,
                                   metadata={"type": "string"})
    lead = fields.Boolean(required=True)
    assigned_at = Instant(required=True)
    ended_at = Instant(required=True, allow_none=True)


class SessionOut(Schema):
    id = fields.Integer(required=True)
    dispute_id = fields.Integer(required=True)
    held_at = Instant(required=True)
    mode = fields.String(required=True)
    kind = fields.String(required=True)
    location = Redacted(required=True)
    notes = Redacted(required=True)
    recorded_at = Instant(required=True)


class AgreementOut(Schema):
    form = fields.String(required=True)
    terms = Redacted(required=True)
    amount = Money(required=True)
    performance_due = fields.Date(required=True, allow_none=True)
    agreed_at = Instant(required=True)
    confirmation = fields.String(required=True, metadata={"enum": ["none", "requested", "confirmed", "denied"]})
    confirmation_court = Redacted(required=True, allow_none=True)


class FollowUpOut(Schema):
    id = fields.Integer(required=True)
    performance = fields.String(required=True)
    method = fields.String(required=True)
    notes = Redacted(required=True)
    visited_at = Instant(required=True)


class DisputeDeadlineOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    due_at = Instant(required=True)
    status = fields.String(required=True)
    met_at = Instant(required=True, allow_none=True)
    cancelled_at = Instant(required=True, allow_none=True)


class PreventionOut(Schema):
    id = fields.Integer(required=True)
    dispute_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    people = fields.Integer(required=True)
    occurred_at = Instant(required=True, metadata={"description": "when it happened (what the figures count by)"})
    recorded_at = Instant(required=True)
    withdrawn_at = Instant(required=True, allow_none=True,
                           metadata={"description": "set when the record was withdrawn as a mistake"})
    withdrawal_reason = Redacted(required=True, allow_none=True)


class DisputeOut(Schema):
    id = fields.Integer(required=True)
    case_number = fields.String(required=True)
    committee = fields.Function(lambda d: d.committee.code, required=True, metadata={"type": "string"})
    intake_org = fields.Function(lambda d: d.intake_org.code, required=True, metadata={"type": "string"})
    dispute_type = fields.String(required=True)
    source = fields.String(required=True)
    summary = Redacted(required=True)
    amount = Money(required=True, allow_none=True)
    risk_level = fields.String(required=True)
    state = fields.String(required=True)
    outcome = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    received_at = Instant(required=True)
    accepted_at = Instant(required=True, allow_none=True)
    concluded_at = Instant(required=True, allow_none=True)
    closed_at = Instant(required=True, allow_none=True)
    allowed_triggers = fields.Function(allowed_triggers, required=True,
                                       metadata={"type": "array", "items": {"type": "string"}})
    parties = fields.List(fields.Nested(PartyOut), required=True)
    assignments = fields.List(fields.Nested(AssignmentOut), required=True)
    sessions = fields.List(fields.Nested(SessionOut), required=True)
    agreement = fields.Nested(AgreementOut, required=True, allow_none=True,
                              metadata={"description": "the latest agreement, or null"})
    follow_ups = fields.List(fields.Nested(FollowUpOut), required=True)
    deadlines = fields.List(fields.Nested(DisputeDeadlineOut), required=True)
    preventions = fields.List(fields.Nested(PreventionOut), required=True)


def _event_kind(event) -> str:
    from mediation.disputes.trail import kind_of

    return kind_of(event.trigger)


class EventOut(Schema):
    """One entry of the trail (docs/events.md): a transition, a record or an access record."""

    id = fields.Integer(required=True)
    trigger = fields.String(required=True)
    kind = fields.Function(_event_kind, required=True, metadata={
        "type": "string", "enum": ["transition", "record", "access"],
        "description": "transition (a workflow trigger or register), record (an edit, session, prevention "
                       "or follow-up record, or a correction), access (a reveal or download: counted nowhere)"})
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True)
    actor = fields.Function(lambda e: e.actor.username if e.actor else None, required=True, allow_none=True,
                            metadata={"type": "string"})
    committee = fields.Function(lambda e: e.committee.code, required=True, metadata={"type": "string"})
    occurred_at = Instant(required=True, metadata={"description": "when it happened (a session: held_at)"})
    recorded_at = Instant(required=True, metadata={"description": "when it was entered"})
    backdated = fields.Boolean(required=True, metadata={
        "description": "dated further back than the policy's max_backdate_days"})
    backdate_reason = Redacted(required=True, allow_none=True, metadata={"description": "why, when backdated"})
    payload = RedactedDict(required=True, metadata={
        "description": "the trigger's payload; an update: {before, after}; a record: its id and facts "
                       "(personal data in it masked)"})


class BackdatedOut(EventOut):
    """A flagged entry with the dispute it belongs to (no personal data)."""

    dispute_id = fields.Integer(required=True)
    case_number = fields.Function(lambda e: e.dispute.case_number, required=True, metadata={"type": "string"})
    days_back = fields.Function(lambda e: _days_back(e), required=True, metadata={
        "type": "integer", "description": "whole days between occurred_at and recorded_at"})


def _days_back(event) -> int:
    from mediation.disputes.trail import days_late

    return days_late(event)


# -- writing: the disputes area's own schemas (disputes/schemas.py) -------------------------------
TransitionIn = Schema.from_dict({
    "trigger": one_of(STANDARD.triggers, required=True),
    "version": fields.Integer(required=True, strict=True,
                              metadata={"description": "the version you read (optimistic lock)"}),
    **WhenIn._declared_fields,
    **payload_fields(),
}, name="TransitionIn")
TransitionIn.__doc__ = "`trigger`, `version`, `occurred_at` and the trigger's own payload (docs/workflow.md)."



class BackdatedArgs(PageArgs):
    org = fields.String(metadata={"description": "org code; includes its subtree (default: the caller's scope)"})
    date_from = Day(data_key="from", metadata={"description": "entries dated on or after this day"})
    date_to = Day(data_key="to", metadata={"description": "entries dated on or before this day"})


class DisputeListArgs(PageArgs):
    state = one_of(STANDARD.states)
    dispute_type = one_of(DISPUTE_TYPES)
    committee = fields.String(metadata={"description": "committee code"})
    org = fields.String(metadata={"description": "org code; includes its subtree"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "only disputes with an overdue deadline"})
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "matches case number, summary and party names"})

