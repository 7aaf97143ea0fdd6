"""Benchmark: the weekly Fengqiao figures of a city with N disputes on PostgreSQL.

    .venv/bin/python -m bench.weekly_stats --disputes 1000000 \
        --database postgresql://postgres@127.0.0.1/med_bench

It empties the given (dedicated!) database, applies the migrations (so it has exactly the indexes
production has), bulk-loads a synthetic but consistent city with COPY — an org tree of 1 city,
10 counties, 150 townships and 3,000 villages, a committee per org, N disputes received over two
years with their events, deadlines, agreements and prevention records as the services would have
written them — runs ANALYZE, and then times, in the same run:

- statistics.compute(city, last full week): every figure of DESIGN.md (one GROUP BY over the
  events of the week, one over the registrations, one over the prevention records' events, and the
  reconstruction of the deadlines open and past due at the end of the week);
- the baseline: the single plain `SELECT trigger, count(*) FROM event WHERE occurred_at in the
  week GROUP BY trigger`;

and prints both (median of --repeat runs after a warm-up) and their ratio. `--reuse` skips the
generation when the database already holds a city of that size.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics as stats
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_OFFSET = timedelta(hours=8)
TYPES = ("marriage_family", "neighbourhood", "housing_land", "contract", "production", "damages", "land_forest",
         "expropriation", "environment", "labour", "medical", "property_mgmt", "traffic", "consumer", "other")
TYPE_WEIGHTS = (14, 22, 10, 9, 5, 9, 4, 3, 2, 8, 2, 5, 4, 2, 1)
SOURCES = ("walk_in", "screening", "referral_court", "referral_police", "referral_petition",
           "referral_government", "online", "other")
SOURCE_WEIGHTS = (40, 25, 10, 8, 5, 5, 6, 1)
PREVENTIONS = ("civil_to_criminal", "suicide", "group_petition", "group_fight")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


# -- the org tree -----------------------------------------------------------------------------------
def build_tree(cur) -> dict:
    """1 city > 10 counties > 15 townships each > 20 villages each; one people's committee per org."""
    orgs, committees = [], []
    next_id = [0]

    def org(code, name, level, parent):
        next_id[0] += 1
        oid = next_id[0]
        path = (parent["path"] if parent else "/") + f"{oid}/"
        row = {"id": oid, "code": code, "name": name, "level": level, "parent": parent["id"] if parent else None,
               "path": path, "depth": path.count("/") - 2}
        orgs.append(row)
        committees.append({"id": oid, "code": "C" + code, "name": name + "人民调解委员会", "org": row})
        return row

    city = org("BCITY", "基准市", "city", None)
    for c in range(10):
        county = org(f"BC{c:02d}", f"第{c + 1}县", "county", city)
        for t in range(15):
            township = org(f"BC{c:02d}T{t:02d}", f"第{c + 1}县{t + 1}镇", "township", county)
            for v in range(20):
                org(f"BC{c:02d}T{t:02d}V{v:02d}", f"{township['name']}{v + 1}村", "village", township)
    with cur.copy("COPY org_unit (id, code, name, level, parent_id, path, depth) FROM STDIN") as copy:
        for o in orgs:
            copy.write_row((o["id"], o["code"], o["name"], o["level"], o["parent"], o["path"], o["depth"]))
    with cur.copy("COPY committee (id, code, name, org_id, kind, specialties, active) FROM STDIN") as copy:
        for c in committees:
            copy.write_row((c["id"], c["code"], c["name"], c["org"]["id"], "people", "[]", True))
    by_id = {c["id"]: c for c in committees}
    for c in committees:
        parent = c["org"]["parent"]
        c["parent"] = by_id[parent] if parent else None
    return {"city": city, "committees": committees,
            "villages": [c for c in committees if c["org"]["level"] == "village"],
            "townships": [c for c in committees if c["org"]["level"] == "township"],
            "counties": [c for c in committees if c["org"]["level"] == "county"]}


