"""The API's flask-smorest Blueprint: bodies must be JSON objects, errors documented by status."""
from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask_smorest
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from mediation.api.schemas import ErrorSchema
from mediation.api.security import authenticate_request
from mediation.infra import json_provider


class JsonObjectParser(FlaskParser):
    """Reads the body as JSON whatever its content type; not JSON or not an object → 400."""

    DEFAULT_VALIDATION_STATUS = 422

    def load_json(self, req, schema) -> Any:
        raw = req.get_data(cache=True)  # > MAX_CONTENT_LENGTH raises 413 here
        if not raw.strip():
            raise BadRequest("the body must be a JSON object")
        try:
            data = json_provider.loads(raw)
        except json_provider.TooDeep:
            raise BadRequest("the body is nested too deeply") from None
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the body is not JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data


ID = "int(min=1, max=2147483647)"  # a path id: larger ones are simply not found
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}


class Blueprint(flask_smorest.Blueprint):
    """Every view needs a bearer token (checked before it runs) unless marked `public`."""

    ARGUMENTS_PARSER = JsonObjectParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(authenticate_request)

    def public(self, func: Callable) -> Callable:
        """Answered without a token, and documented so (no security requirement)."""
        func._public = True
        return self.doc(security=[])(func)

    def errors(self, *statuses: int) -> Callable:
        """Documents the error responses a view may give, all in the one error shape."""
        def decorator(func: Callable) -> Callable:
            for status in statuses:
                phrase = HTTPStatus(status).phrase
                headers = RETRY_AFTER if status == 429 else None
                func = self.alt_response(status, schema=ErrorSchema, description=phrase, headers=headers)(func)
            return func
        return decorator
