"""Faults stay small (issue 15, point 5): a broker outage during deliveries kills no worker and
loses or doubles no email, and `make run`'s supervisor restarts a child that died while the web
app keeps serving. Real parts: `python -m mediation.commands.runner` (gunicorn, one Celery worker per
queue with the production pools, beat), a redis-server of the test's own, an aiosmtpd server."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mediation.commands.runner import Supervisor
from mediation.extensions import db as _db
from mediation.models import Notification
from mediation.notifications import reminders
from tests.live import (
    ROOT,
    T0,
    MailSink,
    RedisServer,
    app_context,
    free_port,
    live_app,
    open_deadline,
    purge,
    registered,
    wait_for,
)


# -- the supervisor alone, on small real processes ------------------------------------------------
def _sleeper(seconds: float = 300) -> list[str]:
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line.strip())

    def flush(self) -> None:
        pass


def test_a_child_that_dies_is_restarted_with_backoff_and_the_others_keep_running():
    out = _Lines()
    supervisor = Supervisor([("web", _sleeper()), ("worker", _sleeper())], out=out)
    supervisor.RESTART_DELAY = 0.2
    try:
        supervisor.start_all()
        web_pid = supervisor.procs["web"].pid
        for round_ in range(3):  # dies again and again right after starting: the delay doubles
            victim = supervisor.procs["worker"]
            victim.kill()
            victim.wait(10)
            supervisor.check()
            assert supervisor.restart_at["worker"] - time.monotonic() <= 0.2 * 2 ** round_ + 0.05
            wait_for(lambda v=victim: (supervisor.check() or supervisor.procs["worker"] is not v), 10,
                     "the restart")
            assert supervisor.procs["worker"].poll() is None
        assert supervisor.restarts["worker"] == 3
        assert [line for line in out.lines if "restarting" in line] == [
            f"  worker exited with -9; restarting it in {d:g} s" for d in (0.2, 0.4, 0.8)]
        assert supervisor.procs["web"].pid == web_pid and supervisor.procs["web"].poll() is None
        assert not supervisor.stopping
    finally:
        supervisor.stop(grace=5)
    assert all(proc.poll() is not None for proc in supervisor.procs.values())


def test_a_child_that_stayed_up_long_enough_starts_again_from_the_short_delay():
    out = _Lines()
    supervisor = Supervisor([("worker", _sleeper())], out=out)
    supervisor.RESTART_DELAY, supervisor.STABLE_AFTER = 0.2, 0.5
    try:
        supervisor.start("worker")
        supervisor.delay["worker"] = 6.4  # after many quick deaths
        time.sleep(0.6)  # … it then stayed up longer than STABLE_AFTER
        supervisor.procs["worker"].kill()
        supervisor.procs["worker"].wait(10)
        supervisor.check()
        assert supervisor.delay["worker"] == 0.2
    finally:
        supervisor.stop(grace=5)


# -- make run on a broker outage -------------------------------------------------------------------
class Runner:
    """`python -m mediation.commands.runner` as `make run` starts it, in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.port = int(env["PORT"])
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> Runner:
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "mediation.commands.runner"], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def serving(self) -> bool:
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def pid_of(self, name: str) -> int:
        return int(re.findall(rf"started {name} \(pid (\d+)\)", self.output())[-1])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of its group is still there
            except ProcessLookupError:
                pass
        self.log.close()


def _email_rows(**where) -> list[Notification]:
    _db.session.commit()  # a new transaction: on SQLite a read transaction keeps seeing its snapshot
    return list(_db.session.scalars(select(Notification).filter_by(channel="email", **where)
                                    .order_by(Notification.id)))


def _all_sent(dispute_id: int | None = None) -> bool:
    found = _email_rows(dispute_id=dispute_id) if dispute_id else _email_rows()
    return bool(found) and all(n.status == "sent" for n in found)


