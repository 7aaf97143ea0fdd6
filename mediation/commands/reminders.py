"""`flask --app wsgi …` commands of this area (to be written)."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Adds this area's commands."""
