"""`flask --app wsgi reports weekly --org CODE --week YYYY-Www [--send]`."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Optional

import click
from flask import Flask
from flask.cli import AppGroup

from mediation.commands.base import fail
from mediation.common.errors import DomainError
from mediation.infra import jobs

reports_cli = AppGroup("reports", help="Weekly Fengqiao reports.")


def _deliver_inline(notification_ids: list[int]) -> tuple[int, int]:
    """Delivers the given email notifications now (the reminders helper's mailer); (sent, failed)."""
    from mediation.notifications import delivery  # lazily: the delivery code lives with the reminders

    sent = failed = 0
    for notification_id in notification_ids:
        try:
            ok = delivery.deliver(notification_id)
        except Exception as exc:  # noqa: BLE001 - reported, the row stays pending for the next scan
            click.echo(f"notification {notification_id}: {exc.__class__.__name__}: {exc}", err=True)
            failed += 1
            continue
        if ok is False:
            failed += 1
        else:
            sent += 1
    return sent, failed


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
            sent, failed = _deliver_inline(pending)
            report = weekly.weekly_snapshot(org_code, week, None, at=at)
    except DomainError as exc:
        fail(exc)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    if send:
        click.echo(f"sent {sent} email(s) ({created} new notification(s), {failed} failed)")
        if failed:
            raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(reports_cli)
