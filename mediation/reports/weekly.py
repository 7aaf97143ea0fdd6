"""Weekly Fengqiao reports (枫桥经验周报): the snapshot archive, its subscribers and its sending.

A week's figures are computed once, on the first request after the week is over, and kept in
ReportSnapshot (unique per org and ISO week) as the archive the bureau reported; later requests
read the stored figures, which never change. Entries made later for that week (back-dated paper
records, withdrawals) are counted by a recomputation, and the answer says how many there are
(`late_since_snapshot`). A week not yet over is computed fresh each time (as of now) and not stored.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mediation.common import access
from mediation.common.clock import isoformat, parse_week, period_bounds
from mediation.common.clock import now as clock_now
from mediation.common.errors import Conflict, NotFound, ValidationError
from mediation.common.validation import load
from mediation.extensions import db
from mediation.infra import jobs
from mediation.infra.database import unit_of_work
from mediation.models import OrgUnit, ReportSnapshot, ReportSubscription, User
from mediation.notifications import notify
from mediation.orgs import tree
from mediation.reports import statistics
from mediation.reports.schemas import SubscriptionIn


def _week_bounds(week: Any) -> tuple:
    try:
        return parse_week(week if isinstance(week, str) else "")
    except ValueError as exc:
        raise ValidationError({"week": [str(exc)]}) from None


def snapshot_dict(snapshot: ReportSnapshot, org: OrgUnit) -> dict[str, Any]:
    """A stored snapshot as the API shows it, with the number of entries for its week made since."""
    return {"id": snapshot.id, "org": org.code, "org_name": org.name, "week": snapshot.week,
            "from": snapshot.period_from.isoformat(), "to": snapshot.period_to.isoformat(),
            "metrics": snapshot.metrics, "generated_at": isoformat(snapshot.generated_at),
            "sent_at": isoformat(snapshot.sent_at), "final": True,
            "late_since_snapshot": statistics.entered_since(org, snapshot.period_from, snapshot.period_to,
                                                            snapshot.generated_at)}


def compute_metrics(org: OrgUnit, monday, sunday, at: Optional[datetime] = None) -> dict[str, Any]:
    """The figures of the week plus the most overdue open cases at its end, or now while it runs
    (for the email)."""
    metrics = statistics.compute(org, monday, sunday, at=at)
    metrics["most_overdue"] = statistics.most_overdue(org, sunday, at=at)
    return metrics


def _stored(org: OrgUnit, week: str) -> Optional[ReportSnapshot]:
    return db.session.scalar(select(ReportSnapshot).where(ReportSnapshot.org_id == org.id,
                                                          ReportSnapshot.week == week))


def ensure_snapshot(org: OrgUnit, week: str, at: Optional[datetime] = None) -> ReportSnapshot:
    """The stored snapshot of a finished week, computed and stored on first use.

    Two first requests at once: the loser's insert fails on the unique (org, week) inside a
    savepoint and it reads the winner's row instead.
    """
    monday, sunday = _week_bounds(week)
    now = at or clock_now()
    if period_bounds(monday, sunday)[1] > now:
        raise ValidationError({"week": [f"{week} is not over yet"]})
    found = _stored(org, week)
    if found is not None:
        return found
    metrics = compute_metrics(org, monday, sunday, at=now)
    with unit_of_work() as session:
        snapshot = ReportSnapshot(org_id=org.id, week=week, period_from=monday, period_to=sunday, metrics=metrics,
                                  generated_at=now)
        try:
            with session.begin_nested():
                session.add(snapshot)
                session.flush()
        except IntegrityError:
            snapshot = _stored(org, week)
    return snapshot


def weekly_snapshot(org_code: str, week: str, actor: Optional[User], at: Optional[datetime] = None,
                    recompute: bool = False) -> dict[str, Any]:
    """That week's report for an org in scope: {org, week, from, to, metrics, generated_at, sent_at,
    late_since_snapshot}.

    A finished week is computed and stored on the first request and read back afterwards (never
    changed); `recompute` adds `recomputed`, the figures computed afresh, which include the
    `late_since_snapshot` entries made for the week since. The current week is computed fresh as of
    now (`final` false) and not stored; a week not yet begun is refused.
    """
    monday, sunday = _week_bounds(week)
    org = tree.get_org(org_code, actor)
    now = at or clock_now()
    lo, hi = period_bounds(monday, sunday)
    if lo > now:
        raise ValidationError({"week": [f"{week} has not begun"]})
    if hi > now:
        return {"id": None, "org": org.code, "org_name": org.name, "week": week, "from": monday.isoformat(),
                "to": sunday.isoformat(), "metrics": compute_metrics(org, monday, sunday, at=now),
                "generated_at": isoformat(now), "sent_at": None, "final": False, "late_since_snapshot": 0}
    answer = snapshot_dict(ensure_snapshot(org, week, now), org)
    if recompute:
        answer["recomputed"] = compute_metrics(org, monday, sunday, at=now)
    return answer


def previous_week_of(week: str) -> str:
    """`2026-W01` → `2025-W52` (or W53)."""
    monday, _ = _week_bounds(week)
    earlier = monday - timedelta(days=7)
    year, number, _ = earlier.isocalendar()
    return f"{year}-W{number:02d}"


# -- subscriptions ------------------------------------------------------------------------------
def subscription_dict(row: ReportSubscription, org: OrgUnit) -> dict[str, Any]:
    return {"id": row.id, "org": org.code, "email": row.email, "created_at": isoformat(row.created_at)}


def add_subscription(org_code: str, email: str, actor: Optional[User]) -> dict[str, Any]:
    """Adds an address to an org's weekly report (admin, or supervisor within scope)."""
    access.require_manager(actor)
    clean = load(SubscriptionIn(), {"org": org_code, "email": email})
    address = clean["email"].lower()
    org = tree.get_org(clean["org"], actor)
    access.require_manager(actor, org)
    try:
        with unit_of_work() as session:
            row = ReportSubscription(org_id=org.id, email=address)
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{address} already receives the weekly report of {org.code}", field="email") from None
    return subscription_dict(row, org)


