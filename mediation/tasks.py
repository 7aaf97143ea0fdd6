"""Celery tasks: thin wrappers that call one service each. Arguments are ids, never objects."""
from __future__ import annotations

import logging

from celery import shared_task

from mediation.infra import jobs

log = logging.getLogger(__name__)


# -- deadline reminders, supervisor escalation, risk alerts ----------------------------------
@shared_task(name=jobs.SCAN_REMINDERS)
def scan_reminders(now: str | None = None) -> dict:
    """Beat job: creates the due reminders and escalations and queues their delivery (notifications/reminders.py);
    each run is recorded (job_run), and two failures in a row alert the administrators (notifications/alerts.py)."""
    from mediation.common.clock import parse_instant
    from mediation.notifications import reminders
    from mediation.notifications.alerts import recorded

    at = parse_instant(now) if now else None
    return recorded("reminder_scan", lambda: reminders.scan(at).as_dict())


@shared_task(name=jobs.DELIVER_NOTIFICATIONS, bind=True, max_retries=None)
def deliver_notifications(self, notification_ids: list[int]) -> dict:
    """Sends the pending email notifications among the ids; transient failures retry with exponential
    backoff (notifications/delivery.py decides what is transient and when a row has failed for good)."""
    from mediation.notifications import delivery
    report = delivery.deliver_many(notification_ids)
    if report.retry:
        if self.request.retries >= delivery.max_attempts():
            log.warning("giving up on %d notification(s) for now; they stay pending and the next reminder "
                        "scan queues them again", len(report.retry))
        else:
            raise self.retry(args=[report.retry], countdown=delivery.retry_delay(self.request.retries))
    return report.as_dict()


# -- weekly Fengqiao reports ---------------------------------------------------------
@shared_task(name=jobs.SEND_WEEKLY_REPORTS)
def send_weekly_reports(now: str | None = None) -> dict:
    """Monday beat job: the previous ISO week's report to every org with subscribers; recorded like the scan."""
    from mediation.common.clock import parse_instant
    from mediation.notifications.alerts import recorded
    from mediation.reports.weekly import send_previous_week

    at = parse_instant(now) if now else None
    return recorded("weekly_reports", lambda: send_previous_week(at=at))


@shared_task(name=jobs.SEND_WEEKLY_REPORT)
def send_weekly_report(org_code: str, week: str) -> int:
    """One org's weekly report to its subscribers (idempotent per subscriber, org and week)."""
    from mediation.reports.weekly import send_weekly

    return send_weekly(org_code, week)
