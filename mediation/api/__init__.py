"""The JSON REST API (/api/v1): thin resources over the services."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the API blueprint and its error handlers."""
