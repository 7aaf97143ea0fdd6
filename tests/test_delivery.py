"""Email delivery through a real SMTP server on loopback: content, locale, masking, digests, retries,
permanent failures, outages, the outbox files and risk alerts."""
from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mediation.common.errors import Forbidden
from mediation.disputes import cases
from mediation.extensions import db
from mediation.models import Notification
from mediation.notifications import delivery, notify, reminders
from tests.factories import VALID_IDS
from tests.live import DAY, T0, MailSink, open_deadline, registered, rows, subject, text_of, use_smtp

SECRET_SUMMARY = f"张三（身份证 {VALID_IDS[1]}，电话 13912345678）与李四相邻通行纠纷"
RAW_PERSONAL = [VALID_IDS[0], VALID_IDS[1], "13800138000", "13912345678"]


@pytest.fixture
def sink(app, monkeypatch):
    with MailSink().running() as running:
        use_smtp(app, monkeypatch, running)
        yield running


def pending_email(**where) -> list[int]:
    return [n.id for n in rows(channel="email", status="pending", **where)]


def overdue_case(world, **overrides):
    """A dispute whose acceptance deadline passed two hours ago, scanned: overdue rows for m1 and m1b."""
    d = registered(world, summary=SECRET_SUMMARY, **overrides)
    due = open_deadline(d, "acceptance").due_at
    reminders.scan(due + timedelta(hours=2))
    return d, due


