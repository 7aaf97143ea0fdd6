"""Operations fail loudly and only when something failed (issue 15, point 6): recorded job runs,
alerts to administrators after two failures in a row, /healthz's degraded state, `doctor`, and
`reports weekly --send` racing the email worker for the same rows."""
from __future__ import annotations

import email
import email.policy
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from mediation.common.clock import LOCAL
from mediation.extensions import db
from mediation.models import JobRun, Notification
from mediation.notifications import delivery, reminders
from mediation.reports import weekly
from mediation.tasks import scan_reminders, send_weekly_reports
from tests.live import MailSink, app_context, free_port, live_app

WEEK = "2026-W41"
MONDAY_AFTER = datetime(2026, 10, 12, 8, 0, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def own_celery(app):
    """The tasks below are called directly: they run in the Flask app of the current Celery app, and
    every create_app (test_migrations', test_faults') makes its own Celery app the current one."""
    celery = app.extensions["celery"]
    celery.set_current()
    celery.set_default()


def runs(job: str) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def alerts(channel: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == "job_failed").order_by(Notification.id)
    if channel:
        query = query.where(Notification.channel == channel)
    return list(db.session.scalars(query))


@pytest.fixture
def broken_scan(monkeypatch):
    """The scan fails as it did when a policy held a JSON null (fault injected at the service)."""
    def scan(at=None):
        raise TypeError("'<' not supported between instances of 'NoneType' and 'int'")

    monkeypatch.setattr(reminders, "scan", scan)


# -- job runs ---------------------------------------------------------------------------------------
def test_each_scan_is_recorded_with_its_counts(world):
    result = scan_reminders(now=datetime(2026, 11, 23, 9, tzinfo=LOCAL).isoformat())
    [run] = runs("reminder_scan")
    assert run.succeeded and run.error is None and run.finished_at >= run.started_at
    assert run.counts == result and run.counts["created"] == 0
    assert alerts() == []


def test_the_weekly_job_is_recorded_too(world):
    weekly.add_subscription(world.v3.code, "village@bureau.example", world.admin)
    sent = send_weekly_reports(now=MONDAY_AFTER.astimezone(UTC).isoformat())
    [run] = runs("weekly_reports")
    assert run.succeeded and run.counts == sent and sent[world.v3.code] >= 1


def test_a_failed_run_is_recorded_raised_and_alerts_only_the_second_time(world, broken_scan):
    with pytest.raises(TypeError):
        scan_reminders()
    [first] = runs("reminder_scan")
    assert first.finished_at is not None and first.error.startswith("TypeError: '<' not supported")
    assert alerts() == []  # once may be a blip

    with pytest.raises(TypeError):
        scan_reminders()
    in_app, mails = alerts("in_app"), alerts("email")
    assert [n.recipient_id for n in in_app] == [world.admin.id] and in_app[0].status == "sent"
    assert [n.address for n in mails] == [world.admin.email] and mails[0].status == "pending"
    assert in_app[0].dedupe_key == f"job_failed:reminder_scan:{first.id}:{world.admin.id}:in_app"
    assert in_app[0].payload["failures"] == 2 and "TypeError" in in_app[0].payload["error"]

    with pytest.raises(TypeError):
        scan_reminders()
    assert len(alerts()) == 2  # the same streak: no second alert


def test_after_a_success_a_new_streak_alerts_again(world, broken_scan, monkeypatch):
    for _ in range(2):
        with pytest.raises(TypeError):
            scan_reminders()
    assert len(alerts()) == 2
    monkeypatch.undo()
    scan_reminders()  # fixed: a success ends the streak
    monkeypatch.setattr(reminders, "scan", _broken_again)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            scan_reminders()
    assert len(alerts()) == 4 and len({n.dedupe_key for n in alerts()}) == 4
    assert [r.error is None for r in runs("reminder_scan")] == [False, False, True, False, False]


def _broken_again(at=None):
    raise RuntimeError("database went away")


def test_the_alert_email_names_the_job_and_the_error_in_the_administrators_language(world, app, broken_scan):
    world.admin.locale = "en"
    db.session.flush()
    for _ in range(2):
        with pytest.raises(TypeError):
            scan_reminders()
    [mail] = alerts("email")
    outbox = Path(app.config["MAIL_FILE_PATH"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    assert delivery.deliver(mail.id) is True
    [written] = set(outbox.glob("*.eml")) - before
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert str(message["Subject"]).strip() == "[System alert] reminder scan failed 2 times in a row"
    body = message.get_body(("plain",)).get_content()
    assert "TypeError: '<' not supported" in body and "no deadline reminder" in body and "doctor" in body


def test_the_alert_email_in_chinese(world, app):
    from mediation.notifications.delivery import build_message

    row = Notification(recipient_id=world.admin.id, address=world.admin.email, kind="job_failed", channel="email",
                       dedupe_key="job_failed:weekly_reports:1:x:email",
                       payload={"job": "weekly_reports", "failures": 2, "since": "2026-11-23T00:00:00+00:00",
                                "error": "RuntimeError: weekly report failed"})
    db.session.add(row)
    db.session.flush()
    message = build_message([row], datetime.now(UTC))
    assert message.subject == "【系统告警】每周报表连续 2 次运行失败"
    assert "2026-11-23 08:00" in message.body and "每周报表不会发送" in message.body


# -- /healthz -------------------------------------------------------------------------------------
def _run(job: str, finished_ago: timedelta, error: str | None = None) -> JobRun:
    end = datetime.now(UTC) - finished_ago
    run = JobRun(job=job, started_at=end - timedelta(seconds=2), finished_at=end, counts={}, error=error)
    db.session.add(run)
    db.session.flush()
    return run


def test_healthz_is_degraded_until_a_scan_succeeded(client):
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "degraded"
    assert body["reminder_scan"]["last_success_at"] is None
    assert body["problems"] == ["the reminder scan has never run successfully"]


def test_healthz_reports_the_ages_of_the_last_scan_and_delivery(client, world):
    _run("reminder_scan", timedelta(minutes=3))
    db.session.add(Notification(recipient_id=world.m1.id, address=world.m1.email, kind="overdue", channel="email",
                                dedupe_key="x:1", status="sent", sent_at=datetime.now(UTC) - timedelta(minutes=7)))
    db.session.add(Notification(recipient_id=world.m1.id, address=world.m1.email, kind="overdue", channel="email",
                                dedupe_key="x:2", status="pending"))
    db.session.flush()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["problems"] == []
    assert 175 <= body["reminder_scan"]["age_seconds"] <= 240 and body["reminder_scan"]["last_run_failed"] is False
    assert 415 <= body["delivery"]["age_seconds"] <= 480 and body["delivery"]["pending"] == 1


def test_healthz_is_degraded_when_the_last_scan_failed_still_200(client):
    _run("reminder_scan", timedelta(minutes=6))
    _run("reminder_scan", timedelta(minutes=1), error="TypeError: boom\ntraceback")
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "degraded"
    assert body["reminder_scan"]["last_run_failed"] is True
    assert body["problems"] == ["the last reminder scan failed (1 failure(s) in a row): TypeError: boom"]


def test_healthz_is_degraded_when_the_scan_has_not_run_for_two_intervals(client, app):
    interval = app.config["REMINDER_SCAN_MINUTES"]
    _run("reminder_scan", timedelta(minutes=2 * interval - 1))
    assert client.get("/healthz").get_json()["status"] == "ok"
    db.session.execute(text("DELETE FROM job_run"))
    _run("reminder_scan", timedelta(minutes=2 * interval + 1))
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["problems"][0].startswith("no successful reminder scan for")


# -- doctor ---------------------------------------------------------------------------------------
def test_doctor_says_what_is_fine_and_what_to_fix(runner):
    _run("reminder_scan", timedelta(minutes=1))
    fine = runner.invoke(args=["doctor"])
    assert fine.exit_code == 0, fine.output
    assert "[ok  ] database" in fine.output and "migrations at head (" in fine.output
    assert "[ok  ] broker" in fine.output and "reminder_scan: last run" in fine.output
    assert "0 problem(s)" in fine.output

    _run("reminder_scan", timedelta(seconds=5), error="TypeError: boom")
    broken = runner.invoke(args=["doctor"])
    assert broken.exit_code == 1
    assert "[FAIL] runs     reminder_scan: the last run" in broken.output and "TypeError: boom" in broken.output
    assert "fix: fix the cause, then run it again" in broken.output and "1 problem(s)" in broken.output


def test_doctor_fails_on_a_broker_and_a_mail_server_that_do_not_answer(app, db):
    down = live_app(app, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0", MAIL_SERVER="127.0.0.1",
                    MAIL_PORT=free_port(), MAIL_TIMEOUT=2, BASE_URL="not a url")
    with app_context(down, app):
        result = down.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "[FAIL] broker" in result.output and "start Redis, or fix CELERY_BROKER_URL" in result.output
    assert "[FAIL] mail" in result.output and "unreachable" in result.output
    assert "[FAIL] config   BASE_URL 'not a url'" in result.output


def test_doctor_reaches_a_configured_mail_server(app, db):
    with MailSink().running() as sink:
        up = live_app(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
        with app_context(up, app):
            result = up.test_cli_runner().invoke(args=["doctor"])
    assert f"[ok  ] mail     127.0.0.1:{sink.port} answers (250)" in result.output


# -- reports weekly --send racing the email worker ------------------------------------------------------
@pytest.mark.committed
def test_weekly_send_counts_a_row_the_worker_took_as_delivered_by_the_worker(app, db, world):
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER)  # queued for the worker, which …
    ids = list(db.session.scalars(select(Notification.id).where(Notification.kind == "weekly_report")
                                  .order_by(Notification.id)))
    db.session.commit()
    assert len(ids) == 2
    taken, release = threading.Event(), threading.Event()

    def worker() -> None:  # … takes the first row, sends it and marks it sent, as delivery does
        from mediation.infra.database import unit_of_work

        with app.app_context():
            with unit_of_work() as session:  # BEGIN IMMEDIATE on SQLite; the row locked on PostgreSQL
                row = session.scalars(select(Notification).where(Notification.id == ids[0])
                                      .with_for_update()).one()
                taken.set()
                release.wait(2)
                row.status, row.sent_at, row.attempts = "sent", datetime.now(UTC), 1
            db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    assert taken.wait(10)
    threading.Timer(1.0, release.set).start()
    result = app.test_cli_runner().invoke(args=["reports", "weekly", "--org", world.t1.code, "--week", WEEK,
                                                "--now", MONDAY_AFTER.isoformat(), "--send"])
    thread.join(10)
    assert result.exit_code == 0, result.output
    if db.engine.dialect.name == "postgresql":  # the row was locked, skipped, then found sent by the worker
        assert "sent 1 email(s) (0 new notification(s), 1 sent by the email worker, 0 failed)" in result.output
    else:  # SQLite: the command waited for the worker's write lock and then saw the row sent already
        assert "sent 1 email(s) (0 new notification(s), 0 sent by the email worker, 0 failed)" in result.output
    db.session.commit()
    statuses = dict(db.session.execute(select(Notification.id, Notification.status)
                                       .where(Notification.id.in_(ids))).all())
    assert statuses == {ids[0]: "sent", ids[1]: "sent"}
