"""The one error shape of the API, and the one place that maps errors to statuses.

Every refusal under /api/v1 reads `{"error": {"code", "message", "details"}}` (docs/api.md,
Conventions): domain errors by their code, werkzeug's HTTP errors (404/405/413, a body that is
not a JSON object) by their name, and webargs' schema errors as `validation_error` with
`details.fields` mapping each bad field to its messages.
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from mediation.common.errors import DomainError
from mediation.common.personal import redact, redact_deep
from mediation.common.validation import flatten_messages

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"

STATUS_BY_CODE: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "version_conflict": 409,
    "invalid_transition": 409,
    "guard_failed": 409,
    "calendar_year_unknown": 409,
    "validation_error": 422,
    "too_many_attempts": 429,
}
# werkzeug's exceptions by status → the code the API names them by
CODE_BY_STATUS: dict[int, str] = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                                  405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
                                  422: "validation_error", 429: "too_many_attempts", 500: "internal_error"}


def _json_safe(value: Any) -> Any:
    """Details as plain JSON values (dates and decimals become strings)."""
    return json.loads(json.dumps(value, default=str))


def error_response(status: int, code: str, message: str, details: Mapping[str, Any] | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    """A response in the API's error shape."""
    # an error may echo input (an unknown field's name, a bad value): personal data in it is masked
    body = {"error": {"code": code, "message": redact(message),
                      "details": redact_deep(_json_safe(dict(details or {})))}}
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def validation_fields(exc: HTTPException) -> dict[str, list[str]]:
    """The bad fields of a webargs 422, without the location level (json/query/path)."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    fields: dict[str, list[str]] = {}
    for location_messages in (messages.values() if isinstance(messages, Mapping) else [messages]):
        for field, texts in flatten_messages(location_messages).items():
            fields.setdefault(field, []).extend(texts)
    return fields


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def in_api() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def handle_domain_error(exc: DomainError) -> Response:
    """DomainError → its status; a refused login names when to try again."""
    status = STATUS_BY_CODE.get(exc.code, 400)
    headers = {}
    if exc.code == "too_many_attempts":
        headers["Retry-After"] = str(max(int(exc.details.get("retry_after", 60)), 1))
    if exc.code == "unauthorized":
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status, exc.code, exc.message, exc.details, headers)


def handle_http_exception(exc: HTTPException):
    """werkzeug/webargs/Flask-Limiter errors in the API's shape (outside the API: Flask's own page)."""
    if not in_api():
        return exc
    status = exc.code or 500
    code = CODE_BY_STATUS.get(status, _snake(exc.name or "error"))
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    details: dict[str, Any] = {}
    message = exc.description or exc.name
    if status == 422:
        details["fields"] = validation_fields(exc)
        message = "some fields are invalid"
    elif status == 429:
        message = "too many failed attempts; try again later"
        headers["Retry-After"] = str(_retry_after())
    elif status == 405:
        details["allowed"] = sorted(getattr(exc, "valid_methods", None) or [])
    elif status == 404:
        message = "no such resource"
    elif status == 500:
        message = "internal error"
    return error_response(status, code, message, details, headers)


def _retry_after() -> int:
    """Seconds until the breached limit lets the next attempt through."""
    from mediation.extensions import limiter

    current = limiter.current_limit
    return max(int(current.reset_at - time.time()), 1) if current is not None else 60


def handle_unexpected(exc: InternalServerError):
    """An unhandled error: logged, and answered in the error shape without its insides."""
    if not in_api():
        return exc
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=getattr(exc, "original_exception", None))
    return error_response(500, "internal_error", "internal error")


def init_app(app: Flask) -> None:
    """Registers the handlers app-wide; each answers in the API shape only under /api/v1."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(HTTPException, handle_http_exception)