# -- disputes as the services would have written them -------------------------------------------------
class Loader:
    """Simulates each dispute's life and streams its rows into COPY buffers."""

    def __init__(self, cur, now: datetime) -> None:
        self.cur, self.now = cur, now
        self.ids = {"event": 0, "deadline": 0, "agreement": 0, "prevention_record": 0}
        self.rows = {k: [] for k in ("dispute", "event", "deadline", "agreement", "prevention_record")}
        self.seq: dict[tuple[int, int], int] = {}

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def event(self, did, trigger, frm, to, committee, at, amount=None, due=None, result=None, payload="{}",
              people=None):
        self.rows["event"].append((self._next("event"), did, trigger, frm, to, committee["id"], committee["org"]["id"],
                                   at, at, amount, due, result, people, payload))

    def deadline(self, did, kind, due) -> list:
        row = [self._next("deadline"), did, kind, due, "open", None, None, due]
        self.rows["deadline"].append(row)
        return row

    @staticmethod
    def close(row, status, at) -> None:
        if row is not None and row[4] == "open":
            row[4] = status
            row[5 if status == "met" else 6] = at

    def dispute(self, did: int, committee: dict, received: datetime, rng: random.Random) -> None:
        now = self.now
        year = (received + LOCAL_OFFSET).year
        seq = self.seq[(committee["id"], year)] = self.seq.get((committee["id"], year), 0) + 1
        state, outcome, t = "registered", None, received
        accepted_at = concluded_at = closed_at = None
        self.event(did, "register", None, "registered", committee, received,
                   payload=json.dumps({"case_number": f"({year}){committee['code']}-{seq}"}))
        acceptance = self.deadline(did, "acceptance", received + 3 * DAY)
        mediation = None
        extensions = 0

        def step(hours_lo: float, hours_hi: float) -> bool:
            nonlocal t
            t = t + timedelta(hours=rng.uniform(hours_lo, hours_hi))
            return t < now

        roll = rng.random()
        if not step(1, 96):
            pass
        elif roll < 0.03:
            self.event(did, "reject", "registered", "rejected", committee, t, result="out_of_scope")
            self.close(acceptance, "met", t)
            state, outcome, closed_at = "rejected", "rejected", t
        elif roll < 0.05:
            self.event(did, "withdraw", "registered", "closed", committee, t, due=None)
            self.close(acceptance, "cancelled", t)
            state, outcome, concluded_at, closed_at = "closed", "withdrawn", t, t
        else:
            self.event(did, "accept", "registered", "accepted", committee, t)
            self.close(acceptance, "met", t)
            accepted_at, state = t, "accepted"
            mediation = self.deadline(did, "mediation", t + 30 * DAY)
            while state != "closed" and state != "agreed":
                if not step(2, 48):
                    break
                if state == "accepted":
                    self.event(did, "assign", "accepted", "assigned", committee, t, payload='{"mediators": ["m"]}')
                    state = "assigned"
                elif state == "assigned":
                    self.event(did, "start_mediation", "assigned", "in_mediation", committee, t)
                    state = "in_mediation"
                elif committee["parent"] is not None and committee["org"]["level"] != "county" and rng.random() < 0.05:
                    target = committee["parent"]
                    self.event(did, "escalate", "in_mediation", "accepted", committee, t,
                               payload=json.dumps({"to_committee": target["code"]}))
                    self.close(mediation, "cancelled", t)
                    committee, state, extensions = target, "accepted", 0
                    mediation = self.deadline(did, "mediation", t + 30 * DAY)
                else:
                    if extensions == 0 and rng.random() < 0.08:
                        before = mediation[3]
                        mediation[3] = before + 15 * DAY
                        mediation[7] = mediation[3]
                        self.event(did, "extend", "in_mediation", "in_mediation", committee, t,
                                   payload=json.dumps({"days": 15, "due_before": before.isoformat(),
                                                       "due_after": mediation[3].isoformat()}))
                        extensions = 1
                        continue
                    if not step(24, 24 * rng.choice((5, 12, 20, 35))):
                        break
                    due = mediation[3]
                    kind = rng.random()
                    if kind < 0.80:
                        amount = f"{rng.choice((0, 500, 1200, 3000, 8000, 20000, 150000)) + rng.randint(0, 99) / 100:.2f}"
                        self.event(did, "reach_agreement", "in_mediation", "agreed", committee, t, amount=amount,
                                   due=due, payload=json.dumps({"amount": amount}))
                        self.close(mediation, "met", t)
                        self.rows["agreement"].append((self._next("agreement"), did, "written", "协议", amount, None, t,
                                                       "none"))
                        state, concluded_at = "agreed", t
                    else:
                        trigger, outcome = ("fail", "failed") if kind < 0.92 else ("withdraw", "withdrawn")
                        self.event(did, trigger, "in_mediation", "closed", committee, t, due=due,
                                   result="litigation" if trigger == "fail" else None)
                        self.close(mediation, "met" if trigger == "fail" else "cancelled", t)
                        state, concluded_at, closed_at = "closed", t, t
            if state == "agreed":
                agreed = t
                follow_up = self.deadline(did, "follow_up", agreed + 15 * DAY)
                confirmation = self.deadline(did, "confirmation", agreed + 30 * DAY)
                if rng.random() < 0.1 and step(24, 24 * 10):
                    self.event(did, "request_confirmation", "agreed", "agreed", committee, t)
                    self.close(confirmation, "met", t)
                    if step(24, 24 * 10):
                        self.event(did, "record_confirmation", "agreed", "agreed", committee, t,
                                   result="confirmed" if rng.random() < 0.9 else "denied")
                if step(24, 24 * 12):
                    self.event(did, "start_follow_up", "agreed", "follow_up", committee, t)
                    state = "follow_up"
                    if step(24, 24 * 10):
                        performance = "full" if rng.random() < 0.85 else rng.choice(("partial", "none"))
                        self.event(did, "record_follow_up", "follow_up", "follow_up", committee, t, result=performance)
                        self.close(follow_up, "met", t)
                        if step(1, 24 * 5):
                            self.event(did, "close", "follow_up", "closed", committee, t, result=performance)
                            self.close(confirmation, "cancelled", t)
                            state, outcome, closed_at = "closed", "agreement", t
                if confirmation[4] == "open" and confirmation[3] < now:
                    self.close(confirmation, "cancelled", confirmation[3])  # the window lapsed
        if rng.random() < 0.02:  # the record and its `record_prevention` event (what the figures count)
            kind, people, when = rng.choice(PREVENTIONS), rng.randint(1, 30), min(received + 2 * DAY, now)
            self.rows["prevention_record"].append((self._next("prevention_record"), did, kind, people,
                                                   committee["org"]["id"], when, when))
            self.event(did, "record_prevention", state, state, committee, when, result=kind, people=people,
                       payload=json.dumps({"kind": kind, "people": people}))
        last = t if t < now else received
        self.rows["dispute"].append((
            did, f"（{year}）{committee['code']}调字第{did:07d}号", year, seq, "standard", committee["id"],
            self._intake, rng.choices(TYPES, TYPE_WEIGHTS)[0], rng.choices(SOURCES, SOURCE_WEIGHTS)[0], "纠纷",
            None, "none", state, outcome, received, accepted_at, None, concluded_at, closed_at, last,
            extensions, 1, None, received, last))

    COLUMNS = {
        "dispute": "id, case_number, case_year, case_seq, workflow, committee_id, intake_org_id, dispute_type, source, "
                   "summary, amount, risk_level, state, outcome, received_at, accepted_at, mediation_started_at, "
                   "concluded_at, closed_at, last_event_at, extensions_used, version, created_by_id, created_at, "
                   "updated_at",
        "event": "id, dispute_id, trigger, from_state, to_state, committee_id, org_id, occurred_at, recorded_at, "
                 "amount, due_at, result, people, payload",
        "deadline": "id, dispute_id, kind, due_at, status, met_at, cancelled_at, created_at",
        "agreement": "id, dispute_id, form, terms, amount, performance_due, agreed_at, confirmation",
        "prevention_record": "id, dispute_id, kind, people, org_id, occurred_at, recorded_at",
    }

    def flush(self) -> None:
        for table in ("dispute", "event", "deadline", "agreement", "prevention_record"):
            rows = self.rows[table]
            if not rows:
                continue
            with self.cur.copy(f"COPY {table} ({self.COLUMNS[table]}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            rows.clear()


BIG_TABLES = ["org_unit", "committee", "dispute", "event", "deadline", "agreement", "prevention_record"]


def drop_for_load(cur) -> list[str]:
    """Drops the foreign keys, unique constraints and secondary indexes the migrations created on the
    loaded tables (bulk COPY is far faster without them) and returns the statements that re-create
    exactly those definitions afterwards."""
    cur.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                   FROM pg_constraint WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s)
                   ORDER BY contype DESC""", (BIG_TABLES,))
    constraints = cur.fetchall()
    cur.execute("""SELECT tablename, indexname, indexdef FROM pg_indexes
                   WHERE schemaname = 'public' AND tablename = ANY(%s)
                   AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))""",
                (BIG_TABLES,))
    indexes = cur.fetchall()
    for table, name, _, kind in constraints:
        if kind == "f":
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for table, name, _, kind in constraints:
        if kind == "u":
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return ([definition for _, _, definition in indexes]
            + [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d, k in constraints if k == "u"]
            + [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d, k in constraints if k == "f"])


def generate(url: str, disputes: int, now: datetime, seed: int = 5) -> None:
    import psycopg

    rng = random.Random(seed)
    start = now - timedelta(days=730)
    span = (now - start).total_seconds()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '1GB'")
        rebuild = drop_for_load(cur)
        tree = build_tree(cur)
        loader = Loader(cur, now)
        committees = tree["villages"] * 7 + tree["townships"] * 20 + tree["counties"] * 30
        t0 = time.perf_counter()
        for did in range(1, disputes + 1):
            committee = rng.choice(committees)
            loader._intake = committee["org"]["id"]
            received = start + timedelta(seconds=rng.random() * span)
            loader.dispute(did, committee, received, rng)
            if did % 20000 == 0:
                loader.flush()
                conn.commit()
                rate = did / (time.perf_counter() - t0)
                print(f"  {did:>9,} disputes loaded ({rate:,.0f}/s)", flush=True)
        loader.flush()
        for table in ("org_unit", "committee", "dispute", "event", "deadline", "agreement", "prevention_record"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        t1 = time.perf_counter()
        for statement in rebuild:
            cur.execute(statement)
        conn.commit()
        print(f"  indexes and constraints of the migrations rebuilt in {time.perf_counter() - t1:,.0f} s", flush=True)
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")


def migrate(url: str):
    """An app on the bench database with its schema emptied and the migrations applied."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from mediation import create_app
    from mediation.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CELERY_DISABLED": True, "SECRET_KEY": "bench"})
    return app, lambda: (db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public")),
                         db.session.commit(), upgrade(directory=str(ROOT / "migrations")))


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    fn()  # warm-up: plans cached, pages in memory
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return stats.median(runs), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--disputes", type=int, default=200_000)
    parser.add_argument("--database", required=True, help="a DEDICATED PostgreSQL database: it is emptied")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep the data when it has this many disputes")
    parser.add_argument("--now", default="2026-11-23T08:00:00+08:00", help="the end of the generated history")
    parser.add_argument("--week", default=None, help="the ISO week to measure (default: the last full week)")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    url = args.database
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    sa_url = "postgresql+psycopg://" + plain[len("postgresql://"):]

    app, reset = migrate(sa_url)
    with app.app_context():
        from sqlalchemy import func, select, text

        from mediation.common.clock import parse_week, period_bounds, previous_week
        from mediation.extensions import db
        from mediation.models import Dispute, Event, OrgUnit
        from mediation.reports import statistics

        have = 0
        if args.reuse:
            try:
                have = db.session.scalar(select(func.count()).select_from(Dispute))
            except Exception:  # noqa: BLE001 - no schema yet
                db.session.rollback()
        if have != args.disputes:
            print(f"migrating and generating {args.disputes:,} disputes into {plain} …", flush=True)
            reset()
            db.session.remove()
            t0 = time.perf_counter()
            generate(plain, args.disputes, now)
            print(f"generated in {time.perf_counter() - t0:,.0f} s", flush=True)
        counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("dispute", "event", "deadline")}
        week = args.week or previous_week(now)
        monday, sunday = parse_week(week)
        lo, hi = period_bounds(monday, sunday)
        city = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "BCITY"))
        county = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "BC03"))
        baseline_sql = select(Event.trigger, func.count()).where(Event.occurred_at >= lo, Event.occurred_at < hi) \
            .group_by(Event.trigger)

        def baseline():
            return db.session.execute(baseline_sql).all()

        week_events = sum(n for _, n in baseline())
        figures = statistics.compute(city, monday, sunday)
        base_t, base_runs = timed(baseline, args.repeat)
        city_t, city_runs = timed(lambda: statistics.compute(city, monday, sunday), args.repeat)
        county_t, _ = timed(lambda: statistics.compute(county, monday, sunday), args.repeat)
        print(json.dumps({"week": week, "rows": counts, "events_in_week": week_events,
                          "figures_city": {k: figures[k] for k in statistics.FIGURES}}, ensure_ascii=False, indent=1))
        print(f"baseline  plain GROUP BY trigger over the week's events : {base_t * 1000:8.1f} ms (median of {args.repeat})")
        print(f"compute   every figure, city (whole tree)               : {city_t * 1000:8.1f} ms "
              f"→ {city_t / base_t:.2f}× the baseline")
        print(f"compute   every figure, one county                      : {county_t * 1000:8.1f} ms "
              f"→ {county_t / base_t:.2f}× the baseline")


if __name__ == "__main__":
    main()
