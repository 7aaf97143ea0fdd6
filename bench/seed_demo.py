"""Benchmark: `seed-demo` on PostgreSQL, bulk path against the plain service layer, in one run.

    .venv/bin/python -m bench.seed_demo --cases 100000 --baseline 300 \
        --database postgresql://postgres@127.0.0.1/med_bench_seed

It empties the given (dedicated!) database and applies the migrations, then:

1. runs the real command, `flask --app wsgi seed-demo --cases N --seed S`, as a newcomer would
   (wall time, including Flask's start-up, the org tree and the demo users; CPU of the command
   and its worker processes; CPU of the PostgreSQL backends serving it);
2. the baseline, in-process: `--baseline` more disputes lived the same way, written by the bulk
   path (timed), then the same histories replayed through the services one call per step
   (`register_dispute`, `fire_trigger`, `record_session`, `record_prevention`: what seeding
   without the bulk path costs), timed;

and prints the figures and the per-dispute ratio. The machine's load average is printed too:
on a shared 2-core machine other work slows every figure alike, not the ratio.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BackendCPU:
    """CPU seconds of the PostgreSQL backends serving one database, sampled while they live."""

    def __init__(self, database: str) -> None:
        self.database, self.seen = database, {}
        self.tick = os.sysconf("SC_CLK_TCK")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.stop.wait(0.2):
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                    if f" {self.database} " not in cmdline or not cmdline.startswith("postgres:"):
                        continue
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[pid] = (int(fields[11]) + int(fields[12])) / self.tick

    def __enter__(self) -> BackendCPU:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _app(url: str):
    from mediation import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "CELERY_DISABLED": True, "MAIL_SERVER": None,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def empty_database(url: str) -> None:
    """Drops everything in the database's public schema and applies the migrations."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from mediation.extensions import db

    app = _app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


def run_command(url: str, cases: int, seed: int) -> dict:
    """Times `flask --app wsgi seed-demo` as a subprocess."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "seed-demo", "--cases", str(cases),
               "--seed", str(seed)]
    cpu = _children_cpu()
    with BackendCPU(url.rsplit("/", 1)[1]) as backend:
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"seed-demo failed:\n{done.stdout}\n{done.stderr}")
    return {"wall": wall, "command_cpu": _children_cpu() - cpu, "postgres_cpu": backend.seconds,
            "output": "\n  ".join(done.stdout.strip().splitlines()[:2])}


def run_baseline(url: str, cases: int, seed: int) -> dict:
    """Bulk path and service-layer replay for the same `cases` histories, in-process."""
    from demo.seed import seed_demo
    from tests.replay import replay

    app = _app(url)
    with app.app_context():
        started = time.perf_counter()
        result = seed_demo(cases=cases, seed=seed, keep=True)
        bulk = time.perf_counter() - started
        steps = sum(len(case.steps) for case in result.kept)
        started = time.perf_counter()
        for case in result.kept:
            replay(case)
        services = time.perf_counter() - started
    return {"bulk": bulk, "services": services, "steps": steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=300, help="disputes replayed through the services")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1/med_bench_seed",
                        help="a DEDICATED PostgreSQL database: it is emptied")
    args = parser.parse_args(argv)
    if not args.database.startswith("postgresql"):
        sys.exit("the benchmark runs on PostgreSQL")
    sys.path.insert(0, str(ROOT))
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    empty_database(args.database)
    command = run_command(args.database, args.cases, args.seed)
    per_bulk = command["wall"] / max(args.cases, 1)
    print(f"seed-demo --cases {args.cases}: {command['wall']:.1f} s wall ({per_bulk * 1e3:.2f} ms per dispute); "
          f"CPU: command and workers {command['command_cpu']:.1f} s, PostgreSQL {command['postgres_cpu']:.1f} s")
    print(f"  {command['output']}")
    base = run_baseline(args.database, args.baseline, args.seed + 1)
    per_service = base["services"] / args.baseline
    print(f"baseline, {args.baseline} disputes ({base['steps']} service calls): bulk {base['bulk']:.2f} s, "
          f"through the services {base['services']:.1f} s ({per_service * 1e3:.1f} ms per dispute)")
    print(f"ratio: the service layer takes {per_service / per_bulk:.0f}× the bulk path's time per dispute "
          f"(so {args.cases} disputes through it: ~{per_service * args.cases / 60:.0f} min)")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
