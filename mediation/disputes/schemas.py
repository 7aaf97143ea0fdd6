"""What a dispute's inputs must be, written once (common/validation.py says how it is used).

Registration (`DisputeIn`, `PartyIn`), edits (`DisputePatch`), sessions, prevention records and
each workflow trigger's payload (`PAYLOADS`). The services load through these; the API declares
the same classes (its `TransitionIn` is every trigger's fields together, for the document); the
web forms post to the services. Rules that need the database or the clock (the committee the
actor may use, "not in the future") stay with the service that knows them.
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from mediation.common.personal import id_number_problem, normalise_id_number, normalise_phone, phone_problem
from mediation.common.validation import Day, Instant, Money, Schema, Text, WholeNumber, one_of
from mediation.models.enums import (
    AGREEMENT_FORMS,
    DAY_COUNTS,
    DISPUTE_TYPES,
    FOLLOW_UP_METHODS,
    PARTY_KINDS,
    PARTY_ROLES,
    PERFORMANCE,
    PREVENTION_KINDS,
    REFERRALS,
    REJECT_REASONS,
    RISK_LEVELS,
    SESSION_KINDS,
    SESSION_MODES,
    SEXES,
    SOURCES,
)

PARTIES_NEEDED = "at least one applicant and one respondent are required"


# -- registration ------------------------------------------------------------------------------
class PartyIn(Schema):
    role = one_of(PARTY_ROLES, required=True)
    kind = one_of(PARTY_KINDS, load_default="person")
    name = Text(120, required=True)
    id_number = fields.String(allow_none=True, validate=validate.Length(max=32),
                              metadata={"description": "a person's 18-character resident ID (checksum checked); "
                                                       "an organisation's credit code"})
    phone = fields.String(allow_none=True, validate=validate.Length(max=32),
                          metadata={"description": "a mobile or landline number"})
    address = Text(255, empty=None)
    sex = one_of(SEXES, allow_none=True, metadata={"description": "read from the ID number when absent"})
    ethnicity = Text(32, empty=None, metadata={"description": "民族, e.g. 汉族"})
    occupation = Text(120, empty=None, metadata={"description": "职业或职务"})

    @ma.validates_schema
    def numbers(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        id_number = (data.get("id_number") or "").strip()
        if id_number:
            if data.get("kind", "person") == "person":
                if (problem := id_number_problem(id_number)) is not None:
                    errors["id_number"] = [problem]
            elif len(id_number) > 18:
                errors["id_number"] = ["must be at most 18 characters"]
        phone = data.get("phone")
        if phone and (problem := phone_problem(phone)) is not None:
            errors["phone"] = [problem]
        if errors:
            raise ma.ValidationError(errors)

    @ma.post_load
    def normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        id_number = (data.get("id_number") or "").strip() or None
        if id_number is not None and data.get("kind", "person") == "person":
            id_number = normalise_id_number(id_number)
        data["id_number"] = id_number  # an organisation's credit code is not personal data
        data["phone"] = normalise_phone(data["phone"]) if data.get("phone") else None
        return data


class DisputeIn(Schema):
    committee = fields.String(required=True, validate=validate.Length(max=32),
                              metadata={"description": "the handling committee's code"})
    dispute_type = one_of(DISPUTE_TYPES, required=True)
    source = one_of(SOURCES, required=True)
    summary = Text(4000, required=True)
    received_at = Instant(allow_none=True, metadata={"description": "default now; may be past, never future"})
    amount = Money(allow_none=True)
    risk_level = one_of(RISK_LEVELS, allow_none=True, load_default="none")
    parties = fields.List(fields.Nested(PartyIn), required=True,
                          validate=validate.Length(min=1, max=100, error=PARTIES_NEEDED),
                          metadata={"description": "≥1 applicant and ≥1 respondent"})

    @ma.validates_schema
    def both_sides(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not {"applicant", "respondent"} <= {p["role"] for p in data.get("parties") or []}:
            raise ma.ValidationError(PARTIES_NEEDED, "parties")

    @ma.post_load
    def defaults(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["risk_level"] = data.get("risk_level") or "none"
        return data


class DisputePatch(Schema):
    version = fields.Integer(required=True, strict=True,
                             metadata={"description": "the version you read (optimistic lock)"})
    summary = Text(4000, load_default=ma.missing)
    amount = Money(allow_none=True)
    risk_level = one_of(RISK_LEVELS)

    @ma.validates("summary")
    def summary_not_blank(self, value: str, **kwargs: Any) -> None:
        if not value.strip():
            raise ma.ValidationError("is required")


def _backdate_reason(dated: str) -> Text:
    return Text(2000, empty=None, metadata={
        "description": f"required when {dated} lies more than the policy's max_backdate_days back (docs/events.md)"})


class SessionIn(Schema):
    held_at = Instant(allow_none=True, metadata={"description": "default now; never in the future nor before the "
                                                                "mediation began"})
    mode = one_of(SESSION_MODES, required=True)
    kind = one_of(SESSION_KINDS, load_default="mediation",
                  metadata={"description": "mediation (人民调解记录) or investigation (人民调解调查记录)"})
    location = Text(255)
    notes = Text(20000)
    backdate_reason = _backdate_reason("held_at")


class PreventionIn(Schema):
    kind = one_of(PREVENTION_KINDS, required=True)
    people = WholeNumber(1, 100000, required=True, metadata={
        "description": "≥ 1, at most the policy's max_prevention_people (default 50)"})
    occurred_at = Instant(allow_none=True, metadata={
        "description": "default now; not before the acceptance, not after the conclusion, never in the future"})
    backdate_reason = _backdate_reason("occurred_at")


class PreventionWithdrawal(Schema):
    reason = Text(2000, required=True, metadata={"description": "why the record was a mistake (kept in the trail)"})


# -- the deadline policy of an org (docs/deadlines.md) ------------------------------------------
class Thresholds(fields.List):
    """Reminder thresholds: a non-empty list of whole days between 1 and 60, judged as a whole."""

    MESSAGE = "must be a non-empty list of whole days between 1 and 60"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Integer(), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[int]:
        if (not isinstance(value, list) or not 1 <= len(value) <= 10
                or not all(isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 60 for x in value)):
            raise ma.ValidationError(self.MESSAGE)
        return sorted(set(value), reverse=True)


def _days(low: int = 1) -> fields.Integer:
    return WholeNumber(low, 365, allow_none=True)


class PolicyValues(Schema):
    """An org's own policy values; null clears one, so it is inherited again."""

    acceptance_days = _days()
    mediation_days = _days()
    max_extension_days = _days()
    max_extensions = _days(0)
    follow_up_days = _days()
    remind_before_days = Thresholds(allow_none=True)
    supervisor_after_days = _days(0)
    day_count = one_of(DAY_COUNTS, allow_none=True)
    max_backdate_days = WholeNumber(0, 365, allow_none=True, metadata={
        "description": "how far back (days) a trigger or record may be dated without a backdate_reason "
                       "(default 7)"})
    max_prevention_people = WholeNumber(1, 100000, allow_none=True, metadata={
        "description": "the most people one prevention record may count (default 50)"})


