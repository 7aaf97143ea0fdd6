"""GET /healthz: the database must answer; a broker that is down does not make the app unhealthy."""
from __future__ import annotations

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from mediation.extensions import db


def broker_status() -> str:
    celery = current_app.extensions.get("celery")
    if celery is None:
        return "down"
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
        return "ok"
    except Exception:
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
