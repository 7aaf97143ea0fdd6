"""`make bench`: every scenario of issue 14 against its baseline, measured in the same run.

    .venv/bin/python -m bench.run --cases 1000000          # make bench
    .venv/bin/python -m bench.run --cases 100000           # make bench BENCH_CASES=100000

1. Creates a dedicated PostgreSQL database (`--database`, dropped first and again at the end
   unless `--keep`), applies the migrations and seeds it with
   `flask --app wsgi seed-demo --cases N --seed 1` (timed: the seed-demo scenario).
2. Starts the product under gunicorn with the README's settings (4 workers, gthread, 4 threads)
   and the baseline app (`bench/baseline_app.py`) under exactly the same settings.
3. HTTP scenarios with wrk at 32 connections, interleaved: every round runs each baseline and each
   scenario once for `--duration` seconds, in the same order; figures are medians over `--rounds`.
4. The in-process scenarios: service-layer transitions (8 processes) against plain SQL, statistics
   and the weekly report against one plain GROUP BY, the reminder scan against one INSERT … SELECT,
   e-mail delivery through Celery against a no-op task, seed-demo against the service layer.

Prints each figure beside its baseline with the ratio and the goal, writes the whole run as JSON
under bench/results/, and exits 1 when a goal is missed. Every step is bounded in time.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "Demo-pass-2026"
CITY, COUNTY, VILLAGE = "zhou.jc", "wu.lx", "zhang.tj"
GUNICORN = ["--workers", "4", "--worker-class", "gthread", "--threads", "4"]  # README.md, "Running on PostgreSQL"
CONNECTIONS = 32
READ_GOAL, P99_GOAL = 0.5, 3.0


# -- processes ---------------------------------------------------------------------------------
class Services:
    """The processes the bench starts (gunicorn, Celery workers, the SMTP sink); all stopped at exit."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up within {timeout:.0f} s")


def http_json(url: str, body: Optional[dict] = None, token: Optional[str] = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=120) as resp:
        return json.loads(resp.read())


