"""Typed domain errors. Each carries a machine-readable code; the API maps codes to statuses."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    """Input that breaks a rule; `details.fields` maps each bad field to its messages."""

    code = "validation_error"

    def __init__(self, fields: dict[str, list[str] | str], message: str = "some fields are invalid") -> None:
        normalised = {k: (v if isinstance(v, list) else [v]) for k, v in fields.items()}
        super().__init__(message, fields=normalised)
        self.fields = normalised


class NotFound(DomainError):
    """No such thing, or outside the caller's scope (never reveal which)."""

    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class Conflict(DomainError):
    """A duplicate code, username or other unique value."""

    code = "conflict"


class VersionConflict(DomainError):
    code = "version_conflict"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class GuardFailed(DomainError):
    code = "guard_failed"


class CalendarUnknown(DomainError):
    """A working-day deadline reaches a year whose holiday calendar is not known."""

    code = "calendar_year_unknown"
