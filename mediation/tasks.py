"""Celery tasks: thin wrappers that call one service each. Arguments are ids, never objects."""
from __future__ import annotations

from celery import shared_task


# -- weekly Fengqiao reports (issue 5) ---------------------------------------------------------
@shared_task(name="mediation.send_weekly_reports")
def send_weekly_reports(now: str | None = None) -> dict:
    """Monday beat job: the previous ISO week's report to every org with subscribers."""
    from mediation.services.clock import parse_instant
    from mediation.services.reports import send_previous_week

    return send_previous_week(at=parse_instant(now) if now else None)


@shared_task(name="mediation.send_weekly_report")
def send_weekly_report(org_code: str, week: str) -> int:
    """One org's weekly report to its subscribers (idempotent per subscriber, org and week)."""
    from mediation.services.reports import send_weekly

    return send_weekly(org_code, week)