def list_subscriptions(actor: Optional[User], org: Optional[str] = None, page: int = 1,
                       per_page: int = 50) -> dict[str, Any]:
    """The added addresses in the caller's scope (optionally one org's subtree)."""
    access.require_manager(actor)
    query = (select(ReportSubscription, OrgUnit).join(OrgUnit, OrgUnit.id == ReportSubscription.org_id)
             .where(access.orgs_clause(actor)))
    if org:
        query = query.where(access.subtree_clause(tree.get_org(org, actor)))
    query = query.order_by(OrgUnit.path, ReportSubscription.email)
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 50), 1), 200)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [subscription_dict(sub, unit) for sub, unit in rows], "total": total, "page": page,
            "per_page": per_page}


def remove_subscription(subscription_id: int, actor: Optional[User]) -> None:
    """Removes an added address (NotFound when there is none in the caller's scope)."""
    access.require_manager(actor)
    with unit_of_work() as session:
        row = session.get(ReportSubscription, subscription_id) if isinstance(subscription_id, int) else None
        org = session.get(OrgUnit, row.org_id) if row is not None else None
        if row is None or not access.org_in_scope(actor, org):
            raise NotFound("no such subscription")
        session.delete(row)


def subscribers(org: OrgUnit) -> list[dict[str, Any]]:
    """Who receives the org's weekly report: its supervisors with an email, then the added
    addresses; one entry per address (lower-cased)."""
    out: dict[str, dict[str, Any]] = {}
    supervisors = db.session.scalars(select(User).where(User.role == "supervisor", User.org_id == org.id,
                                                        User.active.is_(True), User.email.is_not(None))
                                     .order_by(User.id))
    for user in supervisors:
        if user.email:
            out.setdefault(user.email.strip().lower(), {"recipient_id": user.id, "address": user.email.strip(),
                                                        "locale": "en" if (user.locale or "").startswith("en") else "zh"})
    for address in db.session.scalars(select(ReportSubscription.email).where(ReportSubscription.org_id == org.id)
                                      .order_by(ReportSubscription.id)):
        out.setdefault(address.lower(), {"recipient_id": None, "address": address, "locale": "zh"})
    return list(out.values())


def orgs_with_subscribers() -> list[str]:
    """Codes of the orgs whose weekly report somebody receives."""
    supervised = select(User.org_id).where(User.role == "supervisor", User.active.is_(True),
                                           User.email.is_not(None), User.org_id.is_not(None))
    added = select(ReportSubscription.org_id)
    return list(db.session.scalars(select(OrgUnit.code).where(OrgUnit.id.in_(supervised.union(added)))
                                   .order_by(OrgUnit.path)))


def send_weekly(org_code: str, week: str, at: Optional[datetime] = None) -> int:
    """Queues the week's report to each subscriber of the org; returns how many were new.

    One email Notification per subscriber with dedupe key `weekly:<org>:<week>:<address>`, so each
    subscriber gets it at most once per org and week, however often this runs. The message is
    rendered here, once per language, before the rows are queued: delivery only sends it.
    """
    from mediation.reports.weekly_email import prepare_weekly_email  # lazily: charts and spreadsheets

    org = tree.get_org(org_code, None)
    now = at or clock_now()
    snapshot = ensure_snapshot(org, week, now)
    people = subscribers(org)
    if not people:
        return 0
    previous = ensure_snapshot(org, previous_week_of(week), now)
    prepared = {locale: prepare_weekly_email(snapshot, previous, org, locale)
                for locale in sorted({s["locale"] for s in people})}
    with unit_of_work() as session:
        rows = [{"recipient_id": s["recipient_id"], "address": s["address"], "kind": "weekly_report",
                 "channel": "email", "dedupe_key": jobs.weekly_key(org.code, week, s["address"]),
                 "payload": {"snapshot_id": snapshot.id, "prepared_id": prepared[s["locale"]]}}
                for s in people]
        created = notify.create_notifications(rows)
        if created:
            snapshot = session.get(ReportSnapshot, snapshot.id)
            if snapshot.sent_at is None:
                snapshot.sent_at = now
        notify.queue_email(created)
    return len(created)


def send_previous_week(at: Optional[datetime] = None) -> dict[str, int]:
    """The Monday job: the previous ISO week's report to every org with subscribers.

    Each org is its own transaction; one that fails does not stop the others, and the failures
    are raised together at the end.
    """
    from mediation.common.clock import previous_week

    now = at or clock_now()
    week = previous_week(now)
    sent: dict[str, int] = {}
    failures: list[tuple[str, Exception]] = []
    for code in orgs_with_subscribers():
        try:
            sent[code] = send_weekly(code, week, at=now)
        except Exception as exc:  # noqa: BLE001 - collected and raised below
            failures.append((code, exc))
    if failures:
        raise RuntimeError("weekly report failed for " + ", ".join(f"{c}: {e!r}" for c, e in failures)) \
            from failures[0][1]
    return sent
