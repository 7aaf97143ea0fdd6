"""The documents' query inputs, declared once: the API declares these classes."""
from __future__ import annotations

from marshmallow import fields, validate

from mediation.common.validation import Schema


class DocumentArgs(Schema):
    """`?session=ID` picks a session record, `?follow_up=ID` a follow-up record (default: the latest)."""

    session = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2147483647))
    follow_up = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2147483647))


class IncompleteArgs(Schema):
    """Concluded disputes whose case files lack a required item, in the caller's scope (`org`: a subtree)."""

    org = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
