"""Alerts to administrators (系统告警): a periodic job that failed twice in a row.

`recorded(job, work)` runs a periodic job through infra.job_runs (one job_run row per run) and, when
the run is the ALERT_AFTER-th failure in a row, tells the administrators: one `job_failed`
notification per administrator and channel (in-app, and email for those with an address),
created through notify.create_notifications with the dedupe key
`job_failed:<job>:<first failed run of the streak>:<user>:<channel>`, so a streak alerts once
however long it lasts, and the next streak (after a success) alerts again.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from sqlalchemy import select

from mediation.common.clock import LOCAL, isoformat
from mediation.common.personal import redact
from mediation.extensions import db
from mediation.infra import job_runs
from mediation.infra.database import unit_of_work
from mediation.models import JobRun, User
from mediation.models.enums import JOBS
from mediation.notifications import notify

ALERT_AFTER = 2  # failed runs in a row
CONSEQUENCES = {
    "reminder_scan": {"zh": "期限提醒和督办通知不会发出。", "en": "no deadline reminder or escalation goes out."},
    "weekly_reports": {"zh": "每周报表不会发送。", "en": "no weekly report is sent."},
}


def recorded(job: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Runs `work` as a recorded run of `job`, alerting the administrators on repeated failure."""
    return job_runs.record(job, work, on_failure=alert_job_failed)


def administrators() -> list[User]:
    """Active administrators without an org (the whole system's); all active ones if there are none."""
    admins = list(db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True))
                                     .order_by(User.id)))
    global_admins = [u for u in admins if u.org_id is None]
    return global_admins or admins


def alert_job_failed(run: JobRun, streak: int) -> list[int]:
    """The administrators hear of `run`'s job once it failed ALERT_AFTER times in a row; returns the
    ids of the notifications created (none before the threshold or for a streak already alerted)."""
    if streak < ALERT_AFTER:
        return []
    first = job_runs.finished_runs(run.job, streak)[-1]
    payload = {"job": run.job, "job_name": JOBS[run.job], "failures": streak, "run_id": run.id,
               "first_run_id": first.id, "since": isoformat(first.started_at),
               "error": first_line(run.error)}
    with unit_of_work():
        rows = []
        for user in administrators():
            for channel in notify.channels_for(user):
                rows.append({"recipient_id": user.id, "address": user.email if channel == "email" else None,
                             "kind": "job_failed", "channel": channel,
                             "dedupe_key": f"job_failed:{run.job}:{first.id}:{user.id}:{channel}",
                             "payload": payload})
        created = notify.create_notifications(rows)
        notify.queue_email(created)
    return created


def first_line(error: Optional[str], limit: int = 300) -> str:
    line = (error or "").strip().splitlines()[0] if (error or "").strip() else ""
    return (redact(line) or "")[:limit]


def email_context(payload: dict[str, Any], locale: str) -> dict[str, Any]:
    """What the job_failed email says (mediation/templates/email/job_failed.*)."""
    from mediation.common.clock import parse_instant

    job = payload.get("job", "")
    since = payload.get("since")
    return {"job": job, "name": JOBS.get(job, job) if locale == "zh" else job.replace("_", " "),
            "failures": payload.get("failures", ALERT_AFTER), "error": payload.get("error", ""),
            "since_local": parse_instant(since).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if since else "",
            "consequence": CONSEQUENCES.get(job, {}).get(locale, "")}
