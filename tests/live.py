"""Real parts for the reminder and delivery tests: an SMTP server on loopback (aiosmtpd), Celery
workers as subprocesses, a Redis server of the test's own, and apps wired to them."""
from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Optional

from aiosmtpd.controller import Controller
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    """Polls `condition` until it is truthy (waiting for other processes, never for deadlines)."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class MailSink:
    """An SMTP server that records every message it accepts. `replies` are the answers to the next
    DATA commands ("451 …", "550 …"; then "250 OK"); with `hold` set, a conversation stops at RCPT
    until `release()` (to kill a worker in the middle of a delivery)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.replies: list[str] = []
        self.refused = 0
        self.hold = False
        self.holding = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold:
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            reply = self.replies.pop(0) if self.replies else "250 OK"
            if reply.startswith("250"):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                self.messages.append((list(envelope.rcpt_tos), message))
            else:
                self.refused += 1
        return reply

    def release(self) -> None:
        self.hold = False
        self._released.set()

    def per_notification(self) -> Counter:
        """How many accepted messages carried each notification id."""
        counts: Counter = Counter()
        for _, message in self.messages:
            for nid in str(message["X-Mediation-Notification"] or "").split(","):
                if nid:
                    counts[int(nid)] += 1
        return counts

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]

    @contextmanager
    def running(self) -> Iterator[MailSink]:
        self.controller.start()
        try:
            yield self
        finally:
            self.release()
            self.controller.stop()


def subject(message: email.message.EmailMessage) -> str:
    """The decoded subject (a folded encoded header reads back with a leading space)."""
    return str(message["Subject"]).strip()


def text_of(message: email.message.EmailMessage) -> str:
    """Subject, headers and every text part, decoded."""
    parts = [subject(message)]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def live_app(base: Flask, **overrides) -> Flask:
    """Another app on the test database, wired as `overrides` say (broker, mail server, Celery on)."""
    from mediation import create_app

    config = {key: base.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "CELERY_BROKER_URL",
                                                 "SECRET_KEY", "WTF_CSRF_ENABLED", "BASE_URL",
                                                 "PASSWORD_HASH_METHOD", "MAIL_FILE_PATH", "DATA_KEYS")}
    config.update({"CELERY_DISABLED": False, "MAIL_RETRY_DELAY": 0.2, "MAIL_RETRY_MAX_DELAY": 1.0}, **overrides)
    if config.get("MAIL_SERVER"):
        config.setdefault("MAIL_BACKEND", "smtp")
    app = create_app(config)
    app.instance_path = base.instance_path
    return app


@contextmanager
def app_context(app: Flask, base: Flask) -> Iterator[Flask]:
    """Pushes `app`; afterwards gives the default Celery app back to `base` and closes the engines."""
    from mediation.extensions import db

    try:
        with app.app_context():
            yield app
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    finally:
        base.extensions["celery"].set_default()


def purge(app: Flask) -> None:
    """Empties the task queues (messages an earlier test left behind)."""
    with app.extensions["celery"].connection_for_write() as conn:
        for name in ("reminders", "email", "reports"):
            try:
                conn.default_channel.queue_purge(name)
            except Exception:  # noqa: BLE001 - a queue never declared has nothing to purge
                pass


class Worker:
    """`celery -A worker worker` as a subprocess (its own process group, so it can be SIGKILLed)."""

    def __init__(self, env: dict[str, str], log_dir: Path, queues: str = "reminders,email") -> None:
        self.env = {**os.environ, **env}
        self.queues = queues
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> Worker:
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(BIN / "celery"), "-A", "worker", "worker", "-Q", self.queues, "--pool", "solo", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, exactly what a crash or an OOM kill does."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def worker_env(app: Flask, sink: MailSink, broker_url: str, **extra: str) -> dict[str, str]:
    """The environment a worker subprocess needs to serve `app`'s database through `sink`."""
    return {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "CELERY_BROKER_URL": broker_url,
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "MAIL_USE_TLS": "0",
            "MAIL_RETRY_DELAY": "0.2", "MAIL_RETRY_MAX_DELAY": "1", "BASE_URL": app.config["BASE_URL"],
            "REMINDER_SCAN_MINUTES": "60", **extra}


class RedisServer:
    """A redis-server of the test's own on a spare port, to stop and start again."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no", "--dir", str(self.log_dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_for(lambda: _pings(client), 15, "redis-server to answer")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def use_smtp(app: Flask, monkeypatch, sink: MailSink) -> None:
    """Points `app`'s mail at `sink` for one test (restored by monkeypatch)."""
    from flask_mailman import Mail

    config = {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "MAIL_BACKEND": "smtp"}
    monkeypatch.setitem(app.extensions, "mailman", Mail.init_mail(config))
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")


# -- scenarios: time is injected, never slept --------------------------------------------------------
DAY = timedelta(days=1)
T0 = (datetime.now(UTC) - timedelta(days=90)).replace(hour=2, minute=0, second=0, microsecond=0)


def registered(world, committee=None, at: datetime = T0, **overrides):
    """A dispute received at `at`: its acceptance deadline is due three days later."""
    from tests.factories import make_dispute

    return make_dispute(committee or world.cv1, received_at=at.isoformat(), **overrides)


def in_mediation(world, at: datetime = T0, **overrides):
    """Accepted one hour after receipt and assigned to m1: the mediation deadline is due 30 days later."""
    from tests.factories import fire

    d = registered(world, at=at, **overrides)
    d = fire(d, "accept", occurred_at=(at + timedelta(hours=1)).isoformat())
    d = fire(d, "assign", occurred_at=(at + timedelta(hours=2)).isoformat(), mediators=[world.m1.username])
    return fire(d, "start_mediation", occurred_at=(at + timedelta(hours=3)).isoformat())


def open_deadline(dispute, kind: str):
    from sqlalchemy import select

    from mediation.extensions import db
    from mediation.models import Deadline

    return db.session.scalar(select(Deadline).where(Deadline.dispute_id == dispute.id, Deadline.kind == kind,
                                                    Deadline.status == "open"))


def rows(**where) -> list:
    """Notification rows matching column == value, oldest first."""
    from sqlalchemy import select

    from mediation.extensions import db
    from mediation.models import Notification

    query = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(db.session.scalars(query))
