"""Helpers of the core's tests: injected times, disputes driven to a state, and row snapshots.

Times are injected everywhere (`at=NOW`, `occurred_at=…`), so deadlines are exact and the tests
do not depend on today's date.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

import pytest
from sqlalchemy import select

from mediation.common.clock import LOCAL
from mediation.common.errors import DomainError
from mediation.disputes import cases
from mediation.extensions import db
from mediation.models import Base, Committee, Dispute, Event, User
from tests import factories

UTC = UTC
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # Fri 2026-11-20 12:00 in Asia/Shanghai: "now" of the tests
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 2026-03-02 09:00 in Asia/Shanghai: when disputes come in
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

STATES = ("registered", "accepted", "assigned", "in_mediation", "agreed", "follow_up", "closed", "rejected")
TRIGGERS = ("accept", "reject", "assign", "reassign", "start_mediation", "extend", "escalate", "reach_agreement",
            "fail", "withdraw", "request_confirmation", "record_confirmation", "start_follow_up",
            "record_follow_up", "reopen", "close")

# DESIGN.md's workflow table, written out independently of workflows/: (trigger, from) → to
TABLE: dict[tuple[str, str], str] = {
    ("accept", "registered"): "accepted",
    ("reject", "registered"): "rejected",
    ("assign", "accepted"): "assigned",
    ("reassign", "assigned"): "assigned",
    ("reassign", "in_mediation"): "in_mediation",
    ("start_mediation", "assigned"): "in_mediation",
    ("extend", "in_mediation"): "in_mediation",
    ("escalate", "accepted"): "accepted",
    ("escalate", "assigned"): "accepted",
    ("escalate", "in_mediation"): "accepted",
    ("reach_agreement", "in_mediation"): "agreed",
    ("fail", "in_mediation"): "closed",
    ("withdraw", "registered"): "closed",
    ("withdraw", "accepted"): "closed",
    ("withdraw", "assigned"): "closed",
    ("withdraw", "in_mediation"): "closed",
    ("request_confirmation", "agreed"): "agreed",
    ("request_confirmation", "follow_up"): "follow_up",
    ("record_confirmation", "agreed"): "agreed",
    ("record_confirmation", "follow_up"): "follow_up",
    ("start_follow_up", "agreed"): "follow_up",
    ("record_follow_up", "follow_up"): "follow_up",
    ("reopen", "follow_up"): "in_mediation",
    ("close", "follow_up"): "closed",
}
OUTCOMES = {"reject": "rejected", "fail": "failed", "withdraw": "withdrawn", "close": "agreement"}


def local(*args: int) -> datetime:
    """A moment given in Asia/Shanghai wall-clock time, as UTC."""
    return datetime(*args, tzinfo=LOCAL).astimezone(UTC)


def register(committee: Committee, received_at: datetime = T0, actor: Optional[User] = None,
             **overrides: Any) -> Dispute:
    """Registers a dispute received at `received_at` (recorded at NOW)."""
    return factories.make_dispute(committee, actor=actor, at=NOW, received_at=received_at.isoformat(), **overrides)


def step(dispute: Dispute, trigger: str, when: Optional[datetime] = None, actor: Optional[User] = None,
         **payload: Any) -> Dispute:
    """Fires `trigger` one hour after the dispute's previous event (or at `when`), recorded at NOW."""
    when = when or dispute.last_event_at + HOUR
    return factories.fire(dispute, trigger, actor=actor, occurred_at=when, at=NOW, **payload)


def reach(state: str, committee: Committee, received_at: datetime = T0, extra: tuple[str, ...] = (),
          **overrides: Any) -> Dispute:
    """A dispute registered at `received_at` and driven to `state` along the main path, an hour a step."""
    dispute = register(committee, received_at, **overrides)
    for trigger in (*factories.TO_STATE[state], *extra):
        payload = {"performance": "partial"} if trigger == "record_follow_up" else {}
        dispute = step(dispute, trigger, **payload)
    return dispute


def reload(dispute: Dispute | int) -> Dispute:
    return cases.load_dispute(dispute if isinstance(dispute, int) else dispute.id)


def events(dispute: Dispute | int) -> list[Event]:
    return cases.list_events(dispute if isinstance(dispute, int) else dispute.id)


def open_deadlines(dispute: Dispute, kind: Optional[str] = None) -> list:
    return [d for d in reload(dispute).deadlines if d.status == "open" and (kind is None or d.kind == kind)]


def snapshot(dispute_id: int) -> dict[str, list[tuple]]:
    """Every row that belongs to the dispute (and the case counters), read afresh from the database."""
    session = db.session
    session.expire_all()
    rows: dict[str, list[tuple]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "dispute":
            query = select(table).where(table.c.id == dispute_id)
        elif "dispute_id" in table.c:
            query = select(table).where(table.c.dispute_id == dispute_id)
        elif table.name in ("case_counter", "calendar_day", "org_policy"):
            query = select(table)
        else:
            continue
        rows[table.name] = [tuple(r) for r in session.execute(query.order_by(*table.primary_key.columns))]
    return rows


def refused(dispute_id: int, call: Callable[[], Any], code: str, reason: Optional[str] = None,
            fields: Optional[set[str]] = None) -> DomainError:
    """Runs `call`, expects a DomainError of `code` (and guard `reason` / field names), and checks
    that not a single row of the dispute changed."""
    before = snapshot(dispute_id)
    with pytest.raises(DomainError) as caught:
        call()
    exc = caught.value
    assert exc.code == code, (exc.code, exc.message, exc.details)
    if reason is not None:
        assert exc.details.get("reason") == reason, exc.details
    if fields is not None:
        assert set(exc.details["fields"]) == fields, exc.details
        assert all(isinstance(m, str) and m for msgs in exc.details["fields"].values() for m in msgs)
    assert snapshot(dispute_id) == before, f"a refused {code} changed rows"
    return exc


def try_fire(dispute: Dispute, trigger: str, *, version: Any = None, when: Any = None, actor: Optional[User] = None,
             payload: Optional[dict] = None, at: datetime = NOW) -> Callable[[], Any]:
    """A deferred raw `fire_trigger` call (no default payloads), for `refused`."""
    from mediation.disputes import triggers
    dispute_id, current = dispute.id, dispute.version
    occurred = when if when is not None else dispute.last_event_at + HOUR
    return lambda: triggers.fire_trigger(dispute_id, trigger, version=current if version is None else version,
                                            actor=actor, occurred_at=occurred, payload=payload or {}, at=at)


def users_by_name(*names: str) -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
