"""What the org tree's inputs must be, written once (common/validation.py says how it is used):
orgs, committees and users. The deadline policy's keys are the disputes area's
(disputes/schemas.py, `PolicyValues`), since the deadlines are theirs."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from mediation.common.validation import Email, OneLine, Schema, Text, one_of
from mediation.models.enums import COMMITTEE_KINDS, DISPUTE_TYPES, ORG_LEVELS, ROLES

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{2,64}$"
LOCALES = ("zh", "en")


def _code(**kwargs: Any) -> Text:
    return Text(32, required=True, **kwargs)


class OrgIn(Schema):
    code = _code()
    name = OneLine(120, required=True)
    level = one_of(ORG_LEVELS, required=True)
    parent = fields.String(load_default=None, allow_none=True, metadata={"description": "the parent's code, or null"})


class CommitteeIn(Schema):
    code = _code()
    name = OneLine(120, required=True)
    org = fields.String(required=True, metadata={"description": "the org's code"})
    kind = one_of(COMMITTEE_KINDS, required=True)
    specialties = fields.List(one_of(DISPUTE_TYPES), load_default=list, allow_none=True,
                              metadata={"description": "dispute types it specialises in (may be empty)"})

    @ma.post_load
    def unique_specialties(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["specialties"] = sorted(set(data.get("specialties") or []))
        return data


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(
        USERNAME_PATTERN, error="2–64 letters, digits, '.', '_' or '-'"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(
        min=8, max=256, error="must be between {min} and {max} characters"))
    display_name = Text(120, allow_none=True)
    email = Email(load_default=None, allow_none=True)
    role = one_of(ROLES, required=True)
    org = fields.String(load_default=None, allow_none=True, metadata={"description": "org code (supervisors)"})
    committee = fields.String(load_default=None, allow_none=True,
                              metadata={"description": "committee code (mediators; their org is its org)"})
    locale = one_of(LOCALES, load_default="zh", metadata={"description": "zh (default) or en"})
