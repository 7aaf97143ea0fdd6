"""Benchmark: the set-based reminder scan against a per-deadline service loop, in one run.

    .venv/bin/python -m bench.reminder_scan --cases 50000 \
        --database postgresql://postgres@127.0.0.1/med_bench_reminders

It empties the given (dedicated!) database, applies the migrations and seeds the demo with
`flask --app wsgi seed-demo --cases N` (a city's worth of disputes in every state), then, as of
the same moment:

1. the first scan of a backlog, both ways, each in a transaction rolled back afterwards:
   `reminders.scan`'s statements, and the baseline: a Python loop over every open deadline
   (effective policy, recipients and supervisors per deadline, `notify.create_notifications`);
2. the steady state, the every-5-minutes case where nearly everything exists already: the real
   scan (committed once) and the baseline loop, `--repeat` times each (median).

It prints open deadlines, rows created, timings and the ratios. The machine's load average is
printed too: on a shared 2-core machine other work slows every figure alike, not the ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(url: str, cases: int, reuse: bool) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
    if not reuse:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(flask + ["seed-demo", "--cases", str(cases)], cwd=ROOT, env=env, check=True)


def baseline_scan(at: datetime) -> int:
    """What the scan would be as one service call per deadline: the loop the set-based scan replaces."""
    from sqlalchemy import select

    from mediation.disputes.policy import effective_policy
    from mediation.extensions import db
    from mediation.models import Deadline, User
    from mediation.notifications import notify

    created = 0
    for deadline in db.session.scalars(select(Deadline).where(Deadline.status == "open")):
        dispute = deadline.dispute
        policy = effective_policy(dispute.committee.org)
        due, stamp = deadline.due_at, deadline.due_at.strftime("%Y%m%d%H%M")
        mediators = [a.mediator for a in dispute.active_assignments if a.mediator.active] or list(db.session.scalars(
            select(User).where(User.committee_id == dispute.committee_id, User.role == "mediator",
                               User.active.is_(True))))
        wanted: list[tuple[str, int, list[User]]] = []
        if due > at:
            crossed = [d for d in sorted(policy["remind_before_days"]) if due <= at + timedelta(days=d)]
            if crossed:
                wanted.append(("due_soon", crossed[0], mediators))
        elif deadline.kind != "confirmation":
            wanted.append(("overdue", 0, mediators))
            if due <= at - timedelta(days=policy["supervisor_after_days"]):
                wanted.append(("supervisor_overdue", policy["supervisor_after_days"], notify.supervisors_above(dispute)))
        rows = [{"recipient_id": u.id, "address": u.email if channel == "email" else None, "kind": kind,
                 "channel": channel, "dispute_id": dispute.id, "deadline_id": deadline.id,
                 "dedupe_key": f"{kind}:{deadline.id}@{stamp}:{threshold}:{u.id}:{channel}",
                 "payload": {"threshold_days": threshold}}
                for kind, threshold, users in wanted for u in users for channel in notify.channels_for(u)]
        created += len(notify.create_notifications(rows, at=at))
    return created


def rolled_back(fn):
    """Runs `fn` in a transaction that is rolled back, whatever it commits inside."""
    from mediation.extensions import db

    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    from sqlalchemy.orm import scoped_session, sessionmaker

    db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    try:
        start = time.perf_counter()
        value = fn()
        return time.perf_counter() - start, value
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


def median_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a DEDICATED PostgreSQL database: it is emptied")
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded data of an earlier run")
    args = parser.parse_args()
    url = args.database
    prepare(url, args.cases, args.reuse)

    from sqlalchemy import func, select, text

    from mediation import create_app
    from mediation.common.clock import now
    from mediation.extensions import db
    from mediation.models import Deadline, Dispute, Notification
    from mediation.notifications import reminders

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CELERY_DISABLED": True, "MAIL_SERVER": None})
    with app.app_context():
        db.session.execute(Notification.__table__.delete())
        db.session.commit()
        at = now()
        db.session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would have them
        disputes = db.session.scalar(select(func.count()).select_from(Dispute))
        open_deadlines = db.session.scalar(select(func.count()).where(Deadline.status == "open"))
        print(f"load average {os.getloadavg()[0]:.2f}; {disputes} disputes, {open_deadlines} open deadlines")

        first_set, result = rolled_back(lambda: reminders.scan(at))
        first_loop, looped = rolled_back(lambda: baseline_scan(at))
        print(f"first scan of the backlog: set-based {first_set:.3f}s ({result.total} rows), "
              f"per-deadline loop {first_loop:.3f}s ({looped} rows): ratio {first_loop / first_set:.1f}x")

        reminders.scan(at)  # committed: from now on nearly everything exists
        steady_set = median_of(lambda: reminders.scan(at + timedelta(minutes=5)), args.repeat)
        steady_loop = median_of(lambda: rolled_back(lambda: baseline_scan(at + timedelta(minutes=5))), args.repeat)
        print(f"steady state (every 5 minutes), median of {args.repeat}: set-based {steady_set:.3f}s, "
              f"per-deadline loop {steady_loop:.3f}s: ratio {steady_loop / steady_set:.1f}x")


if __name__ == "__main__":
    main()
