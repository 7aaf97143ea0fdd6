"""Schemas shared by the resources: paging, the error shape; the field types come from
common/validation.py, the input schemas from the areas.

The same marshmallow schemas validate requests (webargs), describe them in the OpenAPI document
(apispec) and validate the services' input, so none of them can drift from another.
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from mediation.common.personal import redact, redact_deep
from mediation.common.validation import Day, Instant, Money, Schema, one_of  # noqa: F401  the API's vocabulary


class Redacted(fields.String):
    """Free text on the way out: resident IDs, mobiles and landlines in it are masked (personal.redact)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return redact(super()._serialize(value, attr, obj, **kwargs))


class RedactedDict(fields.Dict):
    """A JSON object on the way out with every string inside it redacted (event payloads)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict | None:
        return redact_deep(super()._serialize(value, attr, obj, **kwargs))


class PageArgs(Schema):
    """`?page=1&per_page=50`; per_page above 200 is capped at 200."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1_000_000),
                              metadata={"description": "items per page; values above 200 are capped at 200"})

    @ma.post_load
    def cap(self, data: dict, **kwargs: Any) -> dict:
        data["per_page"] = min(data["per_page"], 200)
        return data


def page_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope `{items, total, page, per_page}` around `item_schema`."""
    return type(name, (ma.Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
    })


class ErrorBody(ma.Schema):
    code = fields.String(required=True, metadata={"description": "snake_case error code, e.g. validation_error"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={
        "description": "fields (validation_error: field → messages), reason (guard_failed), …"})


class ErrorSchema(ma.Schema):
    """Every refusal: `{"error": {"code", "message", "details"}}`."""

    error = fields.Nested(ErrorBody, required=True)
