"""Logging with personal data masked: every record passes through `redact`, whatever logged it.

A filter on the root logger only sees records logged *to* the root logger (propagated records
skip the ancestors' filters), and a filter on handlers misses handlers added later (gunicorn,
Celery, Alembic's `fileConfig`, pytest's caplog). So the masking is done where every record is
born: a log-record factory wraps the standard one and redacts the message, the formatted
traceback and the stack before any handler sees them. `RedactingFilter` does the same for
handlers that want it explicitly.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from mediation.common.personal import redact, redact_url


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Masks ID and mobile numbers in the record's message, traceback text and stack info."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is left for logging to report
        return record
    masked = redact_url(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        masked_text = redact(text)
        if masked_text != text:  # formatters use exc_text as it is once it is set
            record.exc_text = masked_text
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Masks resident ID and mobile numbers in every record it filters."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _redacting_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(base(*args, **kwargs))

    factory.redacting = True  # type: ignore[attr-defined]
    return factory


def install() -> None:
    """Makes every log record of this process born redacted (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacting", False):
        logging.setLogRecordFactory(_redacting_factory(current))


def init_app(app) -> None:
    install()
    handler_filter = RedactingFilter()
    root = logging.getLogger()
    for handler in root.handlers + app.logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(handler_filter)
