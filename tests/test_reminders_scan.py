"""The reminder scan: thresholds, overdue, supervisor escalation, lapsed confirmation windows, dedupe."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event

from mediation.disputes import policy
from mediation.extensions import db
from mediation.models import Deadline, Notification, User
from mediation.notifications import reminders
from tests.factories import fire
from tests.live import DAY, T0, in_mediation, open_deadline, registered, rows


def keyed(found: list[Notification]) -> Counter:
    """(kind, recipient username, channel) → how many."""
    return Counter((n.kind, _username(n.recipient_id), n.channel) for n in found)


def _username(user_id: int) -> str:
    return db.session.get(User, user_id).username


def test_no_reminder_at_creation_a_threshold_as_long_as_the_term_is_skipped(world):
    """A 3-day acceptance deadline: "3 days left" would fire the moment it opens, so only the
    1-day threshold reminds (to the committee, before assignment)."""
    d = registered(world)
    due = open_deadline(d, "acceptance").due_at
    assert due == T0 + 3 * DAY

    assert reminders.scan(T0 + timedelta(minutes=1)).total == 0  # at creation: nothing
    assert reminders.scan(due - 3 * DAY + timedelta(hours=1)).total == 0  # the 3-day threshold is skipped
    first = reminders.scan(due - DAY + timedelta(minutes=5))  # the 1-day threshold
    assert first.created == {"due_soon": 4, "overdue": 0, "supervisor_overdue": 0}
    assert first.emails_created == 2
    found = rows(dispute_id=d.id)
    assert keyed(found) == Counter({("due_soon", world.m1.username, "in_app"): 1,
                                    ("due_soon", world.m1.username, "email"): 1,
                                    ("due_soon", world.m1b.username, "in_app"): 1,
                                    ("due_soon", world.m1b.username, "email"): 1})
    assert {n.payload["threshold_days"] for n in found} == {1}
    assert all(n.status == "sent" and n.sent_at is not None for n in found if n.channel == "in_app")
    assert all(n.status == "pending" and n.sent_at is None and n.address for n in found if n.channel == "email")
    assert reminders.scan(due - timedelta(hours=1)).total == 0
    assert len(rows(dispute_id=d.id)) == 4


def test_due_soon_at_each_threshold_shorter_than_the_term(world):
    """The 30-day mediation deadline hears of both thresholds, each once."""
    d = in_mediation(world)
    due = open_deadline(d, "mediation").due_at
    first = reminders.scan(due - 3 * DAY + timedelta(hours=1))
    assert first.created["due_soon"] == 2  # m1, in-app and email
    assert reminders.scan(due - 2 * DAY).total == 0  # same threshold, nothing new
    assert reminders.scan(due - DAY + timedelta(minutes=5)).created["due_soon"] == 2
    assert {n.payload["threshold_days"] for n in rows(dispute_id=d.id)} == {3, 1}
    assert len(rows(dispute_id=d.id)) == 4


def test_a_longer_acceptance_term_gets_its_three_day_reminder(world):
    policy.set_policy(world.v1, {"acceptance_days": 5})
    d = registered(world)
    due = open_deadline(d, "acceptance").due_at
    assert due == T0 + 5 * DAY
    assert reminders.scan(due - 3 * DAY + timedelta(hours=1)).created["due_soon"] == 4
    assert {n.payload["threshold_days"] for n in rows(dispute_id=d.id)} == {3}


def test_a_late_scan_sends_only_the_nearest_threshold(world):
    d = registered(world)
    due = open_deadline(d, "acceptance").due_at
    result = reminders.scan(due - timedelta(hours=5))  # both thresholds crossed since the last scan
    assert result.created["due_soon"] == 4
    assert {n.payload["threshold_days"] for n in rows(dispute_id=d.id)} == {1}


def test_assigned_mediators_hear_not_the_whole_committee(world):
    d = in_mediation(world)
    due = open_deadline(d, "mediation").due_at
    assert due == T0 + timedelta(hours=1) + 30 * DAY
    reminders.scan(due - 2 * DAY)
    assert keyed(rows(dispute_id=d.id)) == Counter({("due_soon", world.m1.username, "in_app"): 1,
                                                    ("due_soon", world.m1.username, "email"): 1})


def test_inactive_assignee_falls_back_to_the_committee(world):
    d = in_mediation(world)
    world.m1.active = False
    db.session.flush()
    reminders.scan(open_deadline(d, "mediation").due_at - 2 * DAY)
    assert {_username(n.recipient_id) for n in rows(dispute_id=d.id)} == {world.m1b.username}


def test_overdue_then_supervisors_of_the_handling_org_and_its_ancestors(world):
    d = registered(world)
    due = open_deadline(d, "acceptance").due_at
    late = reminders.scan(due + timedelta(hours=2))
    assert late.created == {"due_soon": 0, "overdue": 4, "supervisor_overdue": 0}
    assert reminders.scan(due + DAY - timedelta(minutes=1)).total == 0  # supervisor_after_days = 1

    escalated = reminders.scan(due + DAY)
    assert escalated.created == {"due_soon": 0, "overdue": 0, "supervisor_overdue": 6}
    supervisors = {_username(n.recipient_id) for n in rows(kind="supervisor_overdue", dispute_id=d.id)}
    assert supervisors == {world.s_t1.username, world.s_co.username, world.s_city.username}  # not s_t2
    assert reminders.scan(due + 5 * DAY).total == 0
    assert len(rows(dispute_id=d.id)) == 10


def test_policy_of_the_nearest_org_decides_thresholds_and_escalation(world):
    # a 5-day reminder needs a longer term than 5 days (else it is skipped): t1 gives 7 days from
    # receipt of a case in the township; v1 and v2 inherit both
    policy.set_policy(world.t1, {"remind_before_days": [5], "supervisor_after_days": 3, "acceptance_days": 7})
    policy.set_policy(world.v1, {"supervisor_after_days": 2})  # v1 inherits t1's reminders, sets its own delay
    in_v1 = registered(world, world.cv1, at=T0 - 4 * DAY)
    in_v2 = registered(world, world.cv2, at=T0 - 4 * DAY)
    in_v3 = registered(world, world.cv3)  # t2: the defaults
    due = T0 + 3 * DAY
    assert open_deadline(in_v1, "acceptance").due_at == due == open_deadline(in_v3, "acceptance").due_at

    ours = {in_v1.id, in_v2.id, in_v3.id}

    def disputes_with(kind: str) -> set[int]:
        return {n.dispute_id for n in rows(kind=kind) if n.dispute_id in ours}

    reminders.scan(due - 4 * DAY + timedelta(hours=2))  # 3 days 22 hours left: only the 5-day policy reminds
    assert disputes_with("due_soon") == {in_v1.id, in_v2.id}
    assert {n.payload["threshold_days"] for n in rows(kind="due_soon") if n.dispute_id in ours} == {5}

    reminders.scan(due + 2 * DAY)
    assert disputes_with("supervisor_overdue") == {in_v1.id, in_v3.id}
    reminders.scan(due + 3 * DAY)
    assert disputes_with("supervisor_overdue") == {in_v1.id, in_v2.id, in_v3.id}


def test_users_without_email_get_in_app_only(world):
    world.m1b.email = None
    db.session.flush()
    d = registered(world)
    reminders.scan(open_deadline(d, "acceptance").due_at + timedelta(hours=1))
    assert keyed(rows(dispute_id=d.id)) == Counter({("overdue", world.m1.username, "in_app"): 1,
                                                    ("overdue", world.m1.username, "email"): 1,
                                                    ("overdue", world.m1b.username, "in_app"): 1})


def test_confirmation_window_is_reminded_then_lapses_never_overdue(world):
    d = in_mediation(world)
    agreed = T0 + 2 * DAY
    d = fire(d, "reach_agreement", occurred_at=agreed.isoformat(), form="written", terms="赔偿", amount="100.00")
    window = open_deadline(d, "confirmation")
    assert window.due_at == agreed + 30 * DAY

    reminders.scan(window.due_at - DAY + timedelta(hours=1))
    reminded = rows(deadline_id=window.id)
    assert reminded and {n.kind for n in reminded} == {"due_soon"}

    result = reminders.scan(window.due_at + 3 * DAY)
    assert result.lapsed == 1
    db.session.expire_all()
    lapsed = db.session.get(Deadline, window.id)
    assert lapsed.status == "cancelled" and lapsed.cancelled_at == window.due_at
    assert {n.kind for n in rows(deadline_id=window.id)} == {"due_soon"}  # never overdue nor escalated
    follow_up = open_deadline(d, "follow_up")  # due earlier (agreed + 15 days): overdue and escalated
    assert {n.kind for n in rows(deadline_id=follow_up.id)} == {"overdue", "supervisor_overdue"}
    assert reminders.scan(window.due_at + 4 * DAY).lapsed == 0


def test_an_extended_deadline_is_reminded_again(world):
    d = in_mediation(world)
    due = open_deadline(d, "mediation").due_at
    reminders.scan(due + timedelta(hours=1))
    assert len(rows(dispute_id=d.id, kind="overdue")) == 2
    d = fire(d, "extend", occurred_at=(due + timedelta(hours=2)).isoformat(), days=10)
    moved = open_deadline(d, "mediation").due_at
    assert moved == due + 10 * DAY
    assert reminders.scan(due + 3 * DAY).total == 0  # not overdue any more
    reminders.scan(moved + timedelta(hours=1))
    assert len(rows(dispute_id=d.id, kind="overdue")) == 4  # the new due time is a new reminder


def test_met_and_cancelled_deadlines_are_left_alone(world):
    d = registered(world)
    fire(d, "reject", occurred_at=(T0 + DAY).isoformat())
    assert reminders.scan(T0 + 40 * DAY).total == 0
    assert rows(dispute_id=d.id) == []


def test_a_scan_is_a_fixed_number_of_statements_whatever_the_number_of_deadlines(world):
    """Set-based: the statement count does not grow with the number of open deadlines."""
    def statements_for_scan(at) -> int:
        seen = []
        engine = db.session.get_bind().engine

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            reminders.scan(at)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    registered(world)
    few = statements_for_scan(T0 + 10 * DAY)
    for i in range(12):
        registered(world, world.cv2 if i % 2 else world.cv3, at=T0 + timedelta(days=20))
    many = statements_for_scan(T0 + 30 * DAY)
    assert len(rows(kind="overdue")) > 20
    assert many == few


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00"])
def test_cli_refuses_a_bad_time(runner, value):
    result = runner.invoke(args=["reminders", "scan", "--now", value])
    assert result.exit_code == 2 and "--now" in result.output


def test_cli_scan_prints_what_it_created_and_creates_nothing_twice(runner, world):
    d = registered(world)
    now = (open_deadline(d, "acceptance").due_at + timedelta(hours=1)).isoformat()
    first = runner.invoke(args=["reminders", "scan", "--now", now])
    assert first.exit_code == 0, first.output
    assert "created 4 notification(s)" in first.output and "overdue 4" in first.output
    assert "queued 0 email(s)" in first.output  # Celery is off in this app: they stay pending
    again = runner.invoke(args=["reminders", "scan", "--now", now])
    assert again.exit_code == 0 and "created 0 notification(s)" in again.output
    assert len(rows(dispute_id=d.id)) == 4
