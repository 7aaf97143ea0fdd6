"""What the command modules share."""
from __future__ import annotations

import click

from mediation.common.errors import DomainError


def fail(exc: DomainError) -> None:
    """Turns a domain error into a clean command-line error (exit code 1, message on stderr)."""
    details = getattr(exc, "fields", None) or exc.details
    raise click.ClickException(f"{exc.code}: {exc.message} {details or ''}".strip())