def web_cookie(base: str, username: str) -> str:
    """Signs in through the web form (CSRF token included) and returns the session cookie."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
    opener.open(base + "/login", data=form, timeout=30).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


# -- wrk ---------------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    base: str  # "app" or "baseline"
    lines: list[str]  # request lines for the Lua script
    headers: list[str] = field(default_factory=list)
    script: str = "requests.lua"
    baseline: str = "read"  # which baseline it is compared with
    goal: str = "read"
    runs: list[dict] = field(default_factory=list)
    missing: Optional[str] = None  # why it could not be measured


MAX_DURATION = 60  # --max-duration


def run_wrk(scenario: Scenario, url: str, duration: int, workdir: Path) -> dict:
    """One wrk run. A run that completes fewer than 4 requests per connection is run again 3× longer
    (up to MAX_DURATION), so that a slow request is measured rather than cut off at the end of the run."""
    result = _wrk_once(scenario, url, duration, workdir)
    while result["requests"] < 4 * CONNECTIONS and duration < MAX_DURATION:
        duration = min(duration * 3, MAX_DURATION)
        result = _wrk_once(scenario, url, duration, workdir)
    return result


def _wrk_once(scenario: Scenario, url: str, duration: int, workdir: Path) -> dict:
    listing = workdir / f"{re.sub(r'[^a-z0-9]+', '_', scenario.name.lower())}.txt"
    if not listing.exists():
        listing.write_text("\n".join(scenario.lines) + "\n")
    threads = CONNECTIONS if scenario.script == "transitions.lua" else 4
    argv = ["wrk", "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{duration}s", "--timeout", "30s",
            "-s", str(ROOT / "bench" / "wrk" / scenario.script)]
    for header in scenario.headers:
        argv += ["-H", header]
    argv += [url, "--", str(listing), str(threads)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    found = re.search(r"^BENCH (.+)$", done.stdout, re.M)
    if not found:
        raise SystemExit(f"wrk failed for {scenario.name}:\n{done.stdout}\n{done.stderr}")
    result = json.loads(found.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# -- preparing the database --------------------------------------------------------------------
def admin_url(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(args: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def seed(url: str, cases: int, env: dict) -> dict:
    import psycopg

    flask(["db", "upgrade"], env, 600)
    started = time.perf_counter()
    flask(["seed-demo", "--cases", str(cases), "--seed", "1"], env, 4 * 3600)
    wall = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        unanalysed = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('dispute', 'party', 'event', 'deadline', "
            "'assignment', 'mediation_session', 'agreement', 'follow_up', 'prevention_record') "
            "AND last_analyze IS NULL ORDER BY relname")]
    return {"wall_s": wall, "cases": cases, "unanalysed": unanalysed}


# -- the scenarios' requests -------------------------------------------------------------------
def sample(conn, sql: str, params: tuple = (), n: int = 2000) -> list:
    rows = [r[0] if len(r) == 1 else tuple(r) for r in conn.execute(sql, params)]
    random.Random(1).shuffle(rows)
    return rows[:n]


def build_scenarios(url: str, app: str, tokens: dict[str, str], cookie: Optional[str]) -> list[Scenario]:
    import psycopg

    with psycopg.connect(url) as conn:
        city_ids = sample(conn, "SELECT id FROM dispute TABLESAMPLE SYSTEM (5) LIMIT 20000")
        if len(city_ids) < 100:
            city_ids = sample(conn, "SELECT id FROM dispute")
        names = {}
        for user in (CITY, COUNTY, VILLAGE):
            names[user] = sample(conn, """
                SELECT DISTINCT p.name FROM party p JOIN dispute d ON d.id = p.dispute_id
                JOIN committee c ON c.id = d.committee_id JOIN org_unit o ON o.id = c.org_id
                WHERE char_length(p.name) = 2 AND p.kind = 'person' AND o.path LIKE (
                    SELECT uo.path || '%%' FROM user_account u
                    JOIN org_unit uo ON uo.id = COALESCE(u.org_id, (SELECT org_id FROM committee WHERE id = u.committee_id))
                    WHERE u.username = %s) LIMIT 5000""", (user,), 200)
        follow = sample(conn, "SELECT id, version FROM dispute WHERE state = 'follow_up' ORDER BY id LIMIT 50000", n=4000)
        mediating = sample(conn, """
            SELECT d.id, d.version, (SELECT string_agg(u.username, ',') FROM user_account u
                                     WHERE u.committee_id = d.committee_id AND u.role = 'mediator' AND u.active)
            FROM dispute d WHERE d.state IN ('assigned', 'in_mediation') ORDER BY d.id LIMIT 50000""", n=2000)
    bearer = {u: [f"Authorization: Bearer {t}"] for u, t in tokens.items()}
    out: list[Scenario] = [
        Scenario("baseline: one dispute row by primary key", "baseline",
                 [f"GET\t/row/{i}" for i in city_ids], baseline="", goal=""),
        Scenario("baseline: UPDATE + INSERT in one transaction", "baseline",
                 [f"POST\t/write/{i}" for i in city_ids], baseline="", goal=""),
    ]
    for user, role in ((CITY, "city"), (COUNTY, "county"), (VILLAGE, "village")):
        lists = [("default order, page 1", "/api/v1/disputes"),
                 ("default order, page 200", "/api/v1/disputes?page=200"),
                 ("filter state=in_mediation", "/api/v1/disputes?state=in_mediation"),
                 ("filter overdue=true", "/api/v1/disputes?overdue=true")]
        for label, path in lists:
            out.append(Scenario(f"GET /api/v1/disputes, {role} ({user}), {label}", "app", [f"GET\t{path}"],
                                bearer[user]))
        if names[user]:
            out.append(Scenario(f"GET /api/v1/disputes, {role} ({user}), q= a two-character name", "app",
                                [f"GET\t/api/v1/disputes?q={urllib.parse.quote(n)}" for n in names[user]],
                                bearer[user]))
    out += [
        Scenario("GET /api/v1/disputes/{id}, city", "app", [f"GET\t/api/v1/disputes/{i}" for i in city_ids],
                 bearer[CITY]),
        Scenario("GET /api/v1/disputes/{id}/events, city", "app",
                 [f"GET\t/api/v1/disputes/{i}/events" for i in city_ids], bearer[CITY]),
        Scenario("GET /api/v1/deadlines, city", "app", ["GET\t/api/v1/deadlines"], bearer[CITY]),
        Scenario("GET /api/v1/deadlines?status=overdue, city", "app", ["GET\t/api/v1/deadlines?status=overdue"],
                 bearer[CITY]),
    ]
    web = [("web: dispute list (/), city", ["GET\t/"]),
           ("web: dispute page (/disputes/{id}), city", [f"GET\t/disputes/{i}" for i in city_ids]),
           ("web: deadline board (/deadlines), city", ["GET\t/deadlines"])]
    for label, lines in web:
        scenario = Scenario(label, "app", lines, [f"Cookie: {cookie}"] if cookie else [])
        path = lines[0].split("\t", 1)[1]
        try:
            request = urllib.request.Request(app + path, headers={"Cookie": cookie or ""})
            with urllib.request.urlopen(request, timeout=60) as resp:
                if resp.geturl().split("?")[0].endswith("/login"):
                    scenario.missing = "redirected to the sign-in page"
        except urllib.error.HTTPError as exc:
            scenario.missing = f"HTTP {exc.code}: the page is not built on this branch"
        out.append(scenario)
    lines = []
    for dispute_id, version in follow:
        lines.append(f"{dispute_id}\t{version}\t/api/v1/disputes/{dispute_id}/transitions\t"
                     '{"trigger": "record_follow_up", "version": {version}, "performance": "partial", '
                     '"method": "phone", "notes": "bench"}')
    for dispute_id, version, mediators in mediating:
        if mediators:
            pick = random.Random(dispute_id).choice(mediators.split(","))
            lines.append(f"{dispute_id}\t{version}\t/api/v1/disputes/{dispute_id}/transitions\t"
                         '{"trigger": "reassign", "version": {version}, "mediators": ["' + pick + '"], '
                         '"reason": "bench"}')
    random.Random(2).shuffle(lines)
    out.append(Scenario("POST /api/v1/disputes/{id}/transitions (record_follow_up, reassign), city", "app", lines,
                        bearer[CITY], script="transitions.lua", baseline="write", goal="write"))
    return out


def http_scenarios(scenarios: list[Scenario], urls: dict[str, str], rounds: int, duration: int,
                   workdir: Path) -> None:
    for scenario in scenarios:  # warm-up: every worker process, connection and cache once
        if not scenario.missing:
            _wrk_once(scenario, urls[scenario.base], 2, workdir)
    for number in range(rounds):
        for scenario in scenarios:
            if scenario.missing:
                continue
            result = run_wrk(scenario, urls[scenario.base], duration, workdir)
            scenario.runs.append(result)
            print(f"  round {number + 1}/{rounds}  {result['rps']:8.1f} req/s  p99 {result['p99'] / 1e3:8.1f} ms  "
                  f"{scenario.name}", flush=True)


def summarise(runs: list[dict]) -> dict:
    statuses: dict[str, int] = {}
    for run in runs:
        for code, n in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    return {"rps": statistics.median(r["rps"] for r in runs), "p50_ms": statistics.median(r["p50"] for r in runs) / 1e3,
            "p99_ms": statistics.median(r["p99"] for r in runs) / 1e3,
            "socket_errors": sum(r["socket_errors"] for r in runs), "statuses": statuses}


# -- in-process scenarios ----------------------------------------------------------------------
def _app(url: str, broker: str):
    from mediation import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "CELERY_BROKER_URL": broker, "MAIL_SERVER": None})


def _service_worker(url: str, broker: str, ids: list[int], seconds: float, queue, barrier) -> None:
    from sqlalchemy import select

    from mediation.common.errors import DomainError
    from mediation.disputes import triggers as transitions
    from mediation.extensions import db
    from mediation.models import Dispute

    app = _app(url, broker)
    done = 0
    with app.app_context():
        versions = dict(db.session.execute(select(Dispute.id, Dispute.version).where(Dispute.id.in_(ids))).all())
        db.session.remove()
        barrier.wait()  # every process started and connected: the clock starts now
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            dispute_id = ids[done % len(ids)]
            try:
                dispute = transitions.fire_trigger(dispute_id, "record_follow_up", version=versions[dispute_id],
                                                   payload={"performance": "partial", "method": "phone",
                                                            "notes": "bench"})
                versions[dispute_id] = dispute.version
                done += 1
            except DomainError:
                db.session.rollback()
                versions[dispute_id] = db.session.get(Dispute, dispute_id).version
            db.session.remove()
    queue.put(done)


def _sql_worker(url: str, ids: list[int], seconds: float, queue, barrier) -> None:
    import psycopg

    done = 0
    with psycopg.connect(url) as conn:
        barrier.wait()
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            dispute_id = ids[done % len(ids)]
            with conn.transaction():
                state, committee_id = conn.execute(
                    "UPDATE dispute SET version = version + 1, last_event_at = now(), updated_at = now() "
                    "WHERE id = %s RETURNING state, committee_id", (dispute_id,)).fetchone()
                conn.execute("INSERT INTO event (dispute_id, trigger, from_state, to_state, committee_id, org_id, "
                             "occurred_at, recorded_at, payload) VALUES (%s, 'bench_write', %s, %s, %s, "
                             "(SELECT org_id FROM committee WHERE id = %s), now(), now(), '{}')",
                             (dispute_id, state, state, committee_id, committee_id))
            done += 1
    queue.put(done)


def concurrent_rate(target: Callable, args_for: Callable[[int], tuple], workers: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    queue, barrier = ctx.Queue(), ctx.Barrier(workers, timeout=300)
    procs = [ctx.Process(target=target, args=(*args_for(i), seconds, queue, barrier)) for i in range(workers)]
    for proc in procs:
        proc.start()
    total = sum(queue.get(timeout=seconds + 400) for _ in procs)
    for proc in procs:
        proc.join(30)
    return total / seconds


def service_transitions(url: str, broker: str, rounds: int, seconds: float) -> dict:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM dispute WHERE state = 'follow_up' ORDER BY id DESC LIMIT 800")]
    shares = [ids[i::8] for i in range(8)]
    sql_url = url.replace("+psycopg", "")
    service, plain = [], []
    for _ in range(rounds):
        plain.append(concurrent_rate(_sql_worker, lambda i: (sql_url, shares[i]), 8, seconds))
        service.append(concurrent_rate(_service_worker, lambda i: (url, broker, shares[i]), 8, seconds))
        print(f"  service layer {service[-1]:7.1f}/s   plain SQL {plain[-1]:7.1f}/s", flush=True)
    return {"service_per_s": statistics.median(service), "plain_per_s": statistics.median(plain)}


def timed(fn: Callable, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def stats_and_reports(url: str, app: str, token: str, repeat: int) -> list[dict]:
    """GET /stats and the weekly report for the city, this week and a past week, against one plain
    GROUP BY over the same period's events (each timed alternately, medians)."""
    import psycopg

    from mediation.common.clock import now

    today = now().astimezone().date()
    out = []
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        city = conn.execute("SELECT code FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetchone()[0]
        for label, monday in (("this week", today - timedelta(days=today.weekday())),
                              ("a past week", today - timedelta(days=today.weekday() + 7 * 26))):
            sunday = monday + timedelta(days=6)
            lo = datetime(monday.year, monday.month, monday.day, tzinfo=UTC) - timedelta(hours=8)
            hi = lo + timedelta(days=7)
            week = f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"

            def group_by(lo=lo, hi=hi):
                conn.execute("SELECT trigger, count(*) FROM event WHERE occurred_at >= %s AND occurred_at < %s "
                             "GROUP BY trigger", (lo, hi)).fetchall()

            stats = f"{app}/api/v1/stats?org={city}&from={monday}&to={sunday}"
            weekly = f"{app}/api/v1/reports/weekly?org={city}&week={week}"
            first = time.perf_counter()
            http_json(weekly, token=token)  # the first request for a week computes and stores its snapshot
            first = time.perf_counter() - first
            rows = {"group_by": [], "stats": [], "weekly": []}
            for _ in range(repeat):
                rows["group_by"].append(timed(group_by, 1))
                rows["stats"].append(timed(lambda url=stats: http_json(url, token=token), 1))
                rows["weekly"].append(timed(lambda url=weekly: http_json(url, token=token), 1))
            medians = {k: statistics.median(v) for k, v in rows.items()}
            out.append({"label": label, "week": week, "first_weekly_s": first, **medians})
            print(f"  {label} {week}: GROUP BY {medians['group_by'] * 1e3:.0f} ms, /stats {medians['stats'] * 1e3:.0f} ms, "
                  f"weekly {medians['weekly'] * 1e3:.0f} ms (first, computing it: {first * 1e3:.0f} ms)", flush=True)
    return out


def reminder_scan(url: str, broker: str, wanted: int) -> dict:
    """The scan over `wanted` due deadlines (or all open ones) against one INSERT … SELECT of as many
    notification rows; then a second scan, which must create none."""
    from sqlalchemy import text

    from mediation.extensions import db
    from mediation.notifications import reminders

    app = _app(url, broker)
    with app.app_context():
        db.session.execute(text("DELETE FROM notification"))
        db.session.commit()
        due = db.session.execute(text(
            "SELECT due_at FROM deadline WHERE status = 'open' ORDER BY due_at OFFSET :n LIMIT 1"),
            {"n": wanted - 1}).scalar()
        at = due or db.session.execute(text("SELECT max(due_at) FROM deadline WHERE status = 'open'")).scalar()
        at = max(at, datetime.now(UTC))
        count = db.session.execute(text("SELECT count(*) FROM deadline WHERE status = 'open' AND due_at <= :at"),
                                   {"at": at}).scalar()
        db.session.commit()
        started = time.perf_counter()
        result = reminders.scan(at)
        scan_s = time.perf_counter() - started
        created = result.total
        rows = max(created, 1)
        started = time.perf_counter()
        db.session.execute(text("""
            INSERT INTO notification (recipient_id, kind, channel, dispute_id, deadline_id, dedupe_key, status,
                                      attempts, payload, created_at)
            SELECT NULL, 'overdue', 'in_app', dl.dispute_id, dl.id, 'bench:' || dl.id || ':' || g, 'pending', 0,
                   '{}', now()
            FROM deadline dl CROSS JOIN generate_series(1, CAST(CEIL(CAST(:rows AS float) / GREATEST(:count, 1)) AS int)) g
            WHERE dl.status = 'open' AND dl.due_at <= :at LIMIT :rows"""), {"rows": rows, "count": count, "at": at})
        baseline_s = time.perf_counter() - started
        db.session.rollback()
        again = reminders.scan(at)
        db.session.commit()
    return {"due": count, "created": created, "scan_s": scan_s, "baseline_s": baseline_s, "second_created": again.total}


def email_delivery(url: str, broker: str, services: Services, env: dict, workdir: Path, limit: int) -> dict:
    """Pending e-mail notifications delivered by the product's e-mail worker to an SMTP sink on
    loopback, against as many no-op tasks on a worker of the same pool and concurrency."""
    import redis
    from sqlalchemy import text

    from bench.noop_worker import COUNTER
    from mediation.extensions import db
    from mediation.notifications import notify

    sink_port = 8125
    sink = services.start([str(BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{sink_port}",
                           "-c", "aiosmtpd.handlers.Sink"], env, workdir / "smtp.log")
    worker_env = {**env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink_port)}
    worker = services.start([str(BIN / "celery"), "-A", "worker", "worker", "-Q", "email", "--pool", "threads",
                             "-c", "4", "-n", "bench-email@%h", "--loglevel", "WARNING"], worker_env,
                            workdir / "email-worker.log")
    noop = services.start([str(BIN / "celery"), "-A", "bench.noop_worker", "worker", "-Q", "bench_noop", "--pool",
                           "threads", "-c", "4", "-n", "bench-noop@%h", "--loglevel", "WARNING"], env,
                          workdir / "noop-worker.log")
    time.sleep(8)  # both workers connected
    app = _app(url, broker)
    r = redis.Redis.from_url(broker)
    with app.app_context():
        ids = list(db.session.execute(text("SELECT id FROM notification WHERE channel = 'email' AND status = 'pending' "
                                           "ORDER BY id LIMIT :n"), {"n": limit}).scalars())
        db.session.commit()
        if not ids:
            return {"emails": 0}
        started = time.perf_counter()
        queued, _ = notify.queue_pending_email(limit)
        stop = time.monotonic() + 600
        left = queued
        while left and time.monotonic() < stop:
            time.sleep(0.2)
            left = db.session.execute(text("SELECT count(*) FROM notification WHERE status = 'pending' "
                                           "AND id = ANY(:ids)"), {"ids": ids}).scalar()
            db.session.commit()
        email_s = time.perf_counter() - started
        sent = db.session.execute(text("SELECT count(*) FROM notification WHERE status = 'sent' AND id = ANY(:ids)"),
                                  {"ids": ids}).scalar()
    from bench.noop_worker import noop as noop_task

    r.delete(COUNTER)
    started = time.perf_counter()
    for _ in range(sent):
        noop_task.delay()
    stop = time.monotonic() + 600
    while int(r.get(COUNTER) or 0) < sent and time.monotonic() < stop:
        time.sleep(0.05)
    noop_s = time.perf_counter() - started
    services.stop(worker)
    services.stop(noop)
    services.stop(sink)
    return {"emails": sent, "email_s": email_s, "noop_s": noop_s, "left_pending": left}


def seed_baseline(url: str, n: int) -> float:
    """Seconds per dispute through the service layer (bench/seed_demo.py's baseline)."""
    from bench.seed_demo import run_baseline

    base = run_baseline(url, n, 2)
    return base["services"] / n


# -- the report --------------------------------------------------------------------------------
class Report:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, scenario: str, figure: str, baseline: str, ratio: Optional[float], goal: str, met: Optional[bool]):
        self.rows.append({"scenario": scenario, "figure": figure, "baseline": baseline, "ratio": ratio,
                          "goal": goal, "met": met})
        mark = {True: "ok  ", False: "MISS", None: "n/a "}[met]
        ratio_text = "" if ratio is None else f"{ratio:.2f}×"
        print(f"{mark} {scenario}\n       {figure}  |  baseline {baseline}  |  ratio {ratio_text}  |  goal {goal}",
              flush=True)

    @property
    def missed(self) -> list[dict]:
        return [r for r in self.rows if r["met"] is not True]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/med_bench_run",
                        help="a DEDICATED PostgreSQL database: dropped and created by the bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6", help="a DEDICATED Redis db: flushed")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-duration", type=int, default=60,
                        help="longest rerun of a scenario that completed too few requests")
    parser.add_argument("--port", type=int, default=8121)
    parser.add_argument("--match", default="", help="only the HTTP scenarios whose name contains this "
                        "(the baselines always run)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database (development)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--only", default="http,service,stats,reminders,email,seed",
                        help="comma-separated parts to run")
    args = parser.parse_args(argv)
    if "http" in args.only and shutil.which("wrk") is None:
        sys.exit("make bench needs wrk (Debian: apt-get install wrk)")
    global MAX_DURATION
    MAX_DURATION = args.max_duration
    only = set(args.only.split(","))
    url = args.database.replace("postgresql+psycopg://", "postgresql://")
    sa_url = url.replace("postgresql://", "postgresql+psycopg://")
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{stamp}-"))
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": args.broker, "BENCH_DATABASE_URL": sa_url,
           "SECRET_KEY": "bench-only-secret", "PYTHONPATH": str(ROOT)}
    env.pop("MAIL_SERVER", None)
    machine = {"cpus": os.cpu_count(), "load_before": os.getloadavg(), "started": stamp, "cases": args.cases,
               "duration_s": args.duration, "rounds": args.rounds, "connections": CONNECTIONS}
    print(f"make bench: {args.cases:,} disputes, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; logs in {workdir}", flush=True)
    import redis

    redis.Redis.from_url(args.broker).flushdb()
    report = Report()
    services = Services()
    results: dict[str, Any] = {"machine": machine}
    try:
        if not args.reuse:
            recreate_database(url)
            print(f"seeding {args.cases:,} disputes …", flush=True)
            results["seed"] = seed(url, args.cases, env)
            print(f"  seed-demo: {results['seed']['wall_s']:.1f} s", flush=True)
        if "http" in only:
            app_url, base_url = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
            services.start([str(BIN / "gunicorn"), "wsgi:app", "--bind", app_url[7:], *GUNICORN], env,
                           workdir / "app.log")
            services.start([str(BIN / "gunicorn"), "bench.baseline_app:app", "--bind", base_url[7:], *GUNICORN], env,
                           workdir / "baseline.log")
            wait_http(app_url + "/healthz")
            wait_http(base_url + "/row/1")
            tokens = {u: http_json(app_url + "/api/v1/auth/token", {"username": u, "password": PASSWORD})["token"]
                      for u in (CITY, COUNTY, VILLAGE)}
            cookie = web_cookie(app_url, CITY)
            scenarios = build_scenarios(url, app_url, tokens, cookie)
            scenarios = scenarios[:2] + [s for s in scenarios[2:] if args.match in s.name]
            print(f"HTTP: {len(scenarios)} scenarios × {args.rounds} rounds × {args.duration} s, "
                  f"{CONNECTIONS} connections, interleaved", flush=True)
            http_scenarios(scenarios, {"app": app_url, "baseline": base_url}, args.rounds, args.duration, workdir)
            read, write = (summarise(s.runs) for s in scenarios[:2])
            results["http"] = {s.name: {"missing": s.missing, **(summarise(s.runs) if s.runs else {}), "runs": s.runs}
                               for s in scenarios}
            for s in scenarios[2:]:
                base = read if s.baseline == "read" else write
                base_text = f"{base['rps']:.0f} req/s, p99 {base['p99_ms']:.0f} ms"
                if s.missing:
                    report.add(s.name, f"not measured: {s.missing}", base_text, None, "≥ 0.5×, p99 ≤ 3×", False)
                    continue
                got = summarise(s.runs)
                ratio, p99_ratio = got["rps"] / base["rps"], got["p99_ms"] / base["p99_ms"]
                bad = {k: n for k, n in got["statuses"].items() if not (k.startswith("2") or (k == "409" and s.goal == "write"))}
                met = ratio >= READ_GOAL and p99_ratio <= P99_GOAL and not bad and not got["socket_errors"]
                extra = f", failures {bad}" if bad else ""
                extra += f", 409 {got['statuses'].get('409', 0)}" if s.goal == "write" else ""
                report.add(s.name, f"{got['rps']:.0f} req/s, p50 {got['p50_ms']:.0f} ms, p99 {got['p99_ms']:.0f} ms"
                           f" (p99 {p99_ratio:.1f}×){extra}", base_text, ratio, "≥ 0.5×, p99 ≤ 3×", met)
            services.stop_all()
        if "service" in only:
            print("service-layer transitions, 8 processes, against plain SQL …", flush=True)
            got = results["service"] = service_transitions(sa_url, args.broker, args.rounds, max(args.duration, 5))
            ratio = got["service_per_s"] / got["plain_per_s"]
            report.add("service-layer transitions (record_follow_up), 8 processes",
                       f"{got['service_per_s']:.0f}/s", f"plain UPDATE + INSERT {got['plain_per_s']:.0f}/s", ratio,
                       "≥ 0.5×", ratio >= 0.5)
        if "stats" in only:
            print("statistics and the weekly report, city …", flush=True)
            app_url = f"http://127.0.0.1:{args.port}"
            app_proc = services.start([str(BIN / "gunicorn"), "wsgi:app", "--bind", app_url[7:], *GUNICORN], env,
                                      workdir / "app-stats.log")
            wait_http(app_url + "/healthz")
            token = http_json(app_url + "/api/v1/auth/token", {"username": CITY, "password": PASSWORD})["token"]
            got = results["stats"] = stats_and_reports(url, app_url, token, args.rounds)
            services.stop(app_proc)
            for week in got:
                base = f"GROUP BY {week['group_by'] * 1e3:.0f} ms"
                for key, label in (("stats", "GET /api/v1/stats"), ("weekly", "GET /api/v1/reports/weekly"),
                                   ("first_weekly_s", "the weekly report, first request (computed and stored)")):
                    ratio = week[key] / week["group_by"]
                    report.add(f"{label}, city, {week['label']} ({week['week']})", f"{week[key] * 1e3:.0f} ms", base,
                               ratio, "≤ 1.5× its time", ratio <= 1.5)
        if "reminders" in only:
            print("reminder scan …", flush=True)
            got = results["reminders"] = reminder_scan(sa_url, args.broker, 100_000)
            ratio = got["scan_s"] / got["baseline_s"]
            report.add(f"reminder scan, {got['due']:,} deadlines due ({got['created']:,} notifications)",
                       f"{got['scan_s']:.2f} s, second scan created {got['second_created']}",
                       f"INSERT … SELECT of {got['created']:,} rows {got['baseline_s']:.2f} s", ratio,
                       "≤ 2× its time; a second scan creates none", ratio <= 2 and got["second_created"] == 0)
        if "email" in only:
            print("e-mail delivery through Celery …", flush=True)
            got = results["email"] = email_delivery(sa_url, args.broker, services, env, workdir, 2000)
            if got["emails"]:
                rate, base = got["emails"] / got["email_s"], got["emails"] / got["noop_s"]
                report.add(f"e-mail delivery, {got['emails']} e-mails to an SMTP sink (email worker, threads ×4)",
                           f"{rate:.0f} e-mails/s", f"no-op task {base:.0f}/s", rate / base, "≥ 0.5× its rate",
                           rate / base >= 0.5 and not got["left_pending"])
            else:
                report.add("e-mail delivery", "no pending e-mail to deliver", "-", None, "≥ 0.5×", False)
        if "seed" in only and "seed" in results:
            print("seed-demo baseline: 100 disputes through the service layer …", flush=True)
            per_service = seed_baseline(sa_url, 100)
            got = results["seed"]
            per_bulk = got["wall_s"] / got["cases"]
            ratio = per_service / per_bulk
            got["service_s_per_dispute"] = per_service
            report.add(f"seed-demo --cases {got['cases']:,}",
                       f"{got['wall_s']:.0f} s ({per_bulk * 1e3:.2f} ms a dispute); tables not analysed: "
                       f"{', '.join(got['unanalysed']) or 'none'}",
                       f"service layer {per_service * 1e3:.0f} ms a dispute", ratio,
                       "≥ 200×, tables analysed", ratio >= 200 and not got["unanalysed"])
    finally:
        services.stop_all()
        machine["load_after"] = os.getloadavg()
        results["report"] = report.rows
        out = results_dir / f"bench-{stamp}-{args.cases}.json"
        out.write_text(json.dumps(results, indent=1, default=str))
        if not args.keep and not args.reuse:
            drop_database(url)
    missed = report.missed
    print(f"\n{len(report.rows) - len(missed)} of {len(report.rows)} goals met; results in {out}")
    for row in missed:
        print(f"  missed: {row['scenario']}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
