"""The demo jurisdiction `make run` seeds when the database is empty (演示数据).

江澄市 with three counties, fifteen townships and seventy villages and communities, a people's
mediation committee at every level and professional committees (medical, labour, traffic,
property, expropriation, consumer, land) at county level, their mediators and supervisors, and N
disputes received over the past year and lived to today through every state and outcome.

How it stays fast and true at once: each dispute is lived in memory by the services' own rules
(`demo/casefile.py`: the very step of mediation/disputes/effects.py, with the same facts, guards,
effects and deadline arithmetic), then written in bulk (`demo/bulk.py`: COPY on PostgreSQL).
Batches are lived in forked worker processes when there are many; the main process numbers the
cases, gives the ids and writes, all in one transaction. tests/test_demo_replay.py replays sampled
histories through `fire_trigger` and compares the rows field by field.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import exists, select

from demo.bulk import BulkWriter, batch_rows
from demo.casefile import CaseFile
from demo.city.places import DEMO_LOGINS, DEMO_PASSWORD, NAMED_USERS  # noqa: F401  the command shows them
from demo.city.world import DemoWorld, ensure_world
from demo.stories.showcase import SHOWCASE
from demo.stories.tellers import Header, Teller
from mediation.common.clock import LOCAL
from mediation.common.clock import now as clock_now
from mediation.common.errors import ValidationError
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import Dispute, OrgUnit

BATCH = 2000  # disputes lived and written together (bounded memory; one COPY per table and batch)
PARALLEL_FROM = 5000  # below this many disputes, worker processes cost more than they save
SUSPEND_KEYS_FROM = 20000  # from this many, PostgreSQL checks the foreign keys once at the end (demo/bulk.py)
MAX_CASES = 1_000_000


@dataclass
class SeedResult:
    """What a seeding run did."""

    skipped: bool = False
    reason: str = ""
    cases: int = 0
    workers: int = 1
    rows: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    phases: dict[str, float] = field(default_factory=dict)  # seconds: world, plan, load, foreign keys
    kept: list[CaseFile] = field(default_factory=list)  # the case files themselves, when asked to keep them
    ids: list[int] = field(default_factory=list)  # their dispute ids, in the same order


@dataclass
class _Job:
    """What each batch needs; forked workers inherit it instead of receiving it."""

    world: DemoWorld
    headers: list[Header]
    seed: int
    horizon: datetime
    keep: bool
    batch: int


_JOB: Optional[_Job] = None


def database_is_empty() -> bool:
    """True when there is neither an org nor a dispute (what `--if-empty` checks)."""
    return not db.session.scalar(select(exists().where(OrgUnit.id.isnot(None)))) and not db.session.scalar(
        select(exists().where(Dispute.id.isnot(None))))


def plan_headers(teller: Teller, cases: int) -> list[Header]:
    """The disputes to tell, showcase first, in order of receipt (so case numbers follow it)."""
    headers = [teller.header(script) for script in SHOWCASE[:cases] if script.committee in teller.world.by_code]
    headers += [teller.header() for _ in range(cases - len(headers))]
    headers.sort(key=lambda h: h.received_at)
    return headers


def default_workers(cases: int) -> int:
    return min(os.cpu_count() or 1, 4) if cases >= PARALLEL_FROM else 1


def seed_demo(cases: int = 400, seed: Optional[int] = None, if_empty: bool = False, at: Optional[datetime] = None,
              progress: Optional[Callable[[int], None]] = None, keep: bool = False,
              workers: Optional[int] = None, batch: int = BATCH,
              suspend_keys_from: int = SUSPEND_KEYS_FROM) -> SeedResult:
    """Seeds the demo: the jurisdiction (made or reused) and `cases` disputes lived up to `at` (now).

    `seed` makes the run repeatable (whatever the number of workers); `if_empty` does nothing unless
    the database holds neither orgs nor disputes; `progress(n)` is told after each batch; `keep`
    returns the case files too (in-process only); `workers` lives batches of `batch` disputes in that
    many processes; from `suspend_keys_from` disputes on, PostgreSQL's foreign keys are dropped for
    the load and re-created (checked) before the commit.
    """
    if not isinstance(cases, int) or isinstance(cases, bool) or not 0 <= cases <= MAX_CASES:
        raise ValidationError({"cases": [f"must be a whole number between 0 and {MAX_CASES}"]})
    if if_empty and not database_is_empty():
        return SeedResult(skipped=True, reason="the database already holds orgs or disputes")
    horizon = (at or clock_now()).replace(microsecond=0)
    seed = random.randrange(2**32) if seed is None else seed
    workers = 1 if keep else max(1, workers or default_workers(cases))
    started = time.perf_counter()
    world = ensure_world(horizon)
    result = SeedResult(cases=cases, workers=workers)
    result.phases["world"] = time.perf_counter() - started
    headers = plan_headers(Teller(world, random.Random(seed), horizon), cases)
    global _JOB
    with unit_of_work() as session:
        writer = BulkWriter(session)
        first_seq = writer.reserve_case_numbers(Counter(
            (h.committee.row.id, h.received_at.astimezone(LOCAL).year) for h in headers))
        first_id = writer.reserve_ids(Dispute.__table__, cases)
        for i, header in enumerate(headers):
            key = (header.committee.row.id, header.received_at.astimezone(LOCAL).year)
            header.seq, first_seq[key] = first_seq[key], first_seq[key] + 1
            header.dispute_id = first_id + i
        _JOB = _Job(world, headers, seed, horizon, keep, batch)
        suspended = writer.suspend_foreign_keys() if cases >= suspend_keys_from else []
        result.phases["plan"] = time.perf_counter() - started - result.phases["world"]
        started = time.perf_counter()
        try:
            batches = range((cases + batch - 1) // batch)
            gc.freeze()  # the world and the headers live to the end: keep the collector (and forks) off them
            if workers > 1:
                with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_started) as pool:
                    for told in pool.imap(_tell_batch, batches):
                        _take(told, writer, result, progress)
            else:
                for told in map(_tell_batch, batches):
                    _take(told, writer, result, progress)
        finally:
            _JOB = None
            gc.unfreeze()
        result.phases["load"] = time.perf_counter() - started
        started = time.perf_counter()
        writer.restore_foreign_keys(suspended)
        result.rows = Counter(writer.rows_written)
    result.phases["foreign keys and commit"] = time.perf_counter() - started
    return result


def _take(told: tuple, writer: BulkWriter, result: SeedResult, progress: Optional[Callable[[int], None]]) -> None:
    rows, states, outcomes, files = told
    writer.write(rows)
    result.states.update(states)
    result.outcomes.update(outcomes)
    if files:
        result.kept.extend(files)
        result.ids.extend(h.dispute_id for h in _JOB.headers[len(result.ids):len(result.ids) + len(files)])
    if progress:
        progress(len(rows["dispute"]))


def _worker_started() -> None:
    """In a forked worker: leave the parent's database connections alone (they are the parent's)."""
    db.engine.dispose(close=False)


def _tell_batch(index: int) -> tuple[dict[str, list], Counter, Counter, list[CaseFile]]:
    """Lives one batch of headers (its own random stream, so any worker gives the same rows)."""
    job = _JOB
    headers = job.headers[index * job.batch:(index + 1) * job.batch]
    teller = Teller(job.world, random.Random(f"{job.seed}:{index}"), job.horizon)
    gc.disable()  # a batch allocates a great many objects and drops them together
    try:
        files = [teller.tell(h) for h in headers]
        rows = batch_rows(((f, h.dispute_id, h.committee.row.code, h.seq) for f, h in zip(files, headers, strict=True)),
                          job.world.supervisors)
    finally:
        gc.enable()
    states = Counter(f.state for f in files)
    outcomes = Counter(f.outcome for f in files if f.outcome)
    return rows, states, outcomes, files if job.keep else []


__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "SeedResult", "database_is_empty", "default_workers", "seed_demo"]