@pytest.mark.committed
@pytest.mark.slow
def test_redis_stopped_during_deliveries_kills_no_worker_and_every_email_arrives_once(
        app, db, world, tmp_path):
    for thing in (*world.orgs.values(), *world.committees.values(), *world.users.values()):
        db.session.refresh(thing)
    redis = RedisServer(tmp_path).start()
    sink = MailSink()
    runner = None
    with sink.running():
        try:
            env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "CELERY_BROKER_URL": redis.url,
                   "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "MAIL_USE_TLS": "0",
                   "MAIL_RETRY_DELAY": "0.2", "MAIL_RETRY_MAX_DELAY": "1", "BASE_URL": app.config["BASE_URL"],
                   "REMINDER_SCAN_MINUTES": "60", "SECRET_KEY": "test", "PORT": str(free_port()),
                   "HOST": "127.0.0.1", "INSTANCE_PATH": str(tmp_path / "instance")}
            web = live_app(app, CELERY_BROKER_URL=redis.url, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
            with app_context(web, app):
                purge(web)
                runner = Runner(env, tmp_path / "runner.log").start()
                wait_for(runner.serving, 90, "the runner's web app")
                wait_for(lambda: re.search(r"mediation\.scan_reminders\[[^]]+\] succeeded", runner.output()), 90,
                         "the runner's first reminder scan")
                wait_for(lambda: re.search(r"email@\S+ ready", runner.output()), 90, "the email worker")

                first = registered(world)
                at = open_deadline(first, "acceptance").due_at + timedelta(hours=1)
                # due ten days later: overdue only for the scan run while the broker is away (below)
                second = registered(world, committee=world.cv2, at=T0 + timedelta(days=10))
                second_at = open_deadline(second, "acceptance").due_at + timedelta(hours=1)
                sink.hold = True  # the first SMTP conversation stops at RCPT: a delivery in flight
                assert reminders.scan(at).emails_queued >= 2
                assert sink.holding.wait(60), runner.output()[-4000:]

                redis.stop()  # the broker goes away while the email worker is inside a delivery
                wait_for(lambda: "Connection to broker lost" in runner.output(), 60,
                         "the workers to notice the lost broker")
                status, health = runner.get("/healthz")
                assert status == 200 and health["broker"] == "down" and health["database"] == "ok"
                assert runner.get("/api/v1/openapi.json")[0] == 200

                sink.release()  # the delivery in flight finishes without the broker
                wait_for(lambda: _all_sent(first.id), 60, "the in-flight delivery to finish")
                assert runner.serving()
                assert "exited with" not in runner.output(), runner.output()[-4000:]  # no worker died

                # (after the delivery: on SQLite it holds the database's write lock while it talks SMTP)
                down = reminders.scan(second_at)  # still no broker: the rows wait in the database
                assert down.total >= 1 and down.emails_queued == 0 and down.emails_pending >= 1

                redis.start()  # the same port, empty: whatever was queued is gone, the rows are not
                wait_for(lambda: runner.get("/healthz")[1]["broker"] == "ok", 30, "the broker back")
                back = reminders.scan(second_at)  # what beat does every REMINDER_SCAN_MINUTES
                assert back.total == 0 and back.emails_queued == back.emails_pending >= 1  # every pending row queued
                wait_for(lambda: _all_sent(second.id), 90, "the waiting emails after the broker is back")

                # a worker that dies is started again, and the web app serves meanwhile; killed when no
                # delivery is in flight (the runner's own first scan too), since a kill between the SMTP
                # server's acceptance and the commit is the documented residual duplicate (docs/reminders.md)
                wait_for(_all_sent, 90, "every email row so far, before the kill")
                old = runner.pid_of("worker-email")
                os.kill(old, signal.SIGKILL)
                wait_for(lambda: "worker-email exited with -9" in runner.output(), 30, "the supervisor to notice")
                assert runner.serving()
                wait_for(lambda: runner.pid_of("worker-email") != old, 30, "worker-email restarted")
                third = registered(world, committee=world.cv3)
                third_at = open_deadline(third, "acceptance").due_at + timedelta(hours=1)
                assert reminders.scan(third_at).emails_queued >= 1
                wait_for(lambda: _all_sent(third.id), 90, "the restarted worker to deliver")

                wait_for(_all_sent, 90, "every email row (the runner's own first scan too)")
                everything = _email_rows()
                assert sink.per_notification() == {n.id: 1 for n in everything}
                assert runner.proc.poll() is None and runner.serving()
        finally:
            if runner is not None:
                runner.stop()
                print(runner.output()[-8000:])  # shown when the test failed
            redis.stop()
