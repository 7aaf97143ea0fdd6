"""The one place input rules are written: marshmallow field types and schemas, and `load`.

Each area states its inputs once as schemas built from these fields (disputes/schemas.py,
orgs/schemas.py). The services load whatever they are given through them (`load`, which turns a
refusal into the domain's `ValidationError` with dotted field names such as `parties.0.id_number`);
the API declares the very same schemas, so they validate its requests and describe them in the
OpenAPI document; the web forms submit to the same services. A rule changed here, or in an area's
schema, changes for the API, the web, the command line and the demo at once.

Every field accepts what it produces, so loading an already loaded value again is harmless (the
API validates a request, the service validates what it is handed).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

import marshmallow as ma
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from mediation.common.clock import LOCAL, isoformat, parse_instant
from mediation.common.errors import ValidationError

MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
MAX_AMOUNT = Decimal("999999999999.99")
YEARS = range(1900, 3000)  # dates and times outside are refused (and would overflow time-zone arithmetic)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# marshmallow's own "invalid" messages, said in our words and the caller's language
INVALID = ((fields.Boolean, _l("must be true or false")), (fields.Integer, _l("must be a whole number")),
           (fields.Number, _l("must be a number")), (fields.String, _l("must be text")),
           (fields.List, _l("must be a list")), (fields.Dict, _l("must be an object")),
           (fields.Nested, _l("must be an object")))


class Schema(ma.Schema):
    """Unknown fields are refused, so a misspelt key never passes silently."""

    class Meta:
        unknown = ma.RAISE

    error_messages = {"unknown": _l("is not a known field"), "type": _l("must be an object")}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        messages = {"required": _l("is required"), "null": _l("may not be null")}
        for kind, text in INVALID:
            if isinstance(field_obj, kind):
                messages["invalid"] = text
                break
        field_obj.error_messages = {**field_obj.error_messages, **messages}

    @ma.pre_load
    def no_nul(self, data: Any, **kwargs: Any) -> Any:
        """A NUL character is refused in every string an input carries (body or query): no database
        stores it as text, and PostgreSQL answers it with an error (issue 13's fuzzer found it)."""
        if isinstance(data, Mapping):
            bad = {key: [_("must not contain NUL characters")] for key, value in data.items()
                   if not isinstance(self.fields.get(key), OneLine)  # which says "one line" itself
                   and (isinstance(value, str) and "\x00" in value)
                   or (isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value))}
            if bad:
                raise ma.ValidationError(bad)
        return data


# -- field types -------------------------------------------------------------------------------
class Money(fields.Field):
    """An amount ≥ 0 with at most two decimal places: a decimal string on the way out; a string or
    number on the way in, loaded as a `Decimal` quantized to cents."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": MONEY_PATTERN, "example": "1200.00",
                    "description": "decimal amount ≥ 0, at most two places", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return str(Decimal(value).quantize(Decimal("0.01")))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ma.ValidationError(_("must be a decimal amount"))
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ma.ValidationError(_("must be a decimal amount")) from None
        if not amount.is_finite():
            raise ma.ValidationError(_("must be a decimal amount"))
        if amount < 0:
            raise ma.ValidationError(_("must be ≥ 0"))
        if amount > MAX_AMOUNT:
            raise ma.ValidationError(_("is too large"))
        if amount != amount.quantize(Decimal("0.01")):
            raise ma.ValidationError(_("may have at most two decimal places"))
        return amount.quantize(Decimal("0.01"))


class Instant(fields.Field):
    """An ISO 8601 time: shown in Asia/Shanghai with its offset; read with or without an offset
    (without one it is Asia/Shanghai time)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "date-time", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            moment: Optional[datetime] = value if value.tzinfo else value.replace(tzinfo=LOCAL)
        elif isinstance(value, str):
            try:
                moment = parse_instant(value)
            except ValueError:
                raise ma.ValidationError(_("must be an ISO 8601 time")) from None
            except OverflowError:
                moment = None
        else:
            raise ma.ValidationError(_("must be an ISO 8601 time"))
        if moment is None or moment.year not in YEARS:
            raise ma.ValidationError(_("must lie between %(low)s and %(high)s", low=YEARS[0], high=YEARS[-1]))
        return moment


