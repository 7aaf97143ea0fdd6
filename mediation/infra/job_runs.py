"""Runs of the periodic jobs (table job_run; their names and queues are in infra/jobs.py): each run is recorded when it starts and when it ends, with
its counts or its error, in transactions of their own, so a run that fails still leaves its row.

`record(job, work)` runs `work()` and records it; `on_failure(run, streak)` is called after a
failed run with the number of failed runs in a row (the current one included): the alerting
lives with the notifications, which may use infra but not the other way round.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from mediation.common.clock import now as clock_now
from mediation.common.personal import redact
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import JobRun
from mediation.models.enums import JOBS

log = logging.getLogger(__name__)

ERROR_CHARS = 2000


def record(job: str, work: Callable[[], dict[str, Any]],
           on_failure: Optional[Callable[[JobRun, int], None]] = None) -> dict[str, Any]:
    """Runs `work` as one run of `job`; returns its counts. A failure is recorded, reported to
    `on_failure`, and raised again (the caller, Celery or a command, shows it)."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}")
    with unit_of_work() as session:
        run = JobRun(job=job, started_at=clock_now(), counts={})
        session.add(run)
    run_id = run.id
    try:
        counts = work()
    except Exception as exc:
        db.session.rollback()
        text = redact(f"{exc.__class__.__name__}: {exc}\n" + "".join(traceback.format_exception(exc)[-3:]))
        with unit_of_work() as session:
            failed = session.get(JobRun, run_id)
            failed.finished_at, failed.error = clock_now(), text[:ERROR_CHARS]
        streak = failures_in_a_row(job)
        log.error("%s run %d failed (%d in a row): %s", job, run_id, streak, exc.__class__.__name__)
        if on_failure is not None:
            try:
                on_failure(failed, streak)
            except Exception:  # noqa: BLE001 - the alert must never hide the job's own error
                db.session.rollback()
                log.exception("could not alert the administrators of the failed %s run %d", job, run_id)
        raise
    with unit_of_work() as session:
        done = session.get(JobRun, run_id)
        done.finished_at, done.counts = clock_now(), _jsonable(counts or {})
    return counts


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def finished_runs(job: str, limit: int = 10) -> list[JobRun]:
    """The job's finished runs, newest first."""
    return list(db.session.scalars(select(JobRun).where(JobRun.job == job, JobRun.finished_at.is_not(None))
                                   .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)))


def failures_in_a_row(job: str, limit: int = 50) -> int:
    """How many of the job's last finished runs failed, counted back to its last success."""
    streak = 0
    for run in finished_runs(job, limit):
        if run.error is None:
            break
        streak += 1
    return streak


def last_run(job: str) -> Optional[JobRun]:
    return db.session.scalar(select(JobRun).where(JobRun.job == job, JobRun.finished_at.is_not(None))
                             .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))


def last_success(job: str) -> Optional[JobRun]:
    return db.session.scalar(select(JobRun).where(JobRun.job == job, JobRun.finished_at.is_not(None),
                                                  JobRun.error.is_(None))
                             .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))
