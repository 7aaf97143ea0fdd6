"""End to end through real Celery workers (subprocesses), a real Redis and a real SMTP server:
the scan and delivery on the worker, retries, a worker killed mid-delivery, Redis stopped."""
from __future__ import annotations

from datetime import timedelta

import pytest

from mediation.disputes import cases
from mediation.extensions import db
from mediation.infra.tasks_seam import send_task
from mediation.models import Notification, User
from mediation.notifications import reminders
from tests.live import (
    MailSink,
    RedisServer,
    Worker,
    app_context,
    live_app,
    open_deadline,
    purge,
    registered,
    rows,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.committed, pytest.mark.slow]


@pytest.fixture
def sink():
    with MailSink().running() as running:
        yield running


@pytest.fixture
def live(app, db, world, sink, redis_url):
    """An app like the web's, with Celery on: tasks go to the test Redis, mail to the sink.

    The world is loaded first: an expired attribute refreshed inside another app's context would
    borrow a connection of that app's engine."""
    for thing in (*world.orgs.values(), *world.committees.values(), *world.users.values()):
        db.session.refresh(thing)
    with app_context(live_app(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port), app) as running:
        purge(running)
        yield running


@pytest.fixture
def workers(live, sink, redis_url, tmp_path):
    """Starts workers on demand (`workers.start()`); stops them all at the end."""
    class Workers:
        def __init__(self) -> None:
            self.started: list[Worker] = []

        def start(self, broker_url: str = redis_url, **env: str) -> Worker:
            worker = Worker(worker_env(live, sink, broker_url, **env), tmp_path).start()
            self.started.append(worker)
            return worker

    pool = Workers()
    yield pool
    for worker in pool.started:
        worker.stop()
        print(f"--- {worker.log_path.name}\n{worker.output()[-6000:]}")  # shown when the test failed


def email_rows(dispute_id: int) -> list[Notification]:
    db.session.commit()  # a new transaction: on SQLite a read transaction keeps seeing its snapshot
    return rows(dispute_id=dispute_id, channel="email")


def all_sent(dispute_id: int) -> bool:
    found = email_rows(dispute_id)
    return bool(found) and all(n.status == "sent" for n in found)


def overdue(world, **overrides):
    """A dispute whose acceptance deadline passed an hour before `at` (returned with it)."""
    d = registered(world, **overrides)
    return d, open_deadline(d, "acceptance").due_at + timedelta(hours=1)


def test_worker_runs_the_scan_and_delivers_each_email_once(world, live, sink, workers):
    d, at = overdue(world)
    workers.start()
    assert send_task("mediation.scan_reminders", at.isoformat(), queue="reminders")
    wait_for(lambda: all_sent(d.id), 60, "the worker to scan and deliver")
    sent = email_rows(d.id)
    assert {n.kind for n in sent} == {"overdue"} and len(sent) == 2
    assert sink.per_notification() == {n.id: 1 for n in sent}
    assert {n.address for n in sent} == {world.m1.email, world.m1b.email}


def test_smtp_451_then_accepted_is_delivered_exactly_once(world, live, sink, workers):
    d, at = overdue(world)
    sink.replies = ["451 4.7.1 Greylisted, try again later"]
    workers.start()
    result = reminders.scan(at)
    assert result.emails_queued == 2
    wait_for(lambda: all_sent(d.id), 60, "the retry to go through")
    sent = email_rows(d.id)
    assert sink.refused == 1 and sink.per_notification() == {n.id: 1 for n in sent}
    assert sorted(n.attempts for n in sent) == [1, 2]
    assert any(n.last_error and n.last_error.startswith("451") for n in sent)


def test_a_worker_killed_mid_delivery_and_restarted_delivers_exactly_once(world, live, sink, workers):
    d, at = overdue(world)
    db.session.get(User, world.m1b.id).email = None  # one email row: the conversation held below is that one
    db.session.commit()
    sink.hold = True  # the SMTP conversation stops at RCPT: the row is locked, nothing accepted yet
    first = workers.start()
    assert reminders.scan(at).emails_queued == 1
    assert sink.holding.wait(60), first.output()
    first.kill()
    sink.release()
    [row] = email_rows(d.id)
    assert row.status == "pending" and sink.messages == []  # the killed attempt left nothing behind

    workers.start()
    again = reminders.scan(at)  # the next scan queues the pending row again …
    assert again.total == 0 and again.emails_queued == 1
    send_task("mediation.deliver_notifications", [row.id], queue="email")  # … and a stray duplicate task
    wait_for(lambda: all_sent(d.id), 60, "the restarted worker to deliver")

    marker, marker_at = overdue(world, committee=world.cv2)  # delivered after everything queued before it
    reminders.scan(marker_at)
    wait_for(lambda: all_sent(marker.id), 60, "the marker email")
    counts = sink.per_notification()
    assert counts[row.id] == 1
    assert all(count == 1 for count in counts.values())


def test_with_redis_stopped_the_web_keeps_working_and_mail_goes_out_after_it_returns(
        app, db, world, sink, workers, tmp_path):
    redis = RedisServer(tmp_path).start()
    try:
        web = live_app(app, CELERY_BROKER_URL=redis.url, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
        with app_context(web, app):
            client = web.test_client()
            assert client.get("/healthz").get_json()["broker"] == "ok"
            redis.stop()

            health = client.get("/healthz")
            assert health.status_code == 200
            body = health.get_json()
            assert (body["database"], body["broker"]) == ("ok", "down")
            assert body["status"] == "degraded"  # no scan has run on this database yet
            assert client.get("/api/v1/openapi.json").status_code == 200
            d, at = overdue(world, committee=world.cv3)
            raised = cases.update_dispute(d.id, {"version": d.version, "risk_level": "red"})  # what PATCH does
            assert raised.risk_level == "red"
            down = web.test_cli_runner().invoke(args=["reminders", "scan", "--now", at.isoformat()])
            assert down.exit_code == 0, down.output
            assert "queued 0 email(s)" in down.output and "stay pending" in down.output
            pending = [n for n in email_rows(d.id) if n.status == "pending"]
            assert {n.kind for n in pending} == {"risk_alert", "overdue"}

            redis.start()  # the same port again, empty: whatever was queued before is gone
            workers.start(redis.url)
            back = web.test_cli_runner().invoke(args=["reminders", "scan", "--now", at.isoformat()])
            assert back.exit_code == 0 and "created 0 notification(s)" in back.output
            assert f"queued {len(pending)} email(s)" in back.output
            wait_for(lambda: all_sent(d.id), 60, "the pending emails to go out")
            assert sink.per_notification() == {n.id: 1 for n in pending}
            assert client.get("/healthz").get_json()["broker"] == "ok"
    finally:
        redis.stop()
