"""GET /healthz: the database must answer; a broker that is down does not make the app unhealthy."""
from __future__ import annotations

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from mediation.extensions import db


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


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except Exception:
            db.session.rollback()
            database = "down"
        body = {"status": "ok" if database == "ok" else "error", "database": database, "broker": broker_status()}
        return jsonify(body), 200 if database == "ok" else 503