# -- each trigger's payload ----------------------------------------------------------------------
class WhenIn(Schema):
    """When a step happened (default now): may be back-dated for paper records."""

    occurred_at = Instant(allow_none=True, load_default=None,
                          metadata={"description": "default now; may be back-dated, never future nor before the "
                                                   "previous transition or record"})
    backdate_reason = _backdate_reason("occurred_at")


def _reason(**kwargs: Any) -> Text:
    return Text(2000, required=True, **kwargs)


class NoPayload(Schema):
    """accept, start_mediation, start_follow_up, close: nothing beyond trigger and version."""


class RejectIn(Schema):
    reason_code = one_of(REJECT_REASONS, required=True)
    reason = _reason()


class Usernames(fields.List):
    """A list of usernames, judged as a whole."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=20), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise ma.ValidationError("must be a list of usernames")
        return super()._deserialize(value, attr, data, **kwargs)


class AssignIn(Schema):
    mediators = Usernames(required=True, metadata={"description": "usernames (≥1; none is refused by the workflow)"})
    lead = fields.String(allow_none=True, validate=validate.Length(max=64),
                         metadata={"description": "one of the mediators (default the first)"})

    @ma.post_load
    def lead_among_mediators(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        names = list(dict.fromkeys(data["mediators"]))
        lead = data.get("lead") or (names[0] if names else None)
        if names and lead not in names:
            raise ma.ValidationError("must be one of the mediators", "lead")
        # An empty list is well-formed; the workflow's `no_mediator` rule refuses it (guard_failed).
        return {"mediators": names, "lead": lead}


class ReassignIn(AssignIn):
    reason = _reason()

    @ma.post_load
    def lead_among_mediators(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**super().lead_among_mediators(data, **kwargs), "reason": data["reason"]}


class ExtendIn(Schema):
    days = WholeNumber(1, 365, required=True)
    parties_consent = fields.Boolean(required=True, truthy={True}, falsy={False},
                                     metadata={"description": "the parties consent (the workflow needs true)"})
    reason = _reason()


class EscalateIn(Schema):
    committee = fields.String(required=True, validate=validate.Length(min=1, max=32),
                              metadata={"description": "the code of a committee of an ancestor org"})
    reason = _reason()


class AgreementIn(Schema):
    form = one_of(AGREEMENT_FORMS, required=True)
    terms = Text(20000, required=True)
    amount = Money(required=True, metadata={"description": "≥ 0"})
    performance_due = Day(allow_none=True, load_default=None, metadata={"description": "optional date"})


class FailIn(Schema):
    reason = _reason()
    referral = one_of(REFERRALS, required=True)


class ReasonIn(Schema):
    reason = _reason()


class RequestConfirmationIn(Schema):
    court = Text(120, empty=None, metadata={"description": "optional"})


class RecordConfirmationIn(Schema):
    result = one_of(("confirmed", "denied"), required=True)


class FollowUpIn(Schema):
    performance = one_of(PERFORMANCE, required=True)
    method = one_of(FOLLOW_UP_METHODS, required=True)
    notes = Text(20000)


PAYLOADS: dict[str, type[Schema]] = {
    "reject": RejectIn, "assign": AssignIn, "reassign": ReassignIn, "extend": ExtendIn, "escalate": EscalateIn,
    "reach_agreement": AgreementIn, "fail": FailIn, "withdraw": ReasonIn, "reopen": ReasonIn,
    "request_confirmation": RequestConfirmationIn, "record_confirmation": RecordConfirmationIn,
    "record_follow_up": FollowUpIn,
}


def payload_schema(trigger: str) -> Schema:
    """The schema of `trigger`'s payload (an empty one for triggers that take none); fields of other
    triggers are ignored, so one form or body may carry them all."""
    return PAYLOADS.get(trigger, NoPayload)(unknown=ma.EXCLUDE)


def payload_fields() -> dict[str, fields.Field]:
    """Every trigger's payload fields together, each described with the triggers that take it
    (the API's transition body, for its document)."""
    out: dict[str, fields.Field] = {}
    users: dict[str, list[str]] = {}
    for trigger, schema in PAYLOADS.items():
        for name, field in schema._declared_fields.items():
            users.setdefault(name, []).append(trigger)
            out.setdefault(name, field)
    described: dict[str, fields.Field] = {}
    for name, field in out.items():
        clone = _optional(field)
        clone.metadata = {**field.metadata, "description": ", ".join(users[name]) + (
            ": " + field.metadata["description"] if field.metadata.get("description") else "")}
        described[name] = clone
    return described


def _optional(field: fields.Field) -> fields.Field:
    """A copy of `field` that is not required (which trigger needs it is the service's to say)."""
    import copy

    clone = copy.deepcopy(field)
    clone.required = False
    clone.allow_none = True
    clone.load_default = ma.missing
    return clone

