"""Deadline reminders (期限提醒) and supervisor escalation (督办), computed from the database alone.

`scan(at)` decides which notifications are due as of `at` and creates them idempotently:

- `due_soon` at each threshold of the handling org's policy (`remind_before_days`, e.g. 3 and 1
  days before due; when a scan sees several crossed at once only the nearest one is sent); a
  threshold not shorter than the deadline's own term (its kind's days in the policy) is skipped
  for that deadline, so a 3-day acceptance deadline gets its 1-day reminder, not a "3 days left"
  one at creation,
- `overdue` once a deadline is past due,
- `supervisor_overdue` `supervisor_after_days` after it, to the supervisors of the handling org
  and its ancestors (one digest email per supervisor and delivery, notifications/delivery.py).

Mediators hear of due_soon and overdue: the assigned (active) mediators, or, before assignment
(or when none of them is active any more), the active mediators of the handling committee.
Judicial-confirmation windows are the parties' right, never overdue: mediators are reminded
before one closes, and once it has passed unused the scan marks it cancelled (lapsed).

The work is set-based: the policies are folded into CASE expressions over the handling org's
materialized path, and each kind is one INSERT … SELECT … ON CONFLICT (dedupe_key) DO NOTHING,
so a scan costs a handful of statements whatever the number of open deadlines. The deadlines
due are gathered first (a MATERIALIZED CTE on PostgreSQL, so that the planner never starts from
the recipients) and only then joined to the people who hear of them. The dedupe key
names the deadline *at its due time* (`overdue:42@202611251600:0:7:email`), so a deadline moved
by an extension is reminded of again, and nothing else is ever created twice, also when two
scans run at once (on PostgreSQL they queue on an advisory lock; the unique key stays the guard).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import aliased

from mediation.common.clock import isoformat
from mediation.common.clock import now as clock_now
from mediation.disputes.policy import CONFIRMATION_DAYS, DEFAULTS
from mediation.extensions import db
from mediation.infra.database import is_postgres, unit_of_work
from mediation.models import Assignment, Committee, Deadline, Dispute, Notification, OrgPolicy, OrgUnit, User
from mediation.models.base import UTCDateTime
from mediation.notifications import notify

KINDS = ("due_soon", "overdue", "supervisor_overdue")
SCAN_LOCK = 0x6D656469  # PostgreSQL advisory lock: one scan at a time
_INSERT_COLUMNS = ("recipient_id", "address", "kind", "channel", "dispute_id", "deadline_id", "dedupe_key", "status",
                   "attempts", "payload", "created_at", "sent_at")


@dataclass
class ScanResult:
    """What one scan did: notifications created per kind, confirmation windows lapsed, emails queued."""

    at: datetime
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    emails_created: int = 0
    lapsed: int = 0
    emails_queued: int = 0
    emails_pending: int = 0

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def as_dict(self) -> dict[str, Any]:
        return {"at": isoformat(self.at), "created": self.total, "by_kind": dict(self.created),
                "emails_created": self.emails_created, "lapsed": self.lapsed, "emails_queued": self.emails_queued,
                "emails_pending": self.emails_pending}


def scan(at: Optional[datetime] = None) -> ScanResult:
    """Creates the reminders and escalations due as of `at` (default now) in one transaction, then
    queues every email row not yet sent (the new ones and any left over from earlier runs)."""
    at = at or clock_now()
    result = ScanResult(at=at)
    with unit_of_work() as session:
        _one_scan_at_a_time(session)
        result.lapsed = _lapse_confirmation_windows(at)
        builder = _Statements(at)
        for kind, targets in (("due_soon", builder.due_soon()), ("overdue", builder.overdue()),
                              ("supervisor_overdue", builder.supervisor_overdue())):
            for _id, channel in session.execute(builder.insert(kind, targets)).all():
                result.created[kind] += 1
                result.emails_created += channel == "email"
    result.emails_queued, result.emails_pending = notify.queue_pending_email()
    return result


def _one_scan_at_a_time(session) -> None:
    """PostgreSQL: a transaction-scoped advisory lock queues concurrent scans (no wasted work, no lock
    waits between their inserts). SQLite: BEGIN IMMEDIATE has serialized the writers already."""
    if is_postgres():
        session.execute(select(func.pg_advisory_xact_lock(SCAN_LOCK)))


def _lapse_confirmation_windows(at: datetime) -> int:
    """司法确认 windows that closed unused are cancelled (lapsed) as of their due time, never overdue."""
    stmt = (update(Deadline).where(Deadline.status == "open", Deadline.kind == "confirmation", Deadline.due_at <= at)
            .values(status="cancelled", cancelled_at=Deadline.due_at).execution_options(synchronize_session=False))
    return db.session.execute(stmt).rowcount or 0


class _Statements:
    """The SQL of one scan as of `at`."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.handling_org = aliased(OrgUnit, name="handling_org")

    # -- policy, folded into SQL ------------------------------------------------------------------
    def _by_policy(self, key: str, expression: Callable[[Any], ColumnElement]) -> ColumnElement:
        """CASE over the handling org's path: `expression(value)` for the nearest org (itself or an
        ancestor) that sets `key`, else for the default (policy inheritance, docs/deadlines.md)."""
        column = getattr(OrgPolicy, key)
        rows = db.session.execute(select(OrgUnit.path, column).join(OrgPolicy, OrgPolicy.org_id == OrgUnit.id)
                                  .where(column.is_not(None)).order_by(OrgUnit.depth.desc(), OrgUnit.id)).all()
        default = expression(DEFAULTS[key])
        if not rows:
            return default
        return case(*[(self.handling_org.path.like(path + "%"), expression(value)) for path, value in rows],
                    else_=default)

    def _max_remind_days(self) -> int:
        values = [DEFAULTS["remind_before_days"]] + list(db.session.scalars(
            select(OrgPolicy.remind_before_days).where(OrgPolicy.remind_before_days.is_not(None))))
        return max(int(day) for days in values for day in days)

    def _term(self) -> ColumnElement:
        """The deadline's own term in days, by kind, under the handling org's policy (acceptance_days,
        mediation_days, follow_up_days; the judicial confirmation window's 30 days fixed by law)."""
        days = lambda d: literal(int(d))  # noqa: E731
        return case((Deadline.kind == "acceptance", self._by_policy("acceptance_days", days)),
                    (Deadline.kind == "mediation", self._by_policy("mediation_days", days)),
                    (Deadline.kind == "follow_up", self._by_policy("follow_up_days", days)),
                    else_=literal(CONFIRMATION_DAYS))

    def _nearest_threshold(self, days: list[int], term: ColumnElement) -> ColumnElement:
        """The smallest threshold already crossed (due within it) and shorter than the deadline's own
        term, or NULL: a threshold not shorter than the term would fire the moment the deadline opens
        (no "3 days left" the minute a 3-day acceptance deadline is created)."""
        return case(*[(and_(Deadline.due_at <= self.at + timedelta(days=int(d)), literal(int(d)) < term),
                       literal(int(d))) for d in sorted(set(days))], else_=null())

    def _open_deadlines(self, *columns: ColumnElement) -> Select:
        org = self.handling_org
        return (select(Deadline.id.label("deadline_id"), Deadline.dispute_id.label("dispute_id"),
                       Deadline.due_at.label("due_at"), Dispute.committee_id.label("committee_id"),
                       org.path.label("org_path"), *columns)
                .join(Dispute, Dispute.id == Deadline.dispute_id)
                .join(Committee, Committee.id == Dispute.committee_id)
                .join(org, org.id == Committee.org_id)
                .where(Deadline.status == "open"))

    # -- who hears of what ------------------------------------------------------------------------
    def due_soon(self) -> Select:
        term = self._term()
        threshold = self._by_policy("remind_before_days", lambda days: self._nearest_threshold(days, term))
        candidates = (self._open_deadlines(threshold.label("threshold"))
                      .where(Deadline.due_at > self.at,
                             Deadline.due_at <= self.at + timedelta(days=self._max_remind_days()),
                             threshold.is_not(None))
                      .cte("due_soon_deadlines").prefix_with("MATERIALIZED", dialect="postgresql"))
        return _mediators_of(candidates)

    def overdue(self) -> Select:
        candidates = (self._open_deadlines(literal(0).label("threshold"))
                      .where(Deadline.due_at <= self.at, Deadline.kind != "confirmation")
                      .cte("overdue_deadlines").prefix_with("MATERIALIZED", dialect="postgresql"))
        return _mediators_of(candidates)

    def supervisor_overdue(self) -> Select:
        after = self._by_policy("supervisor_after_days", lambda days: literal(int(days)))
        cutoff = self._by_policy("supervisor_after_days",
                                 lambda days: literal(self.at - timedelta(days=int(days)), UTCDateTime))
        candidates = (self._open_deadlines(after.label("threshold"))
                      .where(Deadline.due_at <= self.at, Deadline.kind != "confirmation", Deadline.due_at <= cutoff)
                      .cte("escalated_deadlines").prefix_with("MATERIALIZED", dialect="postgresql"))
        return _supervisors_above(candidates)

    # -- the insert -------------------------------------------------------------------------------
    def insert(self, kind: str, targets: Select):
        """INSERT … SELECT one row per target and channel (in_app always, email with an address)
        ON CONFLICT (dedupe_key) DO NOTHING RETURNING (id, channel)."""
        t = targets.subquery("targets")
        channels = union_all(select(literal_column("'in_app'").label("channel")),
                             select(literal_column("'email'").label("channel"))).subquery("channels")
        is_email = channels.c.channel == "email"
        key = (literal_column(f"'{kind}:'") + cast(t.c.deadline_id, String) + literal_column("'@'")
               + _stamp(t.c.due_at) + literal_column("':'") + cast(t.c.threshold, String) + literal_column("':'")
               + cast(t.c.user_id, String) + literal_column("':'") + channels.c.channel)
        existing = aliased(Notification)
        at = literal(self.at, UTCDateTime)
        rows = (select(t.c.user_id, case((is_email, t.c.email), else_=null()), literal_column(f"'{kind}'"),
                       channels.c.channel, t.c.dispute_id, t.c.deadline_id, key,
                       case((is_email, literal_column("'pending'")), else_=literal_column("'sent'")),
                       literal_column("0"), _json_object("threshold_days", t.c.threshold), at,
                       case((is_email, null()), else_=at))
                .select_from(t)
                .join(channels, or_(channels.c.channel == "in_app", and_(t.c.email.is_not(None), t.c.email != "")))
                .where(~exists().where(existing.dedupe_key == key))
                .order_by(key))  # the same order in every scan: concurrent inserts cannot deadlock
        return (notify.insert_ignoring_duplicates().from_select(list(_INSERT_COLUMNS), rows)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(Notification.id, Notification.channel))