class Day(fields.Date):
    """A date `YYYY-MM-DD`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        else:
            try:
                day = super()._deserialize(value, attr, data, **kwargs)
            except ma.ValidationError:
                raise ma.ValidationError(_("must be a date YYYY-MM-DD")) from None
        if day.year not in YEARS:
            raise ma.ValidationError(_("must lie between %(low)s and %(high)s", low=YEARS[0], high=YEARS[-1]))
        return day


class Text(fields.String):
    """Text of at most `max_len` characters, trimmed. Required text must not be blank; optional text
    that is missing, null or blank loads as `empty` ("" unless said otherwise)."""

    def __init__(self, max_len: int, *, empty: Any = "", **kwargs: Any) -> None:
        self.empty = empty
        kwargs.setdefault("allow_none", True)
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", empty)
        super().__init__(validate=validate.Length(max=max_len, error=_l("must be at most %(n)s characters", n=max_len)),
                         **kwargs)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise self.make_error("required")
            return self.empty
        loaded = super().deserialize(value, attr, data, **kwargs)
        return loaded.strip() if isinstance(loaded, str) else loaded

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ma.ValidationError(_("must be text"))
        if "\x00" in value:  # no database stores it as text (PostgreSQL refuses it)
            raise ma.ValidationError(_("must not contain NUL characters"))
        return value


class OneLine(Text):
    """A name shown in headers and subjects: one line, no control characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        # C0/C1 controls (CR, LF, NUL, U+0085 …) and the Unicode line and paragraph separators
        if isinstance(value, str) and any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
            raise ma.ValidationError(_("must be one line without control characters"))
        return super()._deserialize(value, attr, data, **kwargs)


class Email(fields.String):
    """An e-mail address (one line, something@domain.tld)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(value) > 255 or not EMAIL_RE.match(value):
            raise ma.ValidationError(_("must be an e-mail address"))
        return value


class WholeNumber(fields.Integer):
    """A whole number (never a boolean, never a float or a string) within [low, high]."""

    def __init__(self, low: int, high: int, **kwargs: Any) -> None:
        super().__init__(strict=True, validate=validate.Range(min=low, max=high,
                                                              error=_l("must be a whole number between %(low)s and %(high)s", low=low, high=high)),
                         **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


def one_of(choices, **kwargs: Any) -> fields.String:
    """A string restricted to a closed vocabulary (an enum in the document)."""
    options = list(choices)
    return fields.String(validate=validate.OneOf(options, error=_l("must be one of %(options)s", options=", ".join(options))), **kwargs)


# -- loading -----------------------------------------------------------------------------------
def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow messages (nested by field and list index) → {"a.0.b": [...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            for field, texts in flatten_messages(value, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, (str, LazyString)) for m in messages):
            out[prefix or "_schema"] = list(dict.fromkeys(str(m) for m in messages))  # each problem once
        else:
            for i, item in enumerate(messages):
                for field, texts in flatten_messages(item, f"{prefix}.{i}" if prefix else str(i)).items():
                    out.setdefault(field, []).extend(texts)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def collect(schema: ma.Schema, data: Any, **kwargs: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Loads `data`; returns (what loaded, the bad fields) for a service that reports input errors
    only after a check that must come first (e.g. the dispute's state)."""
    if not isinstance(data, Mapping):
        return {}, {"body": [str(_l("must be an object"))]}
    try:
        return schema.load(data, **kwargs), {}
    except ma.ValidationError as exc:
        valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        return valid, flatten_messages(exc.messages)


def load(schema: ma.Schema, data: Any, **kwargs: Any) -> dict[str, Any]:
    """`data` loaded through `schema`, or the domain's ValidationError naming every bad field."""
    clean, bad = collect(schema, data, **kwargs)
    if bad:
        raise ValidationError(bad)
    return clean
