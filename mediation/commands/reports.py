"""`flask --app wsgi reports weekly --org CODE --week YYYY-Www [--send]`."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Optional

import click
from flask import Flask
from flask.cli import AppGroup

from mediation.commands.base import fail
from mediation.common.errors import DomainError
from mediation.infra import jobs

reports_cli = AppGroup("reports", help="Weekly Fengqiao reports.")


def _deliver_inline(notification_ids: list[int]) -> Counter:
    """Delivers the given email notifications now; how many ended each way (delivery.INLINE_OUTCOMES).

    The email worker may be delivering the same rows at the same moment (send_weekly queued them):
    a row it sent or is sending is no failure of this command."""
    from mediation.notifications import delivery  # lazily: the delivery code lives with the reminders

    return Counter(delivery.deliver_inline(notification_ids).values())


@reports_cli.command("weekly")
@click.option("--org", "org_code", required=True, help="Org code; the report covers its whole subtree.")
@click.option("--week", required=True, help="ISO week in Asia/Shanghai, e.g. 2026-W47.")
@click.option("--send", is_flag=True, help="Email it to the subscribers now (each at most once per week).")
@click.option("--now", "now", default=None, help="Pretend it is this time (ISO 8601), for tests and replays.")
def weekly_command(org_code: str, week: str, send: bool, now: Optional[str]) -> None:
    """Computes and stores the week's snapshot, prints it; --send emails it to the subscribers."""
    from sqlalchemy import select

    from mediation.common.clock import parse_instant
    from mediation.extensions import db
    from mediation.models import Notification
    from mediation.reports import weekly

    at: Optional[datetime] = None
    if now:
        try:
            at = parse_instant(now)
        except ValueError:
            raise click.BadParameter("must be an ISO 8601 time", param_hint="--now") from None
    try:
        report = weekly.weekly_snapshot(org_code, week, None, at=at)
        if send:
            if not report.get("final"):
                raise click.ClickException(f"{week} is not over yet; only a finished week is sent")
            created = weekly.send_weekly(org_code, week, at=at)
            key = jobs.weekly_key_prefix(report["org"], week)
            pending = list(db.session.scalars(
                select(Notification.id).where(Notification.dedupe_key.startswith(key, autoescape=True),
                                              Notification.channel == "email", Notification.status != "sent")
                .order_by(Notification.id)))
            outcomes = _deliver_inline(pending)
            report = weekly.weekly_snapshot(org_code, week, None, at=at)
    except DomainError as exc:
        fail(exc)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    if send:
        click.echo(f"sent {outcomes['sent']} email(s) ({created} new notification(s), "
                   f"{outcomes['sent_by_worker']} sent by the email worker, {outcomes['failed']} failed)")
        if outcomes["with_worker"]:
            click.echo(f"{outcomes['with_worker']} email(s) still being sent by the email worker")
        if outcomes["pending"]:
            click.echo(f"{outcomes['pending']} email(s) could not be sent now (see `reminders failed` and the "
                       "rows' last_error); they stay pending and are retried", err=True)
        if outcomes["failed"] or outcomes["pending"]:
            raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(reports_cli)
