"""The e-mail baseline's Celery app: a no-op task on the same broker and at the same concurrency as
the e-mail worker. It only counts itself in Redis, so the bench knows when every task has run.

    celery -A bench.noop_worker worker -Q bench_noop --pool threads -c 4
"""
from __future__ import annotations

import os

import redis
from celery import Celery

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
COUNTER = "bench:noop:done"

app = Celery("bench_noop", broker=BROKER)
app.conf.update(task_ignore_result=True, task_default_queue="bench_noop", worker_hijack_root_logger=False,
                task_acks_late=True, worker_prefetch_multiplier=1,  # as the product's workers
                broker_connection_retry_on_startup=True)
_redis = redis.Redis.from_url(BROKER)


@app.task(name="bench.noop")
def noop() -> None:
    _redis.incr(COUNTER)
