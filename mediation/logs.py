"""Logging with personal data masked: every record passes through `redact`."""
from __future__ import annotations

import logging

from mediation.services.personal import redact


class RedactingFilter(logging.Filter):
    """Masks resident ID and mobile numbers in every log message, whatever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is left for logging to report
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def init_app(app) -> None:
    handler_filter = RedactingFilter()
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(handler_filter)
    for handler in root.handlers + app.logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(handler_filter)
