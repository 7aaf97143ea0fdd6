"""Property-based fuzzing of the live API with schemathesis, driven by its own OpenAPI document.

The app serves on a real socket (werkzeug in a thread, the data committed); schemathesis reads
/api/v1/openapi.json and runs every phase that fits the budget (docs/api-notes.md, "Fuzzing"):
the document's examples, the coverage phase (boundary and invalid values of every parameter),
random fuzzing, and the stateful phase that follows the document's links (register a dispute →
fire a trigger → read its events). Every operation is covered with an administrator's token,
except those that would lock the fuzzer out; those on another account (deactivate, reactivate,
set a password: `path.username`) run on a throwaway user. The checks: no 5xx, and every answer
conforms to the document (status codes, content types, headers, response schemas).

The seed is fixed in `make test` unless FUZZ_SEED is set (`make fuzz` draws a random one), and
printed (and named in a failure) so a failure can be replayed: `FUZZ_SEED=… make test PYTEST_ARGS=tests/api/test_fuzz.py`. `make fuzz` runs the
longer pre-release budget (FUZZ_EXAMPLES=100, all phases, about five minutes).
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
from tests.factories import PASSWORD, dispute_in, make_dispute

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful")
SEED = int(os.environ.get("FUZZ_SEED") or 20261202)  # fixed in make test (it must land); make fuzz draws one
# operations that would lock the fuzzer out: revoking its own token; changing its own password
LOCKOUT = ("DELETE /api/v1/auth/token", "POST /api/v1/auth/password", "PUT /api/v1/auth/password",
           "POST /api/v1/users/me/password")


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
@pytest.mark.timeout(int(os.environ.get("FUZZ_TIMEOUT", "600")) + 120)
def test_schemathesis_finds_no_server_error_and_no_drift(world, db, live_server, tmp_path):
    for state in ("registered", "follow_up", "closed"):
        dispute_in(state, world.cv1)
    target = dispute_in("in_mediation", world.cv1)
    make_dispute(world.cv3, risk_level="red")
    token, _ = users.issue_token(world.admin)
    notice = notify.create_notifications([{"recipient_id": world.admin.id, "kind": "risk_alert", "channel": "in_app",
                                           "dispute_id": target.id, "dedupe_key": "fuzz"}])[0]
    subscription = weekly.add_subscription(world.t1.code, "fuzz@example.org", None)["id"]
    throwaway = users.create_user("fuzz.throwaway", PASSWORD, "mediator", committee=world.committees["cv1"].code)
    # path ids that exist, so requests reach the logic behind them instead of stopping at 404;
    # an account the fuzzer may deactivate or re-password without locking itself out
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.dispute_id" = {target.id}\n"path.notification_id" = {notice}\n'
                      f'"path.subscription_id" = {subscription}\n"path.code" = "{world.v1.code}"\n'
                      f'"path.username" = "{throwaway.username}"\n"path.user_id" = {throwaway.id}\n')
    print(f"schemathesis seed {SEED} (replay: FUZZ_SEED={SEED})", flush=True)
    db.session.commit()
    db.session.remove()  # the server's threads write; this one must hold no transaction open
    limiter.reset()
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
             f"{live_server}/api/v1/openapi.json",
             *(arg for name in LOCKOUT for arg in ("--exclude-name", name)),
             "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "1",
             "--phases", PHASES, "--generation-database", "none",
             "--header", f"Authorization: Bearer {token}", "--request-timeout", "30", "--no-color",
             "--suppress-health-check", "all", "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=int(os.environ.get("FUZZ_TIMEOUT", "600")), cwd=str(tmp_path))
    finally:
        limiter.reset()  # the fuzzer's failed logins must not lock out later tests
    report = f"seed {SEED} (replay: FUZZ_SEED={SEED})\n" + done.stdout[-20000:] + done.stderr[-3000:]
    print(report[-4000:])
    assert done.returncode == 0, report
    assert "No issues found" in done.stdout, report
