"""The HTML interface for people (Jinja templates, forms, CSRF)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the web blueprint."""