def _mediators_of(candidates) -> Select:
    """(candidate…, user_id, email): the assigned active mediators of each candidate's dispute; with
    none, the active mediators of the handling committee."""
    assignment, mediator = aliased(Assignment), aliased(User)
    assigned = (select(*candidates.c, mediator.id.label("user_id"), mediator.email.label("email"))
                .select_from(candidates)
                .join(assignment, and_(assignment.dispute_id == candidates.c.dispute_id,
                                       assignment.ended_at.is_(None)))
                .join(mediator, and_(mediator.id == assignment.mediator_id, mediator.active.is_(True))))
    other, other_user, member = aliased(Assignment), aliased(User), aliased(User)
    has_assignee = (exists().where(other.dispute_id == candidates.c.dispute_id, other.ended_at.is_(None),
                                   other_user.id == other.mediator_id, other_user.active.is_(True)))
    committee = (select(*candidates.c, member.id.label("user_id"), member.email.label("email"))
                 .select_from(candidates)
                 .join(member, and_(member.committee_id == candidates.c.committee_id, member.role == "mediator",
                                    member.active.is_(True)))
                 .where(~has_assignee))
    return union_all(assigned, committee)


def _supervisors_above(candidates) -> Select:
    """(candidate…, user_id, email): active supervisors whose org is the handling org or an ancestor."""
    supervisor, org = aliased(User), aliased(OrgUnit)
    return (select(*candidates.c, supervisor.id.label("user_id"), supervisor.email.label("email"))
            .select_from(candidates)
            .join(supervisor, and_(supervisor.role == "supervisor", supervisor.active.is_(True)))
            .join(org, org.id == supervisor.org_id)
            .where(candidates.c.org_path.like(org.path + "%")))


def _stamp(due_at) -> ColumnElement:
    """The due time as YYYYMMDDHHMM (UTC), the deadline's version inside the dedupe key."""
    if is_postgres():
        return func.to_char(func.timezone("UTC", due_at), "YYYYMMDDHH24MI")
    return func.strftime("%Y%m%d%H%M", due_at)


def _json_object(key: str, value) -> ColumnElement:
    name = literal_column(f"'{key}'")
    return func.json_build_object(name, value) if is_postgres() else func.json_object(name, value)
