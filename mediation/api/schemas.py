"""Schemas shared by the resources: fields for money and instants, paging, the error shape.

The same marshmallow schemas validate requests (webargs) and describe them in the OpenAPI
document (apispec), so the document cannot drift from what the API accepts.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from mediation.common.clock import isoformat, parse_instant

MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
YEARS = range(1900, 3000)  # dates and times outside are refused (and would overflow time-zone arithmetic)


class Schema(ma.Schema):
    """Unknown fields are refused (422), so a misspelt key never passes silently."""

    class Meta:
        unknown = ma.RAISE


class Money(fields.Field):
    """An amount: a decimal string with two places on the way out; a string or number on the way in.

    Loading keeps the text, so the services' own rules (≥ 0, two places) say what is wrong.
    """

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": MONEY_PATTERN, "example": "1200.00",
                    "description": "decimal amount, at most two places", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return str(Decimal(value).quantize(Decimal("0.01")))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ma.ValidationError("must be a decimal amount")
        try:
            Decimal(str(value))
        except InvalidOperation:
            raise ma.ValidationError("must be a decimal amount") from None
        return str(value)


class Instant(fields.Field):
    """An ISO 8601 time: shown in Asia/Shanghai with its offset; read with or without an offset."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "date-time", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ma.ValidationError("must be an ISO 8601 time")
        try:
            moment = parse_instant(value)
        except ValueError:
            raise ma.ValidationError("must be an ISO 8601 time") from None
        except OverflowError:
            moment = None
        if moment is None or moment.year not in YEARS:
            raise ma.ValidationError(f"must lie between {YEARS[0]} and {YEARS[-1]}")
        return moment


class Day(fields.Date):
    """A date `YYYY-MM-DD`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        try:
            day = super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            raise ma.ValidationError("must be a date YYYY-MM-DD") from None
        if day.year not in YEARS:
            raise ma.ValidationError(f"must lie between {YEARS[0]} and {YEARS[-1]}")
        return day


def one_of(choices, **kwargs: Any) -> fields.String:
    """A string restricted to a closed vocabulary (an enum in the document)."""
    return fields.String(validate=validate.OneOf(list(choices)), **kwargs)


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
