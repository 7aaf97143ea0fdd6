"""GET /healthz: is the service alive, and is its background work getting done?

HTTP 200 while the database answers (503 when it does not): a broker that is down or a scan that
fails does not take the web app out of a load balancer, since people can still work. Monitoring
reads the body: `"status": "degraded"` when the reminder scan's last run failed, or no scan
succeeded for two intervals (REMINDER_SCAN_MINUTES), with the reasons in `problems`; the age of
the last successful scan and of the last email delivered.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask import Flask, current_app, jsonify
from sqlalchemy import func, select, text

from mediation.extensions import db

STALE_INTERVALS = 2  # the scan is late after this many intervals without a success


def broker_status() -> str:
    """"ok" or "down", at once: one connection attempt, no retries (tasks_seam.broker_connection)."""
    from mediation.infra.tasks_seam import broker_connection

    if current_app.extensions.get("celery") is None:
        return "down"
    try:
        with broker_connection():
            return "ok"
    except Exception:  # noqa: BLE001 - whatever the reason, the broker cannot take work now
        return "down"


def _age(moment: Optional[datetime], now: datetime) -> Optional[int]:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def background(now: Optional[datetime] = None) -> tuple[dict[str, Any], list[str]]:
    """The state of the reminder scan and of email delivery, and what is wrong with them."""
    from mediation.common.clock import isoformat
    from mediation.common.clock import now as clock_now
    from mediation.infra import job_runs
    from mediation.models import Notification

    now = now or clock_now()
    interval = 60.0 * float(current_app.config.get("REMINDER_SCAN_MINUTES", 5))
    last, success = job_runs.last_run("reminder_scan"), job_runs.last_success("reminder_scan")
    problems: list[str] = []
    if last is not None and last.error is not None:
        problems.append(f"the last reminder scan failed ({job_runs.failures_in_a_row('reminder_scan')} failure(s) "
                        f"in a row): {_first_line(last.error)}")
    if success is None:
        problems.append("the reminder scan has never run successfully")
    elif (now - success.finished_at).total_seconds() > STALE_INTERVALS * interval:
        problems.append(f"no successful reminder scan for {_age(success.finished_at, now)} s "
                        f"(it runs every {interval:g} s)")
    scan = {"last_success_at": isoformat(success.finished_at) if success else None,
            "age_seconds": _age(success.finished_at, now) if success else None,
            "last_run_failed": bool(last is not None and last.error is not None)}
    last_sent = db.session.scalar(select(func.max(Notification.sent_at)).where(Notification.channel == "email"))
    pending = db.session.scalar(select(func.count()).select_from(Notification)
                                .where(Notification.channel == "email", Notification.status == "pending"))
    delivery = {"last_sent_at": isoformat(last_sent), "age_seconds": _age(last_sent, now), "pending": pending}
    return {"reminder_scan": scan, "delivery": delivery}, problems


def _first_line(error: str) -> str:
    return (error.strip().splitlines() or [""])[0][:200]


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except Exception:
            db.session.rollback()
            database = "down"
        if database != "ok":
            return jsonify({"status": "error", "database": database, "broker": broker_status()}), 503
        try:
            state, problems = background()
        except Exception as exc:  # noqa: BLE001 - e.g. migrations not applied: say so, keep answering
            db.session.rollback()
            state, problems = {}, [f"cannot read the background jobs' state: {exc.__class__.__name__}"]
        body = {"status": "degraded" if problems else "ok", "database": database, "broker": broker_status(),
                **state, "problems": problems}
        return jsonify(body), 200
