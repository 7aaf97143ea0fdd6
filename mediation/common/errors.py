"""Typed domain errors. Each carries a machine-readable code; the API maps codes to statuses."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    code = "error"

    def __init__(self, message: Any, **details: Any) -> None:
        """`message`: English text, marked for translation where it is written (lazy_gettext);
        it is said in the caller's language when the error is answered."""
        self.message = str(message)  # said now, in the language of the request being served
        super().__init__(self.message)
        self.details = details


class ValidationError(DomainError):
    """Input that breaks a rule; `details.fields` maps each bad field to its messages."""

    code = "validation_error"

    def __init__(self, fields: dict[str, list[str] | str], message: Any = None) -> None:
        normalised = {k: list(dict.fromkeys(str(m) for m in (v if isinstance(v, list) else [v])))
                      for k, v in fields.items()}
        super().__init__(message if message is not None else _l("some fields are invalid"), fields=normalised)
        self.fields = normalised


class NotFound(DomainError):
    """No such thing, or outside the caller's scope (never reveal which)."""

    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class PasswordChangeRequired(DomainError):
    """A reset password: every call but changing it (or signing out) is refused until it is changed."""

    code = "password_change_required"


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
