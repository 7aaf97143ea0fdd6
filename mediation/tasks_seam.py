"""The one seam through which services queue work: by task name, so services never import tasks.

Sending never raises: with the broker down the rows stay pending and the next scan queues them.
"""
from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)


def send_task(name: str, *args, queue: str | None = None) -> bool:
    celery = current_app.extensions.get("celery")
    if celery is None or current_app.config.get("CELERY_DISABLED"):
        return False
    try:
        celery.send_task(name, args=list(args), queue=queue)
        return True
    except Exception as exc:  # broker down: nothing is lost, the rows are in the database
        log.warning("could not queue %s: %s", name, exc.__class__.__name__)
        return False