def test_overdue_email_in_chinese_with_case_deadline_and_link_and_no_personal_data(world, sink):
    d, due = overdue_case(world)
    ids = pending_email(dispute_id=d.id)
    report = delivery.deliver_many(ids, at=due + timedelta(hours=2))
    assert sorted(report.sent) == sorted(ids) and not report.retry and not report.failed

    [message] = sink.to(world.m1.email)
    text = text_of(message)
    assert d.case_number in subject(message) and "逾期" in subject(message)
    local_due = (due + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")  # Asia/Shanghai
    assert "受理期限" in text and local_due in text and "已逾期：1 天" in text
    assert f"http://mediation.test/disputes/{d.id}" in text
    assert "3301**********0018" in text and "139****5678" in text  # the summary, redacted
    for raw in RAW_PERSONAL:
        assert raw not in text and raw not in message.as_string()
    assert message.get_body(("html",)) is not None and message["Auto-Submitted"] == "auto-generated"

    for n in rows(dispute_id=d.id, channel="email"):
        assert n.status == "sent" and n.attempts == 1 and n.sent_at == due + timedelta(hours=2)


def test_english_for_users_whose_locale_is_en(world, sink):
    world.m1.locale = "en"
    db.session.flush()
    d = registered(world)
    due = open_deadline(d, "acceptance").due_at
    reminders.scan(due - DAY + timedelta(hours=1))
    delivery.deliver_many(pending_email(dispute_id=d.id), at=due - DAY + timedelta(hours=1))
    [english] = sink.to(world.m1.email)
    [chinese] = sink.to(world.m1b.email)
    assert subject(english).startswith("[Reminder]") and "acceptance deadline in 1 day(s)" in subject(english)
    assert "Days left: 1" in text_of(english) and "Beijing time" in text_of(english)
    assert subject(chinese).startswith("【期限提醒】") and "还剩 1 天" in subject(chinese)


def test_a_supervisor_gets_one_digest_listing_every_overdue_dispute(world, sink):
    cases = [registered(world, committee) for committee in (world.cv1, world.cv2, world.ct1)]
    due = T0 + 3 * DAY
    reminders.scan(due + DAY + timedelta(hours=1))  # overdue and escalated in the same run
    s_t1 = [n for n in rows(kind="supervisor_overdue", recipient_id=world.s_t1.id)]
    assert len([n for n in s_t1 if n.channel == "in_app"]) == 3  # one in-app row per dispute

    delivery.deliver_many(pending_email(kind="supervisor_overdue"))
    for supervisor in (world.s_t1, world.s_co, world.s_city):
        [digest] = sink.to(supervisor.email)
        text = text_of(digest)
        assert "3 件" in subject(digest)
        assert all(c.case_number in text and f"/disputes/{c.id}" in text for c in cases)
    assert sink.to(world.s_t2.email) == []
    assert all(n.status == "sent" for n in rows(kind="supervisor_overdue", channel="email"))


def test_smtp_refusal_451_then_acceptance_delivers_exactly_once(world, sink):
    d, due = overdue_case(world)
    ids = pending_email(dispute_id=d.id)
    sink.replies = ["451 4.3.0 Mailbox busy, try again later"]
    first = delivery.deliver_many(ids)
    assert len(first.sent) == 1 and len(first.retry) == 1 and not first.outage
    [refused] = [db.session.get(Notification, i) for i in first.retry]
    assert refused.status == "pending" and refused.attempts == 1 and refused.last_error.startswith("451")

    second = delivery.deliver_many(ids)  # the retry: only the refused row is still pending
    assert second.sent == first.retry and sorted(second.skipped) == sorted(first.sent)
    assert delivery.deliver_many(ids).sent == []  # a third run sends nothing
    assert sorted(sink.per_notification().values()) == [1, 1] and sink.refused == 1
    db.session.expire_all()
    assert db.session.get(Notification, refused.id).attempts == 2


def test_permanent_refusal_fails_at_once_and_administrators_see_it(world, sink):
    d, _ = overdue_case(world)
    first, second = pending_email(dispute_id=d.id)
    sink.replies = ["550 5.1.1 No such user"]
    report = delivery.deliver_many([first])
    assert report.failed == [first]
    failed = db.session.get(Notification, first)
    assert failed.status == "failed" and failed.attempts == 1 and "550" in failed.last_error

    listed = notify.failed_notifications(world.admin)
    assert first in [n.id for n in listed["items"]] and second not in [n.id for n in listed["items"]]
    with pytest.raises(Forbidden):
        notify.failed_notifications(world.m1)
    assert first not in pending_email()  # scans queue pending rows only: a failed one stays failed
    assert delivery.deliver(first) is False and sink.messages == []


def test_gives_up_after_the_last_attempt(world, sink, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    d, _ = overdue_case(world)
    nid = pending_email(dispute_id=d.id)[0]
    sink.replies = ["451 try later", "452 insufficient storage"]
    assert delivery.deliver_many([nid]).retry == [nid]
    assert delivery.deliver_many([nid]).failed == [nid]
    row = db.session.get(Notification, nid)
    assert (row.status, row.attempts) == ("failed", 2) and row.last_error.startswith("452")
    assert sink.messages == []


def test_an_unreachable_server_costs_no_attempt_and_keeps_the_rows_pending(world, app, monkeypatch):
    down = MailSink()  # never started: nothing listens on its port
    use_smtp(app, monkeypatch, down)
    d, _ = overdue_case(world)
    ids = pending_email(dispute_id=d.id)
    report = delivery.deliver_many(ids)
    assert report.outage and sorted(report.retry) == sorted(ids) and not report.sent
    for nid in ids:
        row = db.session.get(Notification, nid)
        assert row.status == "pending" and row.attempts == 0 and "unavailable" in row.last_error

    with down.running():  # the server is back: the next delivery sends each once
        assert sorted(delivery.deliver_many(ids).sent) == sorted(ids)
        assert sorted(down.per_notification()) == sorted(ids)


def test_deliver_inline_is_idempotent(world, sink):
    d, _ = overdue_case(world)
    nid = pending_email(dispute_id=d.id)[0]
    assert delivery.deliver(nid) is True
    assert delivery.deliver(nid) is True  # already sent: nothing goes out again
    assert sink.per_notification() == {nid: 1}
    in_app = rows(dispute_id=d.id, channel="in_app")[0].id
    assert delivery.deliver(in_app) is False


def test_without_mail_server_each_email_is_a_file_in_the_outbox(world, app):
    assert app.config["MAIL_BACKEND"] == "file"
    outbox = Path(app.config["MAIL_FILE_PATH"])
    before = set(outbox.glob("*")) if outbox.exists() else set()
    d, _ = overdue_case(world)
    ids = pending_email(dispute_id=d.id)
    assert sorted(delivery.deliver_many(ids).sent) == sorted(ids)
    assert delivery.deliver_many(ids).skipped == ids  # a run with nothing to send leaves nothing either
    files = set(outbox.glob("*")) - before
    assert len(files) == len(ids) and not list(outbox.glob(".*.tmp"))
    assert {f.suffix for f in files} == {".eml"} and all(f.stat().st_size > 0 for f in files)  # only messages
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["To"] for m in parsed} == {world.m1.email, world.m1b.email}
    assert all(d.case_number in m["Subject"] for m in parsed)


def test_raising_a_dispute_to_red_alerts_the_supervisors_above_at_once(world, sink):
    quiet = registered(world, world.cv3, summary=SECRET_SUMMARY)
    assert rows(dispute_id=quiet.id) == []
    raised = cases.update_dispute(quiet.id, {"version": quiet.version, "risk_level": "red"})
    alerts = rows(dispute_id=quiet.id, kind="risk_alert")
    assert {n.recipient_id for n in alerts} == {world.s_t2.id, world.s_co.id, world.s_city.id}
    assert {n.channel for n in alerts} == {"in_app", "email"} and len(alerts) == 6

    cases.update_dispute(quiet.id, {"version": raised.version, "summary": "新的摘要"})  # still red: no alert
    assert len(rows(dispute_id=quiet.id, kind="risk_alert")) == 6

    red_at_intake = registered(world, world.cv1, risk_level="red")
    assert {n.recipient_id for n in rows(dispute_id=red_at_intake.id, kind="risk_alert")} == {
        world.s_t1.id, world.s_co.id, world.s_city.id}

    delivery.deliver_many(pending_email(kind="risk_alert", dispute_id=quiet.id))
    [alert] = sink.to(world.s_t2.email)
    assert "风险预警" in subject(alert) and quiet.case_number in subject(alert)
    for raw in RAW_PERSONAL:
        assert raw not in text_of(alert)


def test_red_again_after_lowering_alerts_again(world):
    d = registered(world, world.cv3, risk_level="red")
    d = cases.update_dispute(d.id, {"version": d.version, "risk_level": "yellow"})
    cases.update_dispute(d.id, {"version": d.version, "risk_level": "red"})
    in_app = rows(dispute_id=d.id, kind="risk_alert", channel="in_app", recipient_id=world.s_t2.id)
    assert len(in_app) == 2


def test_weekly_report_rows_are_built_by_the_report_email(world, sink):
    from mediation.common.clock import previous_week
    from mediation.reports import weekly

    week = previous_week(T0 + 10 * DAY)
    weekly.send_weekly(world.t1.code, week, at=T0 + 10 * DAY)
    weekly = rows(kind="weekly_report", channel="email", status="pending")
    assert weekly
    assert all(delivery.deliver(n.id) for n in weekly)
    [report] = sink.to(world.s_t1.email)
    assert week in subject(report)
    assert any(part.get_filename() and part.get_filename().endswith(".xlsx") for part in report.walk())


def test_failed_rows_are_not_queued_again(world, sink):
    d, _ = overdue_case(world)
    nid = pending_email(dispute_id=d.id)[0]
    sink.replies = ["554 5.7.1 rejected"]
    delivery.deliver_many([nid])
    _, pending = notify.queue_pending_email()
    assert db.session.scalar(select(Notification.status).where(Notification.id == nid)) == "failed"
    assert pending == len(pending_email()) and nid not in pending_email()


def test_an_administrator_can_retry_failed_notifications(world, sink, runner):
    d, _ = overdue_case(world)
    nid = pending_email(dispute_id=d.id)[0]
    sink.replies = ["550 5.1.1 No such user"]
    delivery.deliver_many([nid])
    with pytest.raises(Forbidden):
        notify.retry_failed(world.m1)
    listed = runner.invoke(args=["reminders", "failed"])
    assert listed.exit_code == 0 and f"{nid}\toverdue" in listed.output and "550" in listed.output
    again = runner.invoke(args=["reminders", "retry-failed", "--id", str(nid)])
    assert again.exit_code == 0 and "1 failed notification(s) pending again" in again.output
    row = db.session.get(Notification, nid)
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("pending", 0) and "550" in row.last_error
    assert delivery.deliver(nid) is True and sink.per_notification() == {nid: 1}
