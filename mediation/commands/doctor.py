"""`flask --app wsgi doctor`: checks what the service needs and says what to fix.

Configuration (secret key, mail, base URL), the database (reachable, migrations at head), the
broker, the mail server (reachable when configured), a CJK font for the charts, and the last runs
of the periodic jobs. Each check prints `ok`, `warn` (works, but not as it should in production)
or `FAIL` with what to do; the exit code is 1 when any check failed.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

import click
from flask import Flask, current_app


@dataclass
class Check:
    area: str
    status: str  # "ok" | "warn" | "fail"
    message: str
    fix: str = ""


def check_config() -> list[Check]:
    config = current_app.config
    found = []
    source = config.get("SECRET_KEY_SOURCE")
    if not config.get("SECRET_KEY"):
        found.append(Check("config", "fail", "no secret key", "set SECRET_KEY in the environment"))
    elif source == "generated":
        found.append(Check("config", "ok", "secret key generated once and kept in instance/secret_key "
                                           "(set SECRET_KEY to use your own)"))
    else:
        found.append(Check("config", "ok", f"secret key set ({source})"))
    base = str(config.get("BASE_URL") or "")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        found.append(Check("config", "fail", f"BASE_URL {base!r} is not an http(s) address",
                           "set BASE_URL to the address people open, e.g. https://tiaojie.example.gov.cn"))
    elif parts.hostname in ("127.0.0.1", "localhost"):
        found.append(Check("config", "warn", f"BASE_URL is {base}: links in emails only work on this machine",
                           "set BASE_URL to the address people open"))
    else:
        found.append(Check("config", "ok", f"BASE_URL {base}"))
    if not config.get("MAIL_SERVER"):
        found.append(Check("config", "warn", f"no MAIL_SERVER: emails are written to {config.get('MAIL_FILE_PATH')}",
                           "set MAIL_SERVER (and MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD)"))
    sender = str(config.get("MAIL_DEFAULT_SENDER") or "")
    if config.get("MAIL_SERVER") and sender.endswith("@mediation.local"):
        found.append(Check("config", "warn", f"MAIL_DEFAULT_SENDER is {sender}: mail servers may refuse it",
                           "set MAIL_DEFAULT_SENDER to an address of your domain"))
    return found


def check_database() -> list[Check]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from mediation.extensions import db

    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - reported
        return [Check("database", "fail", f"cannot connect: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
                      "check DATABASE_URL and that the database server is running")]
    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    heads = set(script.get_heads())
    name = db.engine.url.render_as_string(hide_password=True)
    if current != heads:
        return [Check("database", "fail", f"{name}: migrations at {sorted(current) or 'none'}, "
                                          f"the code needs {sorted(heads)}", "run: flask --app wsgi db upgrade")]
    return [Check("database", "ok", f"{name}: migrations at head ({', '.join(sorted(heads))})")]


def check_broker() -> list[Check]:
    from mediation.health import broker_status

    url = current_app.config.get("CELERY_BROKER_URL", "")
    if broker_status() == "ok":
        return [Check("broker", "ok", f"{_safe(url)} answers")]
    fix = ("`make run` starts the embedded Redis; start it that way" if current_app.config.get("EMBEDDED_BROKER")
           else "start Redis, or fix CELERY_BROKER_URL")
    return [Check("broker", "fail", f"{_safe(url)} does not answer: nothing is queued (reminders wait in the "
                                    "database)", fix)]


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def check_mail() -> list[Check]:
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        return []
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    try:
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        with smtp_class(server, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
                smtp.ehlo()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            code, _ = smtp.noop()
    except smtplib.SMTPAuthenticationError as exc:
        return [Check("mail", "fail", f"{server}:{port} refused the login ({exc.smtp_code})",
                      "check MAIL_USERNAME and MAIL_PASSWORD")]
    except (OSError, smtplib.SMTPException) as exc:
        return [Check("mail", "fail", f"{server}:{port} unreachable: {exc.__class__.__name__}: {exc}",
                      "check MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS/MAIL_USE_SSL and the firewall; "
                      "emails stay pending meanwhile")]
    return [Check("mail", "ok", f"{server}:{port} answers ({code})")]


def check_fonts() -> list[Check]:
    from mediation.reports.charts import cjk_font

    font = cjk_font()
    if font:
        return [Check("fonts", "ok", f"charts use {font} for Chinese labels")]
    return [Check("fonts", "warn", "no CJK font: the weekly report's charts fall back to English labels",
                  "install one, e.g. apt-get install fonts-noto-cjk (or fonts-wqy-microhei)")]


def check_runs() -> list[Check]:
    from mediation.common.clock import LOCAL
    from mediation.common.clock import now as clock_now
    from mediation.health import STALE_INTERVALS
    from mediation.infra import job_runs

    now = clock_now()
    interval = 60.0 * float(current_app.config.get("REMINDER_SCAN_MINUTES", 5))
    found = []
    for job, periodic in (("reminder_scan", True), ("weekly_reports", False)):
        last, success = job_runs.last_run(job), job_runs.last_success(job)
        if last is None:
            found.append(Check("runs", "warn" if periodic else "ok", f"{job}: no run recorded yet",
                               "start the workers and beat (`make run` does)" if periodic else ""))
            continue
        when = last.started_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
        if last.error is not None:
            first = (last.error.strip().splitlines() or [""])[0][:200]
            found.append(Check("runs", "fail", f"{job}: the last run ({when}) failed, "
                                               f"{job_runs.failures_in_a_row(job)} in a row: {first}",
                               "fix the cause, then run it again (flask --app wsgi reminders scan)"
                               if job == "reminder_scan" else "fix the cause; the next Monday run sends it"))
        elif periodic and success is not None and (now - success.finished_at).total_seconds() > STALE_INTERVALS * interval:
            found.append(Check("runs", "fail", f"{job}: last success {when}, more than {STALE_INTERVALS} intervals ago",
                               "check that beat and the reminders worker are running"))
        else:
            found.append(Check("runs", "ok", f"{job}: last run {when} succeeded {_counts(last.counts)}"))
    return found


def _counts(counts: Optional[dict]) -> str:
    if not counts:
        return ""
    shown = {k: v for k, v in counts.items() if not isinstance(v, (dict, list)) and k != "at"}
    return "(" + ", ".join(f"{k} {v}" for k, v in shown.items()) + ")" if shown else ""


CHECKS = (check_config, check_database, check_broker, check_mail, check_fonts, check_runs)


def run_checks() -> list[Check]:
    found: list[Check] = []
    for check in CHECKS:
        try:
            found.extend(check())
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            from mediation.extensions import db

            db.session.rollback()
            found.append(Check(check.__name__.removeprefix("check_"), "fail",
                               f"the check itself failed: {exc.__class__.__name__}: {exc}"))
    return found


@click.command("doctor")
def doctor_command() -> None:
    """Checks configuration, database, broker, mail, fonts and the last job runs; says what to fix."""
    found = run_checks()
    for item in found:
        label = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[item.status]
        click.echo(f"[{label}] {item.area:<8} {item.message}")
        if item.fix and item.status != "ok":
            click.echo(f"         fix: {item.fix}")
    failed = sum(1 for item in found if item.status == "fail")
    warned = sum(1 for item in found if item.status == "warn")
    click.echo(f"{failed} problem(s), {warned} warning(s)")
    if failed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(doctor_command)
