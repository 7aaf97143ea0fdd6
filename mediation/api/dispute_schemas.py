"""How a dispute reads and is written in the API (docs/api.md).

ID and phone numbers leave only through the masking helpers of services/personal.py.
"""
from __future__ import annotations

from marshmallow import fields, validate

import workflows
from mediation.api.schemas import Day, Instant, Money, PageArgs, Schema, one_of
from mediation.common.personal import mask_id_number, mask_phone
from mediation.disputes.triggers import allowed_triggers
from mediation.models.enums import (
    AGREEMENT_FORMS,
    DISPUTE_TYPES,
    FOLLOW_UP_METHODS,
    PARTY_KINDS,
    PARTY_ROLES,
    PERFORMANCE,
    PREVENTION_KINDS,
    REFERRALS,
    REJECT_REASONS,
    RISK_LEVELS,
    SESSION_MODES,
    SOURCES,
)

STANDARD = workflows.get("standard")


def _text(max_len: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_len), **kwargs)


# -- reading ---------------------------------------------------------------------------------
class PartyOut(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    id_number = fields.Function(lambda p: mask_id_number(p.id_number), required=True, allow_none=True,
                                metadata={"type": "string", "description": "masked, e.g. 3301**********0018"})
    phone = fields.Function(lambda p: mask_phone(p.phone), required=True, allow_none=True,
                            metadata={"type": "string", "description": "masked, e.g. 139****5678"})
    address = fields.String(required=True, allow_none=True)


class AssignmentOut(Schema):
    mediator = fields.Function(lambda a: a.mediator.username, required=True, metadata={"type": "string"})
    display_name = fields.Function(lambda a: a.mediator.display_name, required=True, metadata={"type": "string"})
    lead = fields.Boolean(required=True)
    assigned_at = Instant(required=True)
    ended_at = Instant(required=True, allow_none=True)


class SessionOut(Schema):
    id = fields.Integer(required=True)
    dispute_id = fields.Integer(required=True)
    held_at = Instant(required=True)
    mode = fields.String(required=True)
    location = fields.String(required=True)
    notes = fields.String(required=True)
    recorded_at = Instant(required=True)


class AgreementOut(Schema):
    form = fields.String(required=True)
    terms = fields.String(required=True)
    amount = Money(required=True)
    performance_due = fields.Date(required=True, allow_none=True)
    agreed_at = Instant(required=True)
    confirmation = fields.String(required=True, metadata={"enum": ["none", "requested", "confirmed", "denied"]})
    confirmation_court = fields.String(required=True, allow_none=True)


class FollowUpOut(Schema):
    id = fields.Integer(required=True)
    performance = fields.String(required=True)
    method = fields.String(required=True)
    notes = fields.String(required=True)
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
    recorded_at = Instant(required=True)


class DisputeOut(Schema):
    id = fields.Integer(required=True)
    case_number = fields.String(required=True)
    committee = fields.Function(lambda d: d.committee.code, required=True, metadata={"type": "string"})
    intake_org = fields.Function(lambda d: d.intake_org.code, required=True, metadata={"type": "string"})
    dispute_type = fields.String(required=True)
    source = fields.String(required=True)
    summary = fields.String(required=True)
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


class EventOut(Schema):
    trigger = fields.String(required=True)
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True)
    actor = fields.Function(lambda e: e.actor.username if e.actor else None, required=True, allow_none=True,
                            metadata={"type": "string"})
    committee = fields.Function(lambda e: e.committee.code, required=True, metadata={"type": "string"})
    occurred_at = Instant(required=True)
    recorded_at = Instant(required=True)
    payload = fields.Dict(required=True)


# -- writing ---------------------------------------------------------------------------------
class PartyIn(Schema):
    role = one_of(PARTY_ROLES, required=True)
    kind = one_of(PARTY_KINDS, load_default="person")
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    id_number = fields.String(allow_none=True, validate=validate.Length(max=32),
                              metadata={"description": "a person's 18-character resident ID (checksum checked)"})
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    address = fields.String(allow_none=True, validate=validate.Length(max=255))


class DisputeIn(Schema):
    committee = fields.String(required=True, metadata={"description": "the handling committee's code"})
    dispute_type = one_of(DISPUTE_TYPES, required=True)
    source = one_of(SOURCES, required=True)
    summary = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    received_at = Instant(allow_none=True, metadata={"description": "default now; may be past, never future"})
    amount = Money(allow_none=True)
    risk_level = one_of(RISK_LEVELS, load_default="none")
    parties = fields.List(fields.Nested(PartyIn), required=True, validate=validate.Length(min=1, max=100),
                          metadata={"description": "≥1 applicant and ≥1 respondent"})


class DisputePatch(Schema):
    version = fields.Integer(required=True, strict=True,
                             metadata={"description": "the version you read (optimistic lock)"})
    summary = fields.String(validate=validate.Length(min=1, max=4000))
    amount = Money(allow_none=True)
    risk_level = one_of(RISK_LEVELS)


class TransitionIn(Schema):
    """`trigger`, `version`, `occurred_at` and the trigger's own payload (docs/workflow.md, the triggers)."""

    trigger = one_of(STANDARD.triggers, required=True)
    version = fields.Integer(required=True, strict=True,
                             metadata={"description": "the version you read (optimistic lock)"})
    occurred_at = Instant(allow_none=True, metadata={"description": "default now; may be back-dated, never future "
                                                                    "nor before the previous event"})
    reason_code = one_of(REJECT_REASONS, metadata={"description": "reject"})
    reason = _text(2000, metadata={"description": "reject, reassign, extend, escalate, fail, withdraw, reopen"})
    mediators = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=20),
                            metadata={"description": "assign, reassign: usernames (≥1)"})
    lead = fields.String(allow_none=True, validate=validate.Length(max=64),
                         metadata={"description": "assign, reassign: one of the mediators (default the first)"})
    days = fields.Integer(strict=True, metadata={"description": "extend: whole days ≥1"})
    parties_consent = fields.Boolean(metadata={"description": "extend: must be true"})
    committee = fields.String(validate=validate.Length(max=32), metadata={"description": "escalate: committee code"})
    form = one_of(AGREEMENT_FORMS, metadata={"description": "reach_agreement"})
    terms = _text(20000, metadata={"description": "reach_agreement"})
    amount = Money(metadata={"description": "reach_agreement: ≥ 0"})
    performance_due = Day(allow_none=True, metadata={"description": "reach_agreement: optional date"})
    referral = one_of(REFERRALS, metadata={"description": "fail"})
    court = _text(120, allow_none=True, metadata={"description": "request_confirmation (optional)"})
    result = one_of(("confirmed", "denied"), metadata={"description": "record_confirmation"})
    performance = one_of(PERFORMANCE, metadata={"description": "record_follow_up"})
    method = one_of(FOLLOW_UP_METHODS, metadata={"description": "record_follow_up"})
    notes = _text(20000, metadata={"description": "record_follow_up"})


class SessionIn(Schema):
    held_at = Instant(allow_none=True, metadata={"description": "default now; never in the future"})
    mode = one_of(SESSION_MODES, required=True)
    location = _text(255, load_default="")
    notes = _text(20000, load_default="")


class PreventionIn(Schema):
    kind = one_of(PREVENTION_KINDS, required=True)
    people = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))


class DisputeListArgs(PageArgs):
    state = one_of(STANDARD.states)
    dispute_type = one_of(DISPUTE_TYPES)
    committee = fields.String(metadata={"description": "committee code"})
    org = fields.String(metadata={"description": "org code; includes its subtree"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "only disputes with an overdue deadline"})
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "matches case number, summary and party names"})

