"""JSON in and out: a body nested too deeply to parse is bad input (400), not a server error.

Python's decoder gives up on deep nesting (a few thousand `[`) with RecursionError, which Flask
does not treat as a parse failure: every `request.get_json()` would answer 500 and log a
traceback. Here it is a ValueError like any other malformed JSON, so Flask answers 400.
"""
from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class TooDeep(ValueError):
    """JSON nested deeper than the decoder can follow."""


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads, with too-deep nesting reported as a ValueError."""
    import json

    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise TooDeep("the JSON is nested too deeply") from None


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
