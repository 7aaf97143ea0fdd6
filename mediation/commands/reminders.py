"""`flask --app wsgi reminders …`: the deadline reminder scan, and undeliverable notifications."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import click
from flask import Flask
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Deadline reminders, supervisor escalation and their delivery.")


def _instant(ctx, param, value: Optional[str]) -> Optional[datetime]:
    from mediation.common.clock import parse_instant

    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter("must be an ISO 8601 time, e.g. 2026-11-23T09:00:00+08:00") from None


@reminders_cli.command("scan")
@click.option("--now", callback=_instant, default=None, metavar="ISO",
              help="Scan as of this time (ISO 8601; without offset: Asia/Shanghai). Default: now.")
def scan_command(now: Optional[datetime]) -> None:
    """Creates the due notifications and queues their delivery; running it twice creates nothing twice.

    With the broker down the notifications are still created and the command exits 0: the next
    scan queues their emails. Each run is recorded (job_run), like beat's.
    """
    from mediation.notifications import reminders
    from mediation.notifications.alerts import recorded

    found = []
    recorded("reminder_scan", lambda: found.append(reminders.scan(now)) or found[0].as_dict())
    result = found[0]
    kinds = ", ".join(f"{kind} {count}" for kind, count in result.created.items())
    click.echo(f"created {result.total} notification(s) ({kinds}) as of {result.as_dict()['at']}")
    if result.lapsed:
        click.echo(f"{result.lapsed} judicial confirmation window(s) lapsed unused")
    line = f"queued {result.emails_queued} email(s) for delivery"
    if result.emails_queued < result.emails_pending:
        line += (f"; {result.emails_pending - result.emails_queued} stay pending (broker unavailable): "
                 "the next scan queues them")
    click.echo(line)


@reminders_cli.command("failed")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
def failed_command(limit: int) -> None:
    """Lists the email notifications that failed for good (after the last attempt, or refused)."""
    from mediation.notifications import notify
    page = notify.failed_notifications(None, per_page=limit)
    for row in page["items"]:
        click.echo(f"{row.id}\t{row.kind}\t{row.address}\tattempts {row.attempts}\t{row.last_error or ''}")
    click.echo(f"{page['total']} failed notification(s)")


@reminders_cli.command("retry-failed")
@click.option("--id", "ids", multiple=True, type=int, help="Only these notifications (repeatable). Default: all.")
def retry_failed_command(ids: tuple[int, ...]) -> None:
    """Queues failed email notifications again (after the SMTP problem or the address is fixed)."""
    from mediation.notifications import notify
    again = notify.retry_failed(None, list(ids) if ids else None)
    click.echo(f"{len(again)} failed notification(s) pending again and queued")


def register(app: Flask) -> None:
    """Adds the `reminders` group."""
    app.cli.add_command(reminders_cli)
