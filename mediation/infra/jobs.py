"""The names of the background work, in one place: Celery task names, their queues, the worker
that serves each queue, and the dedupe keys that make a job's notifications idempotent.

One queue per kind of work, so that a slow report never delays a reminder: `reminders` (the
scan), `email` (delivery) and `reports` (weekly reports). `make run` (commands/runner.py) starts one
worker per queue with the pool named here; infra/celery_app.py routes each task to its queue.
"""
from __future__ import annotations

SCAN_REMINDERS = "mediation.scan_reminders"
DELIVER_NOTIFICATIONS = "mediation.deliver_notifications"
SEND_WEEKLY_REPORTS = "mediation.send_weekly_reports"
SEND_WEEKLY_REPORT = "mediation.send_weekly_report"

REMINDERS_QUEUE, EMAIL_QUEUE, REPORTS_QUEUE = "reminders", "email", "reports"
QUEUES = (REMINDERS_QUEUE, EMAIL_QUEUE, REPORTS_QUEUE)

ROUTES = {
    SCAN_REMINDERS: REMINDERS_QUEUE,
    DELIVER_NOTIFICATIONS: EMAIL_QUEUE,
    SEND_WEEKLY_REPORTS: REPORTS_QUEUE,
    SEND_WEEKLY_REPORT: REPORTS_QUEUE,
}

# (queue, pool, concurrency): the scan alone; delivery in a few threads (it waits on SMTP);
# reports alone (matplotlib is not thread-safe)
WORKERS = (
    (REMINDERS_QUEUE, "solo", 1),
    (EMAIL_QUEUE, "threads", 4),
    (REPORTS_QUEUE, "solo", 1),
)


def weekly_key_prefix(org_code: str, week: str) -> str:
    """The dedupe-key prefix of one org's weekly report e-mails for `week`."""
    return f"weekly:{org_code}:{week}:"


def weekly_key(org_code: str, week: str, address: str) -> str:
    """The dedupe key of the weekly report e-mail to one subscriber: each gets a week at most once."""
    return (weekly_key_prefix(org_code, week) + address.lower())[:255]
