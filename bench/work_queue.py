"""Benchmark: one page of the web work queue (disputes.queue.work_queue) on a seeded demo city.

    .venv/bin/python -m bench.work_queue --database sqlite:////tmp/queue.sqlite3 --cases 20000
    .venv/bin/python -m bench.work_queue --database postgresql://postgres@127.0.0.1/<dedicated db> --reuse

It seeds the demo into the given (dedicated!) database unless `--reuse`, then times a page of 20
rows, `--repeat` times each (median), for: the mediator with the longest queue, a county
supervisor and the city supervisor (the whole city's open disputes), unfiltered, searched by a
party's surname and filtered to overdue; and counts the SQL statements of each call.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="the database is seeded already")
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database}
    if not args.reuse:
        flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(flask + ["seed-demo", "--cases", str(args.cases)], cwd=ROOT, env=env, check=True)
    os.environ["DATABASE_URL"] = args.database

    from sqlalchemy import event, func, select

    from mediation import create_app
    from mediation.disputes import queue
    from mediation.extensions import db
    from mediation.models import Dispute, User

    app = create_app({"CELERY_DISABLED": True})
    with app.app_context():
        busiest = db.session.execute(
            select(User, func.count(Dispute.id)).join(Dispute, Dispute.committee_id == User.committee_id)
            .where(User.role == "mediator", Dispute.state.in_(queue.OPEN_STATES))
            .group_by(User.id).order_by(func.count(Dispute.id).desc()).limit(1)).first()[0]
        county = db.session.scalar(select(User).where(User.username == "wu.lx"))
        city = db.session.scalar(select(User).where(User.username == "zhou.jc"))
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        print(f"{db.engine.dialect.name}, {db.session.scalar(select(func.count(Dispute.id)))} disputes, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"{'who':<28} {'query':<10} {'open':>7} {'rows':>5} {'statements':>10} {'median ms':>10}")
        for who, user in (("mediator " + busiest.username, busiest), ("county supervisor wu.lx", county),
                          ("city supervisor zhou.jc", city)):
            for label, kwargs in (("all", {}), ("q=王", {"q": "王"}), ("overdue", {"due": "overdue"})):
                times = []
                for _ in range(args.repeat):
                    db.session.expire_all()
                    _ = user.committee, user.org
                    statements.clear()
                    start = time.perf_counter()
                    result = queue.work_queue(user, per_page=20, **kwargs)
                    times.append((time.perf_counter() - start) * 1000)
                print(f"{who:<28} {label:<10} {result['counts']['open']:>7} {len(result['items']):>5} "
                      f"{len(statements):>10} {statistics.median(times):>10.1f}")


if __name__ == "__main__":
    main()
