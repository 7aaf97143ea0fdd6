"""The one seam through which services queue work: by task name, so services never import tasks.

Sending never raises and never blocks for long: each call opens one broker connection that fails
at the first refused attempt (no kombu reconnect loop), so with Redis down a web request loses a
few milliseconds, the rows stay pending in the database and the next reminder scan queues them.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Optional

from flask import current_app

log = logging.getLogger(__name__)

Call = tuple[str, tuple[Any, ...], Optional[str]]  # (task name, positional args, queue)


@contextmanager
def broker_connection() -> Iterator:
    """A connection to the broker that fails at the first refusal (no kombu reconnect loop)."""
    celery = current_app.extensions["celery"]
    with celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=current_app.config.get("BROKER_SEND_TIMEOUT", 2))
        yield conn


def send_task(name: str, *args: Any, queue: str | None = None) -> bool:
    """Queues task `name` with `args`; False when the broker is unavailable (or Celery is disabled)."""
    return send_tasks([(name, args, queue)]) == 1


def send_tasks(calls: Iterable[Call]) -> int:
    """Queues several tasks over one connection; returns how many were queued.

    Stops at the first failure: the broker is down, the rest would fail the same way.
    """
    calls = list(calls)
    celery = current_app.extensions.get("celery")
    if not calls or celery is None or current_app.config.get("CELERY_DISABLED"):
        return 0
    sent = 0
    try:
        with broker_connection() as conn:
            for name, args, queue in calls:
                celery.send_task(name, args=list(args), queue=queue, connection=conn)
                sent += 1
    except Exception as exc:  # broker down: nothing is lost, the rows are in the database
        log.warning("could not queue %s (%d of %d queued): %s", calls[sent][0] if sent < len(calls) else "tasks",
                    sent, len(calls), exc.__class__.__name__)
    return sent
