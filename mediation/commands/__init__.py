"""Command line: `flask --app wsgi …` (API.md, Command line), one module per area."""
from __future__ import annotations

import importlib

from flask import Flask

MODULES = ("users", "demo", "reminders", "reports", "calendar")


def init_app(app: Flask) -> None:
    for name in MODULES:
        module = importlib.import_module(f"mediation.commands.{name}")
        module.register(app)
