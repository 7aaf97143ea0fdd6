"""The embedded default serves a small office for real: a dozen workers — threads and separate
processes — register disputes and fire triggers on one SQLite file at the same time, and none of
them ever sees "database is locked" (BEGIN IMMEDIATE + WAL + busy timeout, mediation/database.py).

It uses its own temporary SQLite file, so it runs in the PostgreSQL suite run too.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
RECEIVED = datetime(2026, 4, 6, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
PATH = ("accept", "assign", "start_mediation", "extend", "reach_agreement", "start_follow_up", "record_follow_up",
        "close")
THREADS, PROCESSES, DISPUTES_EACH = 6, 6, 3


def make_app(path: str):
    from mediation import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "CELERY_DISABLED": True,
                       "CELERY_BROKER_URL": "redis://127.0.0.1:1/0", "SECRET_KEY": "test",
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def office_work(app, committee: str, mediator: str, shared: list[int], worker: int) -> dict:
    """One mediator's burst of work: registers disputes and drives each to closed, and meanwhile
    fires on the disputes everyone shares (where losing a race is a version conflict, never a lock)."""
    from mediation.common.errors import DomainError
    from mediation.disputes import cases, triggers
    from mediation.extensions import db
    from mediation.models import User
    from tests import factories

    result: dict = {"registered": [], "applied": 0, "refused": {}, "errors": []}
    with app.app_context():
        try:
            actor = db.session.scalar(select(User).where(User.username == mediator))
            for i in range(DISPUTES_EACH):
                body = {"committee": committee, "dispute_type": "neighbourhood", "source": "walk_in",
                        "summary": f"worker {worker} case {i}", "received_at": RECEIVED.isoformat(),
                        "parties": factories.party_list()}
                d = cases.register_dispute(body, actor=actor, at=NOW)
                result["registered"].append(d.id)
                when = RECEIVED
                for trigger in PATH:
                    when += timedelta(hours=1)
                    d = triggers.fire_trigger(d.id, trigger, version=d.version, actor=actor,
                                                 occurred_at=when.isoformat(), at=NOW,
                                                 payload={**factories.DEFAULT_PAYLOADS.get(trigger, {}),
                                                          "mediators": [mediator], "reason": "r",
                                                          "backdate_reason": factories.PAPER_RECORD})
                    result["applied"] += 1
                for dispute_id in shared:  # everyone tries the next step on the shared disputes
                    current = cases.load_dispute(dispute_id, actor)
                    trigger = triggers.allowed_triggers(current)[0] if triggers.allowed_triggers(
                        current) else "accept"
                    version = current.version
                    db.session.commit()  # end the read before the write, as a request would
                    try:
                        triggers.fire_trigger(dispute_id, trigger, version=version, actor=actor, at=NOW,
                                                 occurred_at=(RECEIVED + timedelta(days=1)).isoformat(),
                                                 payload={**factories.DEFAULT_PAYLOADS.get(trigger, {}),
                                                          "mediators": [mediator], "reason": "r",
                                                          "backdate_reason": factories.PAPER_RECORD})
                        result["applied"] += 1
                    except DomainError as exc:
                        result["refused"][exc.code] = result["refused"].get(exc.code, 0) + 1
        except Exception:  # noqa: BLE001 - every failure is reported to the test
            result["errors"].append(traceback.format_exc())
        finally:
            db.session.remove()
    return result


def process_main() -> None:
    """Entry of a worker process: arguments as JSON on argv, the result as JSON on stdout."""
    args = json.loads(sys.argv[1])
    app = make_app(args["path"])
    go = Path(args["go"])
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:  # start together with the others
        time.sleep(0.01)
    print(json.dumps(office_work(app, args["committee"], args["mediator"], args["shared"], args["worker"])))


@pytest.fixture
def office(tmp_path):
    """A fresh SQLite file with the schema, an org tree and a committee of a dozen mediators."""
    from flask_migrate import upgrade

    from mediation.extensions import db
    from mediation.orgs import tree, users
    from tests import factories

    path = tmp_path / "office.sqlite3"
    app = make_app(str(path))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        county = tree.create_org(factories.uniq("CO"), "县", "county", None)
        township = tree.create_org(factories.uniq("TS"), "镇", "township", county.code)
        committee = tree.create_committee(factories.uniq("C"), "镇调委会", township.code, "people", [])
        names = []
        for n in range(THREADS + PROCESSES):
            name = factories.uniq("med")
            users.create_user(name, factories.PASSWORD, "mediator", display_name=f"调解员{n}",
                              committee=committee.code)
            names.append(name)
        shared = [factories.make_dispute(committee, at=NOW, received_at=RECEIVED.isoformat()).id for _ in range(2)]
        code = committee.code
        db.session.remove()
    yield {"app": app, "path": str(path), "committee": code, "mediators": names, "shared": shared}
    with app.app_context():
        db.engine.dispose()


def test_a_dozen_workers_never_see_database_is_locked(office, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for n in range(PROCESSES):
        args = {"path": office["path"], "committee": office["committee"], "mediator": office["mediators"][n],
                "shared": office["shared"], "worker": n, "go": str(go)}
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from tests.test_sqlite_concurrency import process_main; process_main()",
             json.dumps(args)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results: list[dict] = []
    start = threading.Event()

    def thread_main(n: int) -> None:
        start.wait(timeout=120)
        results.append(office_work(office["app"], office["committee"], office["mediators"][PROCESSES + n],
                                   office["shared"], PROCESSES + n))

    threads = [threading.Thread(target=thread_main, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # let the processes finish importing; they all wait for the same signal
    go.touch()
    start.set()
    for t in threads:
        t.join(timeout=240)
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert len(results) == THREADS + PROCESSES
    errors = [e for r in results for e in r["errors"]]
    assert not any("locked" in e for e in errors), errors[0] if errors else ""
    assert errors == []
    # the conflicts of the shared disputes are reported as such, never as a lock
    refused = {}
    for r in results:
        for code, n in r["refused"].items():
            refused[code] = refused.get(code, 0) + n
    assert set(refused) <= {"version_conflict", "invalid_transition", "guard_failed", "validation_error"}, refused

    from mediation.extensions import db
    from mediation.models import Dispute, Event

    with office["app"].app_context():
        own = [i for r in results for i in r["registered"]]
        assert len(own) == len(set(own)) == (THREADS + PROCESSES) * DISPUTES_EACH
        closed = db.session.scalar(select(func.count(Dispute.id)).where(Dispute.id.in_(own),
                                                                        Dispute.state == "closed"))
        assert closed == len(own)
        seqs = sorted(db.session.scalars(select(Dispute.case_seq)))
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free under concurrent intake
        for dispute in db.session.scalars(select(Dispute)):
            count = db.session.scalar(select(func.count(Event.id)).where(Event.dispute_id == dispute.id))
            assert dispute.version == count  # every applied step wrote its one event, none was lost
        applied = sum(r["applied"] for r in results)
        assert db.session.scalar(select(func.count(Event.id)).where(Event.trigger != "register")) == applied
        db.session.remove()
