"""Fengqiao statistics (枫桥经验统计): the figures of docs/metrics.md for an org scope and a period of days.

Every figure is one SQL aggregate over the append-only Events (the `record_prevention` and
`withdraw_prevention` records for `prevented`, Deadline rows for `overdue_open`), counted by
`occurred_at` — when a thing happened, not when it was typed in — so re-computing a past period
gives the same answer unless someone later enters a paper record back-dated into it; `late_entries`
says how many conclusions of the period were entered late and by how much. Access records
(reveals, downloads) count nowhere. A period that ends in the future is computed as of now.
docs/metrics.md states each definition in Chinese and English.

Scope S is an org and its subtree (materialized-path prefix); the period is [from, to] of days in
Asia/Shanghai, i.e. the half-open UTC interval [lo, hi) of `clock.period_bounds`.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from sqlalchemy import BigInteger, DateTime, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.orm import aliased

from mediation.common import access
from mediation.common.clock import isoformat, period_bounds
from mediation.common.clock import now as clock_now
from mediation.common.errors import ValidationError
from mediation.disputes import trail
from mediation.disputes.deadlines import overdue_days
from mediation.extensions import db
from mediation.models import Agreement, Committee, Deadline, Dispute, Event, OrgUnit, User
from mediation.models.enums import DISPUTE_TYPES, PREVENTION_KINDS, SOURCES
from mediation.orgs import tree

MAX_SPAN_DAYS = 366  # a year (bureaus report by week, month, quarter and year)
CONCLUSIONS = ("reach_agreement", "fail", "withdraw")
PREVENTION_RECORDS = ("record_prevention", "withdraw_prevention")
COUNTED = ("accept", "reject", *CONCLUSIONS, "escalate", "record_confirmation", "close")
LOCAL_LEVELS = ("village", "township")  # 小事不出村、大事不出乡
LEVEL_GROUPS = ("village", "township", "county_and_above")
FIGURES = ("received", "accepted", "rejected", "concluded", "agreements", "failed", "withdrawn", "success_rate",
           "on_time_rate", "amount_total", "local_resolution_rate", "escalated", "confirmations",
           "performance_rate", "overdue_open")
CENT = Decimal("0.01")


def rate(numerator: int, denominator: int) -> Optional[float]:
    """A fraction in [0, 1] rounded half-up to 4 decimals; None when the denominator is 0."""
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def money(cents: int) -> str:
    """Whole cents as a decimal string with two places (the API's amount format)."""
    return str((Decimal(int(cents)) / 100).quantize(CENT))


def level_group(level: str) -> str:
    return level if level in LOCAL_LEVELS else "county_and_above"


def _in_scope(org: OrgUnit):
    """Ids of the orgs of scope S (org and subtree), as a subquery."""
    return select(OrgUnit.id).where(access.subtree_clause(org)).scalar_subquery()


# -- events -----------------------------------------------------------------------------------
def _event_figures(org: OrgUnit, lo: datetime, hi: datetime) -> dict[str, Any]:
    """accept … close events of the period whose event org (handling org then) lies in S, one GROUP BY."""
    on_time = case((or_(Event.due_at.is_(None), Event.occurred_at <= Event.due_at), 1), else_=0)
    query = (select(Event.trigger, OrgUnit.level, func.count().label("n"),
                    cast(func.coalesce(func.sum(func.round(Event.amount * 100)), 0), BigInteger).label("cents"),
                    func.sum(on_time).label("on_time"),
                    func.sum(case((Event.result == "confirmed", 1), else_=0)).label("confirmed"),
                    func.sum(case((Event.result == "full", 1), else_=0)).label("full"))
             .join(OrgUnit, OrgUnit.id == Event.org_id)
             .where(Event.trigger.in_(COUNTED), Event.occurred_at >= lo, Event.occurred_at < hi,
                    access.subtree_clause(org))
             .group_by(Event.trigger, OrgUnit.level))
    n: dict[str, int] = dict.fromkeys(COUNTED, 0)
    by_level = {g: {"concluded": 0, "agreements": 0, "failed": 0, "withdrawn": 0} for g in LEVEL_GROUPS}
    cents = on_time_n = confirmed = full = local = 0
    names = {"reach_agreement": "agreements", "fail": "failed", "withdraw": "withdrawn"}
    for row in db.session.execute(query):
        n[row.trigger] += row.n
        if row.trigger in CONCLUSIONS:
            on_time_n += int(row.on_time or 0)
            group = by_level[level_group(row.level)]
            group["concluded"] += row.n
            group[names[row.trigger]] += row.n
            if row.level in LOCAL_LEVELS:
                local += row.n
        if row.trigger == "reach_agreement":
            cents += int(row.cents or 0)
        if row.trigger == "record_confirmation":
            confirmed += int(row.confirmed or 0)
        if row.trigger == "close":
            full += int(row.full or 0)
    concluded = sum(n[t] for t in CONCLUSIONS)
    return {
        "accepted": n["accept"], "rejected": n["reject"], "concluded": concluded,
        "agreements": n["reach_agreement"], "failed": n["fail"], "withdrawn": n["withdraw"],
        "success_rate": rate(n["reach_agreement"], concluded), "on_time_rate": rate(on_time_n, concluded),
        "amount_total": money(cents), "local_resolution_rate": rate(local, concluded),
        "escalated": n["escalate"], "confirmations": confirmed, "performance_rate": rate(full, n["close"]),
        "by_level": by_level,
    }


def _received(org: OrgUnit, lo: datetime, hi: datetime) -> dict[str, Any]:
    """`register` events of the period (occurred_at = received_at, org = intake org) by type and source."""
    query = (select(Dispute.dispute_type, Dispute.source, func.count().label("n"))
             .select_from(Event)
             .join(OrgUnit, OrgUnit.id == Event.org_id)
             .join(Dispute, Dispute.id == Event.dispute_id)
             .where(Event.trigger == "register", Event.occurred_at >= lo, Event.occurred_at < hi,
                    access.subtree_clause(org))
             .group_by(Dispute.dispute_type, Dispute.source))
    by_type = dict.fromkeys(DISPUTE_TYPES, 0)
    by_source = dict.fromkeys(SOURCES, 0)
    for row in db.session.execute(query):
        by_type[row.dispute_type] = by_type.get(row.dispute_type, 0) + row.n
        by_source[row.source] = by_source.get(row.source, 0) + row.n
    return {"received": sum(by_type.values()), "by_type": by_type, "by_source": by_source}


def _prevented(org: OrgUnit, lo: datetime, hi: datetime) -> dict[str, dict[str, int]]:
    """Prevention records of the period in S, from their records in the trail: per kind, the people
    (withdrawals count minus the people of the record they withdraw, dated as it is, for the same
    org) and the disputes (cases) whose net count of people is positive."""
    per_dispute = (select(Event.result.label("kind"), Event.dispute_id, func.sum(Event.people).label("people"))
                   .join(OrgUnit, OrgUnit.id == Event.org_id)
                   .where(Event.trigger.in_(PREVENTION_RECORDS), Event.occurred_at >= lo, Event.occurred_at < hi,
                          access.subtree_clause(org))
                   .group_by(Event.result, Event.dispute_id).subquery())
    query = (select(per_dispute.c.kind, func.count().label("cases"), func.sum(per_dispute.c.people).label("people"))
             .where(per_dispute.c.people > 0).group_by(per_dispute.c.kind))
    out = {kind: {"cases": 0, "people": 0} for kind in PREVENTION_KINDS}
    for row in db.session.execute(query):
        out[row.kind] = {"cases": int(row.cases), "people": int(row.people or 0)}
    return out


def _days_between(earlier, later):
    """`later - earlier` in days (a float), on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _late_entries(org: OrgUnit, lo: datetime, hi: datetime) -> dict[str, int]:
    """Conclusions of the period (by occurred_at, handling org in S) entered a day or more after the
    time they are dated: how many, how many of them were flagged (beyond max_backdate_days, with a
    reason), the longest delay in whole days, and how many count as on time only because of their
    date (entered after the mediation deadline they are counted as having met)."""
    delay = _days_between(Event.occurred_at, Event.recorded_at)
    rows = db.session.execute(
        select(Event.occurred_at, Event.recorded_at, Event.due_at, Event.backdated, delay.label("days"))
        .join(OrgUnit, OrgUnit.id == Event.org_id)
        .where(Event.trigger.in_(CONCLUSIONS), trail.counted(Event.trigger), Event.occurred_at >= lo,
               Event.occurred_at < hi, access.subtree_clause(org), delay >= 1)).all()
    return {"count": len(rows), "flagged": sum(1 for r in rows if r.backdated),
            "max_days": max((int(r.days) for r in rows), default=0),
            "on_time_by_date_only": sum(1 for r in rows if r.due_at is not None
                                        and r.occurred_at <= r.due_at < r.recorded_at)}


# -- deadlines open and past due at the end of the period ---------------------------------------
def _as_instant(value):
    """An ISO-8601 text (as events store `due_before`) as something comparable with a timestamp."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(value, DateTime(timezone=True))
    return func.julianday(value)


def _instant_param(moment: datetime):
    if db.session.get_bind().dialect.name == "postgresql":
        return literal(moment, DateTime(timezone=True))
    return func.julianday(literal(moment.isoformat()))


def _instant_column(column):
    """A timestamp column in the same comparable form as `_as_instant` (SQLite: julian days)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column
    return func.julianday(column)


def _due_before(end: datetime):
    """The due date an `extend` at or after `end` found (payload `due_before`), for the deadline
    of the outer query: an extension belongs to the mediation term open when it happened (after
    the previous term ended, before this one closed)."""
    closed_at = func.coalesce(Deadline.met_at, Deadline.cancelled_at)
    ext = aliased(Event)
    earlier = aliased(Deadline)
    previous_term_end = (select(func.max(func.coalesce(earlier.met_at, earlier.cancelled_at)))
                         .where(earlier.dispute_id == Deadline.dispute_id, earlier.kind == "mediation",
                                earlier.id < Deadline.id).correlate(Deadline).scalar_subquery())
    return (select(ext.payload["due_before"].as_string())
            .where(ext.dispute_id == Deadline.dispute_id, ext.trigger == "extend", ext.occurred_at >= end,
                   or_(previous_term_end.is_(None), ext.occurred_at >= previous_term_end),
                   or_(closed_at.is_(None), ext.occurred_at < closed_at,
                       # an extension recorded at the very instant of the agreement or failure that
                       # met the deadline came before it; at the instant of an escalation or
                       # withdrawal (which cancel it) it is taken to belong to the next term
                       ext.occurred_at == Deadline.met_at))
            .order_by(ext.occurred_at, ext.id).limit(1).correlate(Deadline).scalar_subquery())


def _overdue_at_end(org: OrgUnit, end: datetime):
    """The open-and-past-due deadlines at instant `end` (the end of the period), reconstructed.

    A deadline was open at `end` when it is still open or was met/cancelled at or after `end`
    (met_at/cancelled_at carry the occurred_at of the event that closed it). Its due date then is
    its current one unless an `extend` after `end` moved it: that event's payload keeps
    `due_before`. The handling committee then is the org of the dispute's first event at or after
    `end` (an escalation's event carries the committee it left), or the current one. Confirmation
    windows lapse rather than go overdue. Returns a UNION ALL of two disjoint selects of
    (id, due_before): deadlines whose current due date already lies before `end`, found through
    the status/met_at/cancelled_at indexes, and mediation deadlines extended since `end`.
    """
    nxt = aliased(Event)
    org_then = (select(nxt.org_id).where(nxt.dispute_id == Deadline.dispute_id, nxt.occurred_at >= end,
                                         trail.counted(nxt.trigger))
                .order_by(nxt.occurred_at, nxt.id).limit(1).correlate(Deadline).scalar_subquery())
    org_now = (select(Committee.org_id).join(Dispute, Dispute.committee_id == Committee.id)
               .where(Dispute.id == Deadline.dispute_id).correlate(Deadline).scalar_subquery())
    in_scope = func.coalesce(org_then, org_now).in_(_in_scope(org))
    # a deadline falls due after it opens, except a follow-up whose performance date was set before
    # the agreement itself: it must not count before its agreement existed (one index probe)
    first_agreement = (select(func.min(Agreement.agreed_at)).where(Agreement.dispute_id == Deadline.dispute_id)
                       .correlate(Deadline).scalar_subquery())
    opened = case((Deadline.kind == "follow_up", first_agreement < end), else_=True)
    due_before = _due_before(end)
    already_due = (select(Deadline.id, due_before.label("due_before"))
                   .where(or_(and_(Deadline.status == "open", Deadline.due_at < end),
                              and_(Deadline.met_at >= end, Deadline.due_at < end),
                              and_(Deadline.cancelled_at >= end, Deadline.due_at < end)),
                          Deadline.kind != "confirmation", opened, in_scope))
    # disputes received before `end` and extended since: only they can hold a deadline open at `end`
    # whose due date moved after it
    extended_since = (select(Event.dispute_id).join(Dispute, Dispute.id == Event.dispute_id)
                      .where(Event.trigger == "extend", Event.occurred_at >= end, Dispute.received_at < end))
    extended = (select(Deadline.id, due_before.label("due_before"))
                .where(Deadline.kind == "mediation", Deadline.due_at >= end,
                       Deadline.dispute_id.in_(extended_since),
                       # (not the indexed form: the dispute ids of the extensions are what to look up)
                       func.coalesce(Deadline.met_at, Deadline.cancelled_at, end) >= end,
                       _as_instant(due_before) < _instant_param(end), in_scope))
    return already_due.union_all(extended)


def overdue_open(org: OrgUnit, end: datetime) -> int:
    """How many deadlines of disputes handled in S were open and past due at instant `end`."""
    without_jit()
    inner = _overdue_at_end(org, end).subquery()
    return int(db.session.scalar(select(func.count()).select_from(inner)) or 0)


def most_overdue(org: OrgUnit, date_to: date, limit: int = 10, at: Optional[datetime] = None) -> list[dict[str, Any]]:
    """The longest-overdue open deadlines at the end of `date_to` (or now, when that lies in the
    future): case number, committee, days.

    No personal data: no parties, no summary (free text may hold ID or phone numbers).
    """
    from mediation.common.clock import parse_instant

    _, end = period_bounds(date_to, date_to)
    end = min(end, at or clock_now())
    without_jit()
    found = _overdue_at_end(org, end).subquery()
    due_then = func.coalesce(_as_instant(found.c.due_before), _instant_column(Deadline.due_at))
    rows = db.session.execute(
        select(Deadline.kind, Deadline.due_at, found.c.due_before, Dispute.case_number,
               Committee.name.label("committee"))
        .select_from(found).join(Deadline, Deadline.id == found.c.id)
        .join(Dispute, Dispute.id == Deadline.dispute_id).join(Committee, Committee.id == Dispute.committee_id)
        .order_by(due_then, Deadline.id).limit(limit)).all()
    items = []
    for row in rows:
        due = parse_instant(row.due_before) if row.due_before else row.due_at
        items.append({"case_number": row.case_number, "committee": row.committee, "kind": row.kind,
                      "due_at": due.isoformat(), "days_overdue": overdue_days(due, end)})
    return items


# -- the public functions ---------------------------------------------------------------------
def without_jit() -> None:
    """PostgreSQL: no JIT and no generic plans for the rest of this read transaction.

    The deadline reconstruction's correlated sub-selects make the planner's cost estimate cross
    `jit_above_cost`, and compiling the plan then takes seconds while running it takes
    milliseconds (measured: 2.4 s of JIT for 5 ms of execution). And psycopg prepares a statement
    run five times; PostgreSQL may then switch to a generic plan, which cannot use the scope's
    path prefix (`LIKE '/1/4/%'`) and was 10× slower for a county after a city had been computed
    on the same connection (docs/performance.md).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def compute(org: OrgUnit, date_from: date, date_to: date, at: Optional[datetime] = None) -> dict[str, Any]:
    """Every figure of docs/metrics.md for scope `org` and the days [date_from, date_to] (Asia/Shanghai).

    A period that ends in the future is computed as of now (`at`, default the clock): `as_of` says
    which instant; `overdue_open` counts what is overdue then, not deadlines not yet due. Beyond the
    headline figures, `by_level` splits the conclusions by the level of the committee that
    concluded them (village, township, county and above), and `late_entries` says how many
    conclusions of the period were entered late and by how much.
    """
    lo, hi = period_bounds(date_from, date_to)
    as_of = min(hi, at or clock_now())
    without_jit()
    figures: dict[str, Any] = {"org": org.code, "from": date_from.isoformat(), "to": date_to.isoformat(),
                               "as_of": isoformat(as_of)}
    figures.update(_received(org, lo, hi))
    figures.update(_event_figures(org, lo, hi))
    figures["overdue_open"] = overdue_open(org, as_of)
    figures["prevented"] = _prevented(org, lo, hi)
    figures["late_entries"] = _late_entries(org, lo, hi)
    ordered = {k: figures[k] for k in ("org", "from", "to", "as_of", *FIGURES, "by_type", "by_source", "prevented",
                                        "by_level", "late_entries")}
    return ordered


def entered_since(org: OrgUnit, date_from: date, date_to: date, since: datetime) -> int:
    """How many transitions and records dated in the period (event org in S) were entered after
    `since` (a stored snapshot's generated_at): the late entries a recomputation includes."""
    lo, hi = period_bounds(date_from, date_to)
    return int(db.session.scalar(
        select(func.count()).select_from(Event).join(OrgUnit, OrgUnit.id == Event.org_id)
        .where(trail.counted(Event.trigger), Event.occurred_at >= lo, Event.occurred_at < hi,
               Event.recorded_at > since, access.subtree_clause(org))) or 0)


def parse_day(value: Any, field: str, fields: dict[str, list[str]]) -> Optional[date]:
    """A date, or text YYYY-MM-DD; collects a message in `fields` otherwise."""
    if isinstance(value, datetime):
        fields.setdefault(field, []).append("must be a date YYYY-MM-DD")
        return None
    if isinstance(value, date):
        return value
    if value is None or value == "":
        fields.setdefault(field, []).append("is required")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        fields.setdefault(field, []).append("must be a date YYYY-MM-DD")
        return None


def stats_for(org_code: str, date_from: Any, date_to: Any, actor: Optional[User]) -> dict[str, Any]:
    """The figures for an org in the caller's scope (else NotFound) and a valid period (else 422)."""
    fields: dict[str, list[str]] = {}
    start = parse_day(date_from, "from", fields)
    end = parse_day(date_to, "to", fields)
    if start and end:
        if start > end:
            fields["to"] = ["must not lie before from"]
        elif (end - start) >= timedelta(days=MAX_SPAN_DAYS):
            fields["to"] = [f"the period may span at most {MAX_SPAN_DAYS} days"]
    if not isinstance(org_code, str) or not org_code:
        fields["org"] = ["is required"]
    if fields:
        raise ValidationError(fields)
    org = tree.get_org(org_code, actor)
    return compute(org, start, end)


__all__ = ["compute", "entered_since", "stats_for", "most_overdue", "overdue_open", "rate", "money", "FIGURES", "MAX_SPAN_DAYS",
           "LEVEL_GROUPS"]
