"""Command line: `flask --app wsgi …` (docs/api.md, Command line), one module per area; runner.py is
`make run` (python -m mediation.commands.runner)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from mediation.commands import calendar, demo, keys, reminders, reports, users

    for module in (users, demo, reminders, reports, calendar, keys):
        module.register(app)
