"""The demo jurisdiction `make run` seeds when the database is empty."""
from __future__ import annotations

DEMO_PASSWORD = "Demo-pass-2026"
DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "administrator (all orgs)"),
]
