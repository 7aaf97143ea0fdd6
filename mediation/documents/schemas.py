"""The documents' query inputs, declared once: the API declares these classes."""
from __future__ import annotations

from marshmallow import fields, validate

from mediation.common.validation import Schema
from mediation.models.attachment import ATTACHMENT_CATEGORIES


class DocumentArgs(Schema):
    """`?session=ID` picks a session record, `?follow_up=ID` a follow-up record (default: the latest)."""

    session = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2147483647))
    follow_up = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2147483647))


class IncompleteArgs(Schema):
    """Concluded disputes whose case files lack a required item, in the caller's scope (`org`: a subtree)."""

    org = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CasefileArgs(Schema):
    """`?format=zip`: the .docx with the attached PDFs beside it."""

    format = fields.String(load_default="docx", validate=validate.OneOf(["docx", "zip"],
                                                                        error="must be one of docx, zip"))


class AttachmentForm(Schema):
    category = fields.String(load_default="evidence", validate=validate.OneOf(
        ATTACHMENT_CATEGORIES, error="must be one of " + ", ".join(ATTACHMENT_CATEGORIES)),
        metadata={"description": "where the Ministry's list files it"})


class AttachmentFile(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                "description": "a JPEG or PNG image or a PDF"})
