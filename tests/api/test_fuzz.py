"""Property-based fuzzing of the live API with schemathesis, driven by its own OpenAPI document.

The app serves on a real socket (werkzeug in a thread, the data committed); schemathesis reads
/api/v1/openapi.json, generates valid and invalid requests for every operation (a bounded number
each) with an administrator's bearer token, and checks that no answer is a 5xx and that every
answer conforms to the document: declared status codes, content types, headers, response schemas.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mediation.extensions import limiter
from mediation.notifications import notify
from mediation.orgs import users
from mediation.reports import weekly
from tests.factories import dispute_in, make_dispute

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-api", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.committed
@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_drift(world, db, live_server, tmp_path):
    for state in ("registered", "follow_up", "closed"):
        dispute_in(state, world.cv1)
    target = dispute_in("in_mediation", world.cv1)
    make_dispute(world.cv3, risk_level="red")
    token, _ = users.issue_token(world.admin)
    notice = notify.create_notifications([{"recipient_id": world.admin.id, "kind": "risk_alert", "channel": "in_app",
                                           "dispute_id": target.id, "dedupe_key": "fuzz"}])[0]
    subscription = weekly.add_subscription(world.t1.code, "fuzz@example.org", None)["id"]
    # path ids that exist, so requests reach the logic behind them instead of stopping at 404
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.dispute_id" = {target.id}\n"path.notification_id" = {notice}\n'
                      f'"path.subscription_id" = {subscription}\n"path.code" = "{world.v1.code}"\n')
    db.session.commit()
    db.session.remove()  # the server's threads write; this one must hold no transaction open
    limiter.reset()
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
             f"{live_server}/api/v1/openapi.json",
             "--exclude-name", "DELETE /api/v1/auth/token",  # would revoke the token the run uses
             "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--seed", "20261123", "--workers", "1",
             "--phases", PHASES, "--generation-database", "none",
             "--header", f"Authorization: Bearer {token}", "--request-timeout", "30", "--no-color",
             "--suppress-health-check", "all", "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    finally:
        limiter.reset()  # the fuzzer's failed logins must not lock out later tests
    report = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "No issues found" in done.stdout, report
