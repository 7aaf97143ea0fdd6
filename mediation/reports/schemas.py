"""What the reports' inputs must be, written once (common/validation.py says how it is used)."""
from __future__ import annotations

from marshmallow import fields, validate

from mediation.common.validation import Email, Schema


class SubscriptionIn(Schema):
    org = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"description": "org code"})
    email = Email(required=True)
