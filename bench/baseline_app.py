"""The baselines `make bench` compares the product with: the bare minimum of serving a dispute row.

A minimal Flask app on the same server settings as the product (gunicorn, same workers and
threads, same PostgreSQL, SQLAlchemy's default connection pool), with nothing of the product in it:

- `GET /row/<id>`: one dispute row read by primary key, returned as JSON;
- `POST /write/<id>`: one UPDATE of the dispute and one INSERT of an event, in one transaction.

    BENCH_DATABASE_URL=postgresql+psycopg://… gunicorn bench.baseline_app:app …
"""
from __future__ import annotations

import os

from flask import Flask, abort, jsonify
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/med_bench_run"))

READ = text("SELECT id, case_number, state, committee_id, summary, received_at, version FROM dispute WHERE id = :id")
UPDATE = text("UPDATE dispute SET version = version + 1, last_event_at = now(), updated_at = now() "
              "WHERE id = :id RETURNING version, state, committee_id")
INSERT = text("INSERT INTO event (dispute_id, trigger, from_state, to_state, committee_id, org_id, occurred_at, "
              "recorded_at, payload) VALUES (:id, 'bench_write', :state, :state, :committee_id, "
              "(SELECT org_id FROM committee WHERE id = :committee_id), now(), now(), '{}')")


@app.get("/row/<int:dispute_id>")
def row(dispute_id: int):
    with engine.connect() as conn:
        found = conn.execute(READ, {"id": dispute_id}).mappings().first()
    if found is None:
        abort(404)
    return jsonify({**found, "received_at": found["received_at"].isoformat()})


@app.post("/write/<int:dispute_id>")
def write(dispute_id: int):
    with engine.begin() as conn:
        changed = conn.execute(UPDATE, {"id": dispute_id}).mappings().first()
        if changed is None:
            abort(404)
        conn.execute(INSERT, {"id": dispute_id, "state": changed["state"], "committee_id": changed["committee_id"]})
    return jsonify({"id": dispute_id, "version": changed["version"]})
